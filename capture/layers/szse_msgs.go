package layers

import "fmt"

// SZSEMessage is one decoded SZSE Binary message body.
type SZSEMessage interface {
	MsgType() uint32
	// DecodeBody decodes the body, resetting every field. Trailing bytes
	// beyond the known layout are ignored (fields are appended in new spec
	// versions, PROTOCOLS.md 1.12).
	DecodeBody(body []byte) error
	// AppendBody appends the encoded body to dst.
	AppendBody(dst []byte) []byte
}

// DecodeSZSE decodes a frame body by message type. Unknown types return an
// *UnsupportedError; the caller counts and skips them.
func DecodeSZSE(msgType uint32, body []byte) (m SZSEMessage, err error) {
	return new(SZSEScratch).Decode(msgType, body)
}

// SZSEScratch holds one message of each type, reused by Decode: a stream
// decoder decodes millions of messages without allocating their structs.
// Not safe for concurrent use.
type SZSEScratch struct {
	logon    SZSELogonMsg
	logout   SZSELogoutMsg
	hb       SZSEHeartbeatMsg
	bizRej   SZSEBusinessRejectMsg
	sync     SZSEReportSyncMsg
	state    SZSEPlatformStateMsg
	finished SZSEReportFinishedMsg
	info     SZSEPlatformInfoMsg
	session  SZSETradingSessionStatusMsg
	cancel   SZSECancelRequestMsg
	cxlRej   SZSECancelRejectMsg
	order    SZSENewOrderMsg
	confirm  SZSEExecutionConfirmMsg
	report   SZSEExecutionReportMsg
}

// Decode is DecodeSZSE into s: the message returned is valid until the
// next call.
func (s *SZSEScratch) Decode(msgType uint32, body []byte) (m SZSEMessage, err error) {
	defer decodeGuard(&err, "szse")
	switch msgType {
	case SZSELogon:
		m = &s.logon
	case SZSELogout:
		m = &s.logout
	case SZSEHeartbeat:
		m = &s.hb
	case SZSEBusinessReject:
		m = &s.bizRej
	case SZSEReportSynchronization:
		m = &s.sync
	case SZSEPlatformStateInfo:
		m = &s.state
	case SZSEReportFinished:
		m = &s.finished
	case SZSEPlatformInfo:
		m = &s.info
	case SZSETradingSessionStatus:
		m = &s.session
	case SZSECancelRequest:
		m = &s.cancel
	case SZSECancelReject:
		m = &s.cxlRej
	default:
		if msgType >= 100000 && msgType <= 199999 && msgType%100 == 1 {
			s.order.Type = msgType
			m = &s.order
		} else if msgType >= 200000 && msgType <= 299999 && msgType%100 == 2 {
			s.confirm.Type = msgType
			m = &s.confirm
		} else if msgType >= 200000 && msgType <= 299999 && msgType%100 == 15 {
			s.report.Type = msgType
			m = &s.report
		} else {
			return nil, &UnsupportedError{Protocol: "szse", Type: msgType}
		}
	}
	if err := m.DecodeBody(body); err != nil {
		return nil, fmt.Errorf("szse message type %d: %w", msgType, err)
	}
	return m, nil
}

// SZSELogonMsg is Logon (1). Password is cleartext on the wire: it is decoded
// so that the round trip is exact, and must never be logged.
type SZSELogonMsg struct {
	SenderCompID, TargetCompID string
	HeartBtInt                 int32
	Password                   string
	DefaultApplVerID           string
}

func (m *SZSELogonMsg) MsgType() uint32 { return SZSELogon }
func (m *SZSELogonMsg) DecodeBody(b []byte) error {
	r := rd{b: b}
	*m = SZSELogonMsg{SenderCompID: r.str(20), TargetCompID: r.str(20), HeartBtInt: r.i32(), Password: r.str(16), DefaultApplVerID: r.str(32)}
	return r.err
}
func (m *SZSELogonMsg) AppendBody(d []byte) []byte {
	d = putStr(d, m.SenderCompID, 20)
	d = putStr(d, m.TargetCompID, 20)
	d = putU32(d, uint32(m.HeartBtInt))
	d = putStr(d, m.Password, 16)
	return putStr(d, m.DefaultApplVerID, 32)
}

// SZSELogoutMsg is Logout (2).
type SZSELogoutMsg struct {
	SessionStatus int32
	Text          string
}

func (m *SZSELogoutMsg) MsgType() uint32 { return SZSELogout }
func (m *SZSELogoutMsg) DecodeBody(b []byte) error {
	r := rd{b: b}
	*m = SZSELogoutMsg{SessionStatus: r.i32(), Text: r.str(200)}
	return r.err
}
func (m *SZSELogoutMsg) AppendBody(d []byte) []byte {
	return putStr(putU32(d, uint32(m.SessionStatus)), m.Text, 200)
}

// SZSEHeartbeatMsg is Heartbeat (3), an empty body.
type SZSEHeartbeatMsg struct{}

func (m *SZSEHeartbeatMsg) MsgType() uint32            { return SZSEHeartbeat }
func (m *SZSEHeartbeatMsg) DecodeBody(b []byte) error  { return nil }
func (m *SZSEHeartbeatMsg) AppendBody(d []byte) []byte { return d }

// SZSEBusinessRejectMsg is BusinessReject (4).
type SZSEBusinessRejectMsg struct {
	ApplID               string
	TransactTime         int64
	SubmittingPBUID      string
	SecurityID           string
	SecurityIDSource     string
	RefSeqNum            int64
	RefMsgType           uint32
	BusinessRejectRefID  string
	BusinessRejectReason uint16
	BusinessRejectText   string
}

func (m *SZSEBusinessRejectMsg) MsgType() uint32 { return SZSEBusinessReject }
func (m *SZSEBusinessRejectMsg) DecodeBody(b []byte) error {
	r := rd{b: b}
	*m = SZSEBusinessRejectMsg{ApplID: r.sym(3), TransactTime: r.i64(), SubmittingPBUID: r.sym(6), SecurityID: r.sym(8),
		SecurityIDSource: r.sym(4), RefSeqNum: r.i64(), RefMsgType: r.u32(), BusinessRejectRefID: r.str(10),
		BusinessRejectReason: r.u16(), BusinessRejectText: r.str(50)}
	return r.err
}
func (m *SZSEBusinessRejectMsg) AppendBody(d []byte) []byte {
	d = putStr(d, m.ApplID, 3)
	d = putI64(d, m.TransactTime)
	d = putStr(d, m.SubmittingPBUID, 6)
	d = putStr(d, m.SecurityID, 8)
	d = putStr(d, m.SecurityIDSource, 4)
	d = putI64(d, m.RefSeqNum)
	d = putU32(d, m.RefMsgType)
	d = putStr(d, m.BusinessRejectRefID, 10)
	d = putU16(d, m.BusinessRejectReason)
	return putStr(d, m.BusinessRejectText, 50)
}

// SZSEPartitionIndex is one {PartitionNo, ReportIndex} pair.
type SZSEPartitionIndex struct {
	PartitionNo int32
	ReportIndex int64
}

// SZSEReportSyncMsg is ReportSynchronization (5).
type SZSEReportSyncMsg struct{ Partitions []SZSEPartitionIndex }

func (m *SZSEReportSyncMsg) MsgType() uint32 { return SZSEReportSynchronization }
func (m *SZSEReportSyncMsg) DecodeBody(b []byte) error {
	r := rd{b: b}
	n := r.u32()
	*m = SZSEReportSyncMsg{}
	if r.err == nil && uint64(n)*12 > uint64(len(b)) {
		return fmt.Errorf("report sync: %d partitions: %w", n, ErrBadLength)
	}
	for i := uint32(0); i < n && r.err == nil; i++ {
		m.Partitions = append(m.Partitions, SZSEPartitionIndex{r.i32(), r.i64()})
	}
	return r.err
}
func (m *SZSEReportSyncMsg) AppendBody(d []byte) []byte {
	d = putU32(d, uint32(len(m.Partitions)))
	for _, p := range m.Partitions {
		d = putI64(putU32(d, uint32(p.PartitionNo)), p.ReportIndex)
	}
	return d
}

// SZSEPlatformStateMsg is PlatformStateInfo (6).
type SZSEPlatformStateMsg struct{ PlatformID, PlatformState uint16 }

func (m *SZSEPlatformStateMsg) MsgType() uint32 { return SZSEPlatformStateInfo }
func (m *SZSEPlatformStateMsg) DecodeBody(b []byte) error {
	r := rd{b: b}
	*m = SZSEPlatformStateMsg{r.u16(), r.u16()}
	return r.err
}
func (m *SZSEPlatformStateMsg) AppendBody(d []byte) []byte {
	return putU16(putU16(d, m.PlatformID), m.PlatformState)
}

// SZSEReportFinishedMsg is ReportFinished (7).
type SZSEReportFinishedMsg struct {
	PartitionNo int32
	ReportIndex int64
	PlatformID  uint16
}

func (m *SZSEReportFinishedMsg) MsgType() uint32 { return SZSEReportFinished }
func (m *SZSEReportFinishedMsg) DecodeBody(b []byte) error {
	r := rd{b: b}
	*m = SZSEReportFinishedMsg{r.i32(), r.i64(), r.u16()}
	return r.err
}
func (m *SZSEReportFinishedMsg) AppendBody(d []byte) []byte {
	return putU16(putI64(putU32(d, uint32(m.PartitionNo)), m.ReportIndex), m.PlatformID)
}

// SZSEPlatformInfoMsg is PlatformInfo (9).
type SZSEPlatformInfoMsg struct {
	PlatformID uint16
	Partitions []int32
}

func (m *SZSEPlatformInfoMsg) MsgType() uint32 { return SZSEPlatformInfo }
func (m *SZSEPlatformInfoMsg) DecodeBody(b []byte) error {
	r := rd{b: b}
	*m = SZSEPlatformInfoMsg{PlatformID: r.u16()}
	n := r.u32()
	if r.err == nil && uint64(n)*4 > uint64(len(b)) {
		return fmt.Errorf("platform info: %d partitions: %w", n, ErrBadLength)
	}
	for i := uint32(0); i < n && r.err == nil; i++ {
		m.Partitions = append(m.Partitions, r.i32())
	}
	return r.err
}
func (m *SZSEPlatformInfoMsg) AppendBody(d []byte) []byte {
	d = putU32(putU16(d, m.PlatformID), uint32(len(m.Partitions)))
	for _, p := range m.Partitions {
		d = putU32(d, uint32(p))
	}
	return d
}

// SZSETradingSessionStatusMsg is TradingSessionStatus (10).
type SZSETradingSessionStatusMsg struct {
	MarketID, MarketSegmentID, TradingSessionID, TradingSessionSubID string
	TradSesStatus                                                    uint16
	TradSesStartTime, TradSesEndTime                                 int64
}

func (m *SZSETradingSessionStatusMsg) MsgType() uint32 { return SZSETradingSessionStatus }
func (m *SZSETradingSessionStatusMsg) DecodeBody(b []byte) error {
	r := rd{b: b}
	*m = SZSETradingSessionStatusMsg{r.sym(8), r.sym(8), r.sym(4), r.sym(4), r.u16(), r.i64(), r.i64()}
	return r.err
}
func (m *SZSETradingSessionStatusMsg) AppendBody(d []byte) []byte {
	d = putStr(d, m.MarketID, 8)
	d = putStr(d, m.MarketSegmentID, 8)
	d = putStr(d, m.TradingSessionID, 4)
	d = putStr(d, m.TradingSessionSubID, 4)
	d = putU16(d, m.TradSesStatus)
	return putI64(putI64(d, m.TradSesStartTime), m.TradSesEndTime)
}

// SZSESpotExt is the 20-byte extension of 100101 / 200102 (ApplID 010).
type SZSESpotExt struct {
	StopPx         int64
	MinQty         int64
	MaxPriceLevels uint16
	TimeInForce    byte
	CashMargin     byte
}

func (e *SZSESpotExt) read(r *rd) {
	*e = SZSESpotExt{r.i64(), r.i64(), r.u16(), r.char(), r.char()}
}
func (e *SZSESpotExt) append(d []byte) []byte {
	d = putU16(putI64(putI64(d, e.StopPx), e.MinQty), e.MaxPriceLevels)
	return putChar(putChar(d, e.TimeInForce), e.CashMargin)
}

// SZSENewOrderMsg is a new order, 1xxx01: the 89-byte common part, then the
// business extension. For 100101 the extension is decoded into Spot; for
// other businesses it is kept raw in Extension (aliasing the body).
type SZSENewOrderMsg struct {
	Type              uint32 // 100101 if zero
	ApplID            string
	SubmittingPBUID   string
	SecurityID        string
	SecurityIDSource  string
	OwnerType         uint16
	ClearingFirm      string
	TransactTime      int64
	UserInfo          string
	ClOrdID           string
	AccountID         string
	BranchID          string
	OrderRestrictions string
	Side              byte
	OrdType           byte
	OrderQty          int64 // ×100
	Price             int64 // ×10 000
	Spot              SZSESpotExt
	Extension         []byte
}

func (m *SZSENewOrderMsg) MsgType() uint32 {
	if m.Type == 0 {
		return SZSENewOrder
	}
	return m.Type
}
func (m *SZSENewOrderMsg) DecodeBody(b []byte) error {
	r := rd{b: b}
	*m = SZSENewOrderMsg{Type: m.Type, ApplID: r.sym(3), SubmittingPBUID: r.sym(6), SecurityID: r.sym(8), SecurityIDSource: r.sym(4),
		OwnerType: r.u16(), ClearingFirm: r.sym(2), TransactTime: r.i64(), UserInfo: r.sym(8), ClOrdID: r.str(10),
		AccountID: r.sym(12), BranchID: r.sym(4), OrderRestrictions: r.sym(4), Side: r.char(), OrdType: r.char(),
		OrderQty: r.i64(), Price: r.i64()}
	if m.MsgType() == SZSENewOrder {
		m.Spot.read(&r)
	} else {
		m.Extension = r.rest()
	}
	return r.err
}
func (m *SZSENewOrderMsg) AppendBody(d []byte) []byte {
	d = putStr(d, m.ApplID, 3)
	d = putStr(d, m.SubmittingPBUID, 6)
	d = putStr(d, m.SecurityID, 8)
	d = putStr(d, m.SecurityIDSource, 4)
	d = putU16(d, m.OwnerType)
	d = putStr(d, m.ClearingFirm, 2)
	d = putI64(d, m.TransactTime)
	d = putStr(d, m.UserInfo, 8)
	d = putStr(d, m.ClOrdID, 10)
	d = putStr(d, m.AccountID, 12)
	d = putStr(d, m.BranchID, 4)
	d = putStr(d, m.OrderRestrictions, 4)
	d = putChar(d, m.Side)
	d = putChar(d, m.OrdType)
	d = putI64(d, m.OrderQty)
	d = putI64(d, m.Price)
	if m.MsgType() == SZSENewOrder {
		return m.Spot.append(d)
	}
	return append(d, m.Extension...)
}

// SZSECancelRequestMsg is OrderCancelRequest (190007).
type SZSECancelRequestMsg struct {
	ApplID           string
	SubmittingPBUID  string
	SecurityID       string
	SecurityIDSource string
	OwnerType        uint16
	ClearingFirm     string
	TransactTime     int64
	UserInfo         string
	ClOrdID          string
	OrigClOrdID      string
	Side             byte
	OrderID          string
	OrderQty         int64
}

func (m *SZSECancelRequestMsg) MsgType() uint32 { return SZSECancelRequest }
func (m *SZSECancelRequestMsg) DecodeBody(b []byte) error {
	r := rd{b: b}
	*m = SZSECancelRequestMsg{ApplID: r.sym(3), SubmittingPBUID: r.sym(6), SecurityID: r.sym(8), SecurityIDSource: r.sym(4),
		OwnerType: r.u16(), ClearingFirm: r.sym(2), TransactTime: r.i64(), UserInfo: r.sym(8), ClOrdID: r.str(10),
		OrigClOrdID: r.str(10), Side: r.char(), OrderID: r.str(16), OrderQty: r.i64()}
	return r.err
}
func (m *SZSECancelRequestMsg) AppendBody(d []byte) []byte {
	d = putStr(d, m.ApplID, 3)
	d = putStr(d, m.SubmittingPBUID, 6)
	d = putStr(d, m.SecurityID, 8)
	d = putStr(d, m.SecurityIDSource, 4)
	d = putU16(d, m.OwnerType)
	d = putStr(d, m.ClearingFirm, 2)
	d = putI64(d, m.TransactTime)
	d = putStr(d, m.UserInfo, 8)
	d = putStr(d, m.ClOrdID, 10)
	d = putStr(d, m.OrigClOrdID, 10)
	d = putChar(d, m.Side)
	d = putStr(d, m.OrderID, 16)
	return putI64(d, m.OrderQty)
}

// SZSEReportHeader is the common head of every execution report:
// PartitionNo .. UserInfo. (PartitionNo, ReportIndex) identifies a report
// across replays (PROTOCOLS.md 1.5).
type SZSEReportHeader struct {
	PartitionNo      int32
	ReportIndex      int64
	ApplID           string
	ReportingPBUID   string
	SubmittingPBUID  string
	SecurityID       string
	SecurityIDSource string
	OwnerType        uint16
	ClearingFirm     string
	TransactTime     int64
	UserInfo         string
}

func (h *SZSEReportHeader) read(r *rd) {
	*h = SZSEReportHeader{r.i32(), r.i64(), r.sym(3), r.sym(6), r.sym(6), r.sym(8), r.sym(4), r.u16(), r.sym(2), r.i64(), r.sym(8)}
}
func (h *SZSEReportHeader) append(d []byte) []byte {
	d = putI64(putU32(d, uint32(h.PartitionNo)), h.ReportIndex)
	d = putStr(d, h.ApplID, 3)
	d = putStr(d, h.ReportingPBUID, 6)
	d = putStr(d, h.SubmittingPBUID, 6)
	d = putStr(d, h.SecurityID, 8)
	d = putStr(d, h.SecurityIDSource, 4)
	d = putU16(d, h.OwnerType)
	d = putStr(d, h.ClearingFirm, 2)
	d = putI64(d, h.TransactTime)
	return putStr(d, h.UserInfo, 8)
}

// SZSEExecutionConfirmMsg is an order response / cancel success, 2xxx02
// (PROTOCOLS.md 1.8). HasQuoteMsgID is decided from BodyLength (199 vs 189
// for 200102); for other businesses the extension is kept raw.
type SZSEExecutionConfirmMsg struct {
	Type uint32 // 200102 if zero
	SZSEReportHeader
	OrderID           string
	ClOrdID           string
	HasQuoteMsgID     bool
	QuoteMsgID        string
	OrigClOrdID       string
	ExecID            string
	ExecType          byte // '0' new, '4' cancelled, '8' reject
	OrdStatus         byte
	OrdRejReason      uint16
	LeavesQty         int64
	CumQty            int64
	Side              byte
	OrdType           byte
	OrderQty          int64
	Price             int64
	AccountID         string
	BranchID          string
	OrderRestrictions string
	Spot              SZSESpotExt
	Extension         []byte
}

func (m *SZSEExecutionConfirmMsg) MsgType() uint32 {
	if m.Type == 0 {
		return SZSEExecutionConfirm
	}
	return m.Type
}
func (m *SZSEExecutionConfirmMsg) DecodeBody(b []byte) error {
	typ := m.MsgType()
	*m = SZSEExecutionConfirmMsg{Type: m.Type}
	r := rd{b: b}
	m.SZSEReportHeader.read(&r)
	m.OrderID, m.ClOrdID = r.str(16), r.str(10)
	if typ == SZSEExecutionConfirm {
		m.HasQuoteMsgID = len(b) >= 199
	}
	if m.HasQuoteMsgID {
		m.QuoteMsgID = r.str(10)
	}
	m.OrigClOrdID, m.ExecID, m.ExecType, m.OrdStatus, m.OrdRejReason = r.str(10), r.str(16), r.char(), r.char(), r.u16()
	m.LeavesQty, m.CumQty, m.Side, m.OrdType, m.OrderQty, m.Price = r.i64(), r.i64(), r.char(), r.char(), r.i64(), r.i64()
	m.AccountID, m.BranchID, m.OrderRestrictions = r.sym(12), r.sym(4), r.sym(4)
	if typ == SZSEExecutionConfirm {
		m.Spot.read(&r)
	} else {
		m.Extension = r.rest()
	}
	return r.err
}
func (m *SZSEExecutionConfirmMsg) AppendBody(d []byte) []byte {
	d = m.SZSEReportHeader.append(d)
	d = putStr(putStr(d, m.OrderID, 16), m.ClOrdID, 10)
	if m.HasQuoteMsgID {
		d = putStr(d, m.QuoteMsgID, 10)
	}
	d = putStr(putStr(d, m.OrigClOrdID, 10), m.ExecID, 16)
	d = putU16(putChar(putChar(d, m.ExecType), m.OrdStatus), m.OrdRejReason)
	d = putI64(putI64(d, m.LeavesQty), m.CumQty)
	d = putChar(putChar(d, m.Side), m.OrdType)
	d = putI64(putI64(d, m.OrderQty), m.Price)
	d = putStr(putStr(putStr(d, m.AccountID, 12), m.BranchID, 4), m.OrderRestrictions, 4)
	if m.MsgType() == SZSEExecutionConfirm {
		return m.Spot.append(d)
	}
	return append(d, m.Extension...)
}

// SZSEExecutionReportMsg is a trade execution report, 2xxx15 (PROTOCOLS.md
// 1.9). HasQuoteMsgID is decided from BodyLength (163 vs 153 for 200115).
type SZSEExecutionReportMsg struct {
	Type uint32 // 200115 if zero
	SZSEReportHeader
	OrderID       string
	ClOrdID       string
	HasQuoteMsgID bool
	QuoteMsgID    string
	ExecID        string
	ExecType      byte // 'F'
	OrdStatus     byte
	LastPx        int64
	LastQty       int64
	LeavesQty     int64
	CumQty        int64
	Side          byte
	AccountID     string
	BranchID      string
	CashMargin    byte   // 200115 extension
	Extension     []byte // other businesses
}

func (m *SZSEExecutionReportMsg) MsgType() uint32 {
	if m.Type == 0 {
		return SZSEExecutionReport
	}
	return m.Type
}
func (m *SZSEExecutionReportMsg) DecodeBody(b []byte) error {
	typ := m.MsgType()
	*m = SZSEExecutionReportMsg{Type: m.Type}
	r := rd{b: b}
	m.SZSEReportHeader.read(&r)
	m.OrderID, m.ClOrdID = r.str(16), r.str(10)
	if typ == SZSEExecutionReport {
		m.HasQuoteMsgID = len(b) >= 163
	}
	if m.HasQuoteMsgID {
		m.QuoteMsgID = r.str(10)
	}
	m.ExecID, m.ExecType, m.OrdStatus = r.str(16), r.char(), r.char()
	m.LastPx, m.LastQty, m.LeavesQty, m.CumQty = r.i64(), r.i64(), r.i64(), r.i64()
	m.Side, m.AccountID, m.BranchID = r.char(), r.sym(12), r.sym(4)
	if typ == SZSEExecutionReport {
		m.CashMargin = r.char()
	} else {
		m.Extension = r.rest()
	}
	return r.err
}
func (m *SZSEExecutionReportMsg) AppendBody(d []byte) []byte {
	d = m.SZSEReportHeader.append(d)
	d = putStr(putStr(d, m.OrderID, 16), m.ClOrdID, 10)
	if m.HasQuoteMsgID {
		d = putStr(d, m.QuoteMsgID, 10)
	}
	d = putChar(putChar(putStr(d, m.ExecID, 16), m.ExecType), m.OrdStatus)
	d = putI64(putI64(putI64(putI64(d, m.LastPx), m.LastQty), m.LeavesQty), m.CumQty)
	d = putStr(putStr(putChar(d, m.Side), m.AccountID, 12), m.BranchID, 4)
	if m.MsgType() == SZSEExecutionReport {
		return putChar(d, m.CashMargin)
	}
	return append(d, m.Extension...)
}

// SZSECancelRejectMsg is CancelReject (290008).
type SZSECancelRejectMsg struct {
	SZSEReportHeader
	ClOrdID      string
	OrigClOrdID  string
	Side         byte
	OrdStatus    byte
	CxlRejReason uint16
	RejectText   string
	OrderID      string
}

func (m *SZSECancelRejectMsg) MsgType() uint32 { return SZSECancelReject }
func (m *SZSECancelRejectMsg) DecodeBody(b []byte) error {
	*m = SZSECancelRejectMsg{}
	r := rd{b: b}
	m.SZSEReportHeader.read(&r)
	m.ClOrdID, m.OrigClOrdID, m.Side, m.OrdStatus = r.str(10), r.str(10), r.char(), r.char()
	m.CxlRejReason, m.RejectText, m.OrderID = r.u16(), r.str(16), r.str(16)
	return r.err
}
func (m *SZSECancelRejectMsg) AppendBody(d []byte) []byte {
	d = m.SZSEReportHeader.append(d)
	d = putChar(putChar(putStr(putStr(d, m.ClOrdID, 10), m.OrigClOrdID, 10), m.Side), m.OrdStatus)
	return putStr(putStr(putU16(d, m.CxlRejReason), m.RejectText, 16), m.OrderID, 16)
}
