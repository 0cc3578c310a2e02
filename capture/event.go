package capture

import (
	"fmt"
	"time"
)

// Kind is what an order-flow event is.
type Kind uint8

const (
	KindUnknown      Kind = iota
	KindOrder             // a new order, towards the exchange
	KindCancel            // a cancel request, towards the exchange
	KindConfirm           // the exchange accepted an order (or a cancel took effect: see Cancelled)
	KindReject            // the exchange rejected an order or a message
	KindFill              // a trade execution report
	KindCancelReject      // the exchange refused a cancel
)

var kindNames = [...]string{"unknown", "order", "cancel", "confirm", "reject", "fill", "cancel-reject"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Market is the exchange an event belongs to.
type Market uint8

const (
	MarketUnknown Market = iota
	MarketSSE            // Shanghai, order database over TDS
	MarketSZSE           // Shenzhen, Binary trade gateway
)

func (m Market) String() string {
	switch m {
	case MarketSSE:
		return "SSE"
	case MarketSZSE:
		return "SZSE"
	}
	return "unknown"
}

// Side of an order.
type Side uint8

const (
	SideUnknown Side = iota
	SideBuy
	SideSell
)

func (s Side) String() string {
	switch s {
	case SideBuy:
		return "buy"
	case SideSell:
		return "sell"
	}
	return "unknown"
}

// Direction of the flow an event was decoded from.
type Direction uint8

const (
	DirUnknown      Direction = iota
	DirToExchange             // OMS → exchange: orders and cancels
	DirFromExchange           // exchange → OMS: confirmations, fills, rejects
)

// Scales of the integer fields of Event.
const (
	// PriceScale: Price and LastPx are CNY × 10 000 (SZSE Binary's own scale).
	PriceScale = 10_000
	// Qty, LeavesQty and CumQty are whole shares (SZSE's ×100 is divided out).
)

// Event is one normalized order-flow event, the unit the risk core consumes.
// The same type serves both markets; fields a message does not carry are
// zero.
type Event struct {
	// Seq numbers events of one capture point in one monotonic trade series,
	// from 1, in the order they were decoded.
	Seq uint64 `json:"seq"`
	// CaptureTime is the packet's capture timestamp: downstream clocks run
	// on it, never on the local wall clock.
	CaptureTime time.Time `json:"capture_time"`
	// Stream identifies the TCP flow and direction ("10.0.0.1:5000->10.0.0.2:9000"),
	// Offset the byte offset in that stream where the message began.
	Stream    string    `json:"stream"`
	Offset    uint64    `json:"offset"`
	Direction Direction `json:"direction"`

	Kind   Kind   `json:"kind"`
	Market Market `json:"market"`
	// Gateway is the seat / trading unit (PBU) or the SSE gateway id.
	Gateway string `json:"gateway,omitempty"`
	// Account is the shareholder (securities) account, e.g. "0601234567".
	Account  string `json:"account,omitempty"`
	Branch   string `json:"branch,omitempty"`
	Security string `json:"security,omitempty"`
	Side     Side   `json:"side,omitempty"`
	// OrdType: 'limit' or 'market' as the protocol says ('2' limit in SZSE).
	OrdType string `json:"ord_type,omitempty"`
	// Price is the order's limit price (× PriceScale); for fills, the trade price.
	Price int64 `json:"price,omitempty"`
	// Qty is the order quantity (shares); for fills, the traded quantity.
	Qty       int64 `json:"qty,omitempty"`
	LeavesQty int64 `json:"leaves_qty,omitempty"`
	CumQty    int64 `json:"cum_qty,omitempty"`

	ClOrdID     string `json:"cl_ord_id,omitempty"`
	OrigClOrdID string `json:"orig_cl_ord_id,omitempty"`
	OrderID     string `json:"order_id,omitempty"`
	ExecID      string `json:"exec_id,omitempty"`
	// Cancelled marks a confirm that reports a cancel taking effect.
	Cancelled bool `json:"cancelled,omitempty"`
	// RejectCode and Text explain rejects and cancel rejects.
	RejectCode int32  `json:"reject_code,omitempty"`
	Text       string `json:"text,omitempty"`
	// TransactTime is the time the message itself carries (OMS or exchange).
	TransactTime time.Time `json:"transact_time,omitempty"`

	// RecNum is the SSE order-table record number (ashare_ordwth.rec_num,
	// or the confirmation's own rec_num); OrigRecNum the rec_num a cancel
	// (owflag WTH) refers to (ordrec). Zero for SZSE.
	RecNum     int64 `json:"rec_num,omitempty"`
	OrigRecNum int64 `json:"orig_rec_num,omitempty"`
	// PartitionNo and ReportIndex identify an SZSE execution report across
	// replays (de-duplicated on them); zero elsewhere.
	PartitionNo int32 `json:"partition_no,omitempty"`
	ReportIndex int64 `json:"report_index,omitempty"`
	// MsgType is the wire message: "szse/100101", "tds/sqlbatch", "tds/rpc",
	// "tds/rows" ...
	MsgType string `json:"msg_type,omitempty"`
}

func (d Direction) String() string {
	switch d {
	case DirToExchange:
		return "to-exchange"
	case DirFromExchange:
		return "from-exchange"
	}
	return "unknown"
}

// MarshalText makes JSON print names rather than numbers.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// MarshalText makes JSON print names rather than numbers.
func (m Market) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// MarshalText makes JSON print names rather than numbers.
func (s Side) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalText makes JSON print names rather than numbers.
func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText accepts the names MarshalText prints.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("capture: unknown kind %q", b)
}

// UnmarshalText accepts the names MarshalText prints.
func (m *Market) UnmarshalText(b []byte) error {
	for _, v := range []Market{MarketUnknown, MarketSSE, MarketSZSE} {
		if v.String() == string(b) {
			*m = v
			return nil
		}
	}
	return fmt.Errorf("capture: unknown market %q", b)
}

// UnmarshalText accepts the names MarshalText prints.
func (s *Side) UnmarshalText(b []byte) error {
	for _, v := range []Side{SideUnknown, SideBuy, SideSell} {
		if v.String() == string(b) {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("capture: unknown side %q", b)
}

// UnmarshalText accepts the names MarshalText prints.
func (d *Direction) UnmarshalText(b []byte) error {
	for _, v := range []Direction{DirUnknown, DirToExchange, DirFromExchange} {
		if v.String() == string(b) {
			*d = v
			return nil
		}
	}
	return fmt.Errorf("capture: unknown direction %q", b)
}
