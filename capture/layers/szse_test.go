package layers

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/gopacket"
)

// szseSamples holds one message of every type the codec knows, with every
// field set to a non-zero value so that a field lost on either side of the
// round trip shows.
func szseSamples() []SZSEMessage {
	hdr := SZSEReportHeader{PartitionNo: 3, ReportIndex: 4124, ApplID: "010", ReportingPBUID: "123456", SubmittingPBUID: "654321",
		SecurityID: "000001", SecurityIDSource: "102", OwnerType: 1, ClearingFirm: "01", TransactTime: 20130228144215555, UserInfo: "tag1"}
	spot := SZSESpotExt{StopPx: 1, MinQty: 100, MaxPriceLevels: 2, TimeInForce: '0', CashMargin: '1'}
	return []SZSEMessage{
		&SZSELogonMsg{SenderCompID: "OMS01", TargetCompID: "TGW01", HeartBtInt: 30, Password: "secret", DefaultApplVerID: "1.29"},
		&SZSELogoutMsg{SessionStatus: 4, Text: "bye"},
		&SZSEHeartbeatMsg{},
		&SZSEBusinessRejectMsg{ApplID: "010", TransactTime: 20240102093000123, SubmittingPBUID: "123456", SecurityID: "000002",
			SecurityIDSource: "102", RefSeqNum: 9, RefMsgType: SZSENewOrder, BusinessRejectRefID: "C000000009", BusinessRejectReason: 5, BusinessRejectText: "bad price"},
		&SZSEReportSyncMsg{Partitions: []SZSEPartitionIndex{{1, 1}, {2, 77}}},
		&SZSEPlatformStateMsg{PlatformID: 1, PlatformState: 2},
		&SZSEReportFinishedMsg{PartitionNo: 1, ReportIndex: 99, PlatformID: 1},
		&SZSEPlatformInfoMsg{PlatformID: 1, Partitions: []int32{1, 2, 3}},
		&SZSETradingSessionStatusMsg{MarketID: "102", MarketSegmentID: "FI", TradingSessionID: "1", TradingSessionSubID: "2",
			TradSesStatus: 2, TradSesStartTime: 20240102093000000, TradSesEndTime: 20240102150000000},
		&SZSENewOrderMsg{ApplID: "010", SubmittingPBUID: "123456", SecurityID: "000001", SecurityIDSource: "102", OwnerType: 1,
			ClearingFirm: "01", TransactTime: 20240102093000123, UserInfo: "u1", ClOrdID: "C000000001", AccountID: "0100004698",
			BranchID: "0001", OrderRestrictions: "1", Side: '1', OrdType: '2', OrderQty: 30000, Price: 171000, Spot: spot},
		&SZSENewOrderMsg{Type: 100201, ApplID: "020", SubmittingPBUID: "123456", SecurityID: "131810", SecurityIDSource: "102", OwnerType: 1,
			ClearingFirm: "01", TransactTime: 20240102093000123, UserInfo: "u1", ClOrdID: "C000000002", AccountID: "0100004698",
			BranchID: "0001", OrderRestrictions: "E", Side: '2', OrdType: '2', OrderQty: 100000, Price: 21000, Extension: []byte{0, 1, 2, 3}},
		&SZSECancelRequestMsg{ApplID: "010", SubmittingPBUID: "123456", SecurityID: "000001", SecurityIDSource: "102", OwnerType: 1,
			ClearingFirm: "01", TransactTime: 20240102093001000, UserInfo: "u1", ClOrdID: "X000000001", OrigClOrdID: "C000000001",
			Side: '1', OrderID: "6B4569CDNB009C03", OrderQty: 30000},
		&SZSEExecutionConfirmMsg{SZSEReportHeader: hdr, OrderID: "6B4569CDNB009C03", ClOrdID: "C000000001", OrigClOrdID: "C000000000",
			ExecID: "1100000000004123", ExecType: '0', OrdStatus: '0', OrdRejReason: 7, LeavesQty: 30000, CumQty: 1, Side: '1', OrdType: '2',
			OrderQty: 30000, Price: 171000, AccountID: "0100004698", BranchID: "0001", OrderRestrictions: "1", Spot: spot},
		&SZSEExecutionConfirmMsg{SZSEReportHeader: hdr, OrderID: "6B4569CDNB009C03", ClOrdID: "C000000001", HasQuoteMsgID: true, QuoteMsgID: "Q1",
			OrigClOrdID: "C000000000", ExecID: "1100000000004123", ExecType: '4', OrdStatus: '4', OrdRejReason: 7, LeavesQty: 0, CumQty: 1,
			Side: '1', OrdType: '2', OrderQty: 30000, Price: 171000, AccountID: "0100004698", BranchID: "0001", OrderRestrictions: "1", Spot: spot},
		&SZSEExecutionReportMsg{SZSEReportHeader: hdr, OrderID: "6B4569CDNB009C03", ClOrdID: "C000000001", ExecID: "1100000000004124",
			ExecType: 'F', OrdStatus: '1', LastPx: 171000, LastQty: 30000, LeavesQty: 90000, CumQty: 30000, Side: '1',
			AccountID: "0100004698", BranchID: "0001", CashMargin: '1'},
		&SZSEExecutionReportMsg{SZSEReportHeader: hdr, OrderID: "6B4569CDNB009C03", ClOrdID: "C000000001", HasQuoteMsgID: true, QuoteMsgID: "Q2",
			ExecID: "1100000000004125", ExecType: 'F', OrdStatus: '2', LastPx: 171000, LastQty: 90000, LeavesQty: 0, CumQty: 120000, Side: '1',
			AccountID: "0100004698", BranchID: "0001", CashMargin: '1'},
		&SZSECancelRejectMsg{SZSEReportHeader: hdr, ClOrdID: "X000000001", OrigClOrdID: "C000000001", Side: '1', OrdStatus: '2',
			CxlRejReason: 2, RejectText: "too late", OrderID: "6B4569CDNB009C03"},
	}
}

// Reference: PROTOCOLS.md 1.5–1.11, body sizes.
var wantBodyLen = map[uint32][]int{
	SZSELogon: {92}, SZSELogout: {204}, SZSEHeartbeat: {0}, SZSEBusinessReject: {103}, SZSENewOrder: {109},
	SZSECancelRequest: {86}, SZSEExecutionConfirm: {189, 199}, SZSEExecutionReport: {153, 163}, SZSECancelReject: {115},
	SZSEPlatformStateInfo: {4}, SZSEReportFinished: {14},
}

func TestSZSE_RoundTrip(t *testing.T) {
	for _, m := range szseSamples() {
		t.Run(reflect.TypeOf(m).Elem().Name(), func(t *testing.T) {
			frame := AppendSZSE(nil, m)
			var f SZSEFrame
			if err := f.DecodeFromBytes(frame, gopacket.NilDecodeFeedback); err != nil {
				t.Fatalf("decode frame: %v", err)
			}
			if f.MsgType != m.MsgType() || f.Len() != len(frame) {
				t.Fatalf("got type %d len %d, want %d len %d", f.MsgType, f.Len(), m.MsgType(), len(frame))
			}
			if sizes, ok := wantBodyLen[f.MsgType]; ok {
				if !slicesContains(sizes, int(f.BodyLength)) {
					t.Errorf("body length %d, want one of %v", f.BodyLength, sizes)
				}
			}
			if !SZSEPlausible(f.MsgType, f.BodyLength) {
				t.Errorf("SZSEPlausible(%d, %d) = false", f.MsgType, f.BodyLength)
			}
			got, err := DecodeSZSE(f.MsgType, f.Payload)
			if err != nil {
				t.Fatalf("decode body: %v", err)
			}
			if !reflect.DeepEqual(normalize(got), normalize(m)) {
				t.Errorf("round trip\n got %+v\nwant %+v", got, m)
			}
			if again := AppendSZSE(nil, got); string(again) != string(frame) {
				t.Errorf("re-encoding differs")
			}
		})
	}
}

func slicesContains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// normalize fills the default Type so that a zero Type and the explicit
// default compare equal.
func normalize(m SZSEMessage) SZSEMessage {
	switch v := m.(type) {
	case *SZSENewOrderMsg:
		c := *v
		c.Type = v.MsgType()
		return &c
	case *SZSEExecutionConfirmMsg:
		c := *v
		c.Type = v.MsgType()
		return &c
	case *SZSEExecutionReportMsg:
		c := *v
		c.Type = v.MsgType()
		return &c
	}
	return m
}

// Reference: PROTOCOLS.md 1.1, the heartbeat is exactly 00000003 00000000 00000003.
func TestSZSEFrame_Heartbeat(t *testing.T) {
	got := AppendSZSE(nil, &SZSEHeartbeatMsg{})
	want := []byte{0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3}
	if string(got) != string(want) {
		t.Fatalf("got % x, want % x", got, want)
	}
}

func TestSZSEFrame_Errors(t *testing.T) {
	good := AppendSZSE(nil, szseSamples()[0])
	bad := append([]byte(nil), good...)
	bad[20] ^= 0x01
	huge := []byte{0, 0, 0, 1, 0x7f, 0, 0, 0}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"short header", good[:5], ErrTruncated},
		{"short body", good[:50], ErrTruncated},
		{"bad checksum", bad, ErrBadChecksum},
		{"huge length", huge, ErrBadLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f SZSEFrame
			if err := f.DecodeFromBytes(tt.in, gopacket.NilDecodeFeedback); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDecodeSZSE_UnknownTypeIsTyped(t *testing.T) {
	_, err := DecodeSZSE(100103, []byte{1, 2, 3})
	var ue *UnsupportedError
	if !errors.As(err, &ue) || ue.Type != 100103 {
		t.Fatalf("got %v, want *UnsupportedError for 100103", err)
	}
}

func TestDecodeSZSE_TruncatedBody(t *testing.T) {
	for _, m := range szseSamples() {
		body := m.AppendBody(nil)
		if len(body) == 0 {
			continue
		}
		if _, err := DecodeSZSE(m.MsgType(), body[:len(body)-1]); err == nil {
			if _, ok := m.(*SZSENewOrderMsg); ok && m.MsgType() != SZSENewOrder {
				continue // raw extension absorbs the cut
			}
			if c, ok := m.(*SZSEExecutionConfirmMsg); ok && c.HasQuoteMsgID {
				continue // 198 bytes reads as the 189-byte layout plus a tail
			}
			if c, ok := m.(*SZSEExecutionReportMsg); ok && c.HasQuoteMsgID {
				continue
			}
			t.Errorf("%T: truncated body decoded without error", m)
		}
	}
}

// Reference: SZSE 成交汇总 guide Ver1.07 worked 200115 (PROTOCOLS.md 1.9):
// LastPx 171000 ⇒ 17.1000, LastQty 30000 ⇒ 300.00, TransactTime 20130228144215555.
func TestSZSETime_GuideExample(t *testing.T) {
	got := SZSETime(20130228144215555)
	want := time.Date(2013, 2, 28, 14, 42, 15, 555e6, time.FixedZone("CST", 8*3600))
	if !got.Equal(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if back := SZSETimestamp(got); back != 20130228144215555 {
		t.Fatalf("SZSETimestamp = %d", back)
	}
	if !SZSETime(20131399000000000).IsZero() {
		t.Fatal("month 13 accepted")
	}
}

func TestSZSEFrame_DoesNotMalloc(t *testing.T) {
	frame := AppendSZSE(nil, szseSamples()[9])
	var f SZSEFrame
	if n := testing.AllocsPerRun(100, func() {
		if err := f.DecodeFromBytes(frame, gopacket.NilDecodeFeedback); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("DecodeFromBytes allocates %v times", n)
	}
}

func BenchmarkSZSEFrame_Decode(b *testing.B) {
	frame := AppendSZSE(nil, szseSamples()[9])
	var f SZSEFrame
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		_ = f.DecodeFromBytes(frame, gopacket.NilDecodeFeedback)
	}
}

func BenchmarkDecodeSZSE_NewOrder(b *testing.B) {
	body := szseSamples()[9].AppendBody(nil)
	b.SetBytes(int64(len(body) + 12))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = DecodeSZSE(SZSENewOrder, body)
	}
}

// A stream decoder reuses its message structs and shares repeated field
// values: decoding a new order then costs only its unique ClOrdID.
func TestSZSEScratch_DecodeAllocatesOnlyUniqueFields(t *testing.T) {
	m := &SZSENewOrderMsg{Type: SZSENewOrder, ApplID: "010", SubmittingPBUID: "PBU001", SecurityID: "000001", SecurityIDSource: "102",
		ClOrdID: "C000000001", AccountID: "0123456789", BranchID: "0001", Side: '1', OrdType: '2', OrderQty: 100, Price: 10000}
	body := m.AppendBody(nil)
	var s SZSEScratch
	if _, err := s.Decode(SZSENewOrder, body); err != nil {
		t.Fatal(err)
	}
	n := testing.AllocsPerRun(100, func() {
		if _, err := s.Decode(SZSENewOrder, body); err != nil {
			t.Fatal(err)
		}
	})
	if n > 1 {
		t.Fatalf("decoding a new order allocates %v times, want at most 1 (the ClOrdID)", n)
	}
	got, _ := s.Decode(SZSENewOrder, body)
	if o := got.(*SZSENewOrderMsg); o.AccountID != m.AccountID || o.ClOrdID != m.ClOrdID || o.SecurityID != m.SecurityID {
		t.Fatalf("decoded %+v", o)
	}
}
