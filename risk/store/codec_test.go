package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/market"
)

// fill sets every field of the struct v points to a distinct non-zero
// value, so a field the codec forgets shows up as a difference.
func fill(t *testing.T, v reflect.Value, n *int64) {
	t.Helper()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		*n++
		switch f.Kind() {
		case reflect.String:
			f.SetString("s" + string(rune('A'+*n%26)) + time.Duration(*n).String())
		case reflect.Int32, reflect.Int64:
			f.SetInt(-*n * 1000003)
		case reflect.Uint8:
			f.SetUint(uint64(*n%3 + 1))
		case reflect.Uint64:
			f.SetUint(uint64(*n) * 7919)
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice: // []market.Level
			ls := []market.Level{{Price: *n, Qty: -*n}, {Price: 2 * *n, Qty: 3}}
			f.Set(reflect.ValueOf(ls))
		case reflect.Struct:
			if f.Type() == reflect.TypeOf(time.Time{}) {
				f.Set(reflect.ValueOf(time.Unix(1700000000+*n, *n*1001).In(time.FixedZone("CST", 8*3600))))
				continue
			}
			fill(t, f, n)
		default:
			t.Fatalf("field %s: kind %v not handled by the test", v.Type().Field(i).Name, f.Kind())
		}
	}
}

func roundTrip(t *testing.T, in risk.Input) risk.Input {
	t.Helper()
	v, err := encodeInput(nil, &in)
	if err != nil {
		t.Fatal(err)
	}
	if binary.BigEndian.Uint64(v) != uint64(in.Time().UnixNano()) {
		t.Fatal("time prefix differs")
	}
	var out risk.Input
	if err := decodeInput(v, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Every field of every binary-encoded kind survives the round trip, as JSON
// would have kept it.
func TestInputCodec_EveryField(t *testing.T) {
	var n int64
	var ev capture.Event
	fill(t, reflect.ValueOf(&ev).Elem(), &n)
	var snap market.Snapshot
	fill(t, reflect.ValueOf(&snap).Elem(), &n)
	var led risk.LedgerEvent
	fill(t, reflect.ValueOf(&led).Elem(), &n)
	for _, in := range []risk.Input{
		{Seq: 1, Kind: risk.InputEvent, Event: &ev},
		{Seq: 2, Kind: risk.InputSnapshot, Snapshot: &snap},
		{Seq: 3, Kind: risk.InputLedger, Ledger: &led},
		{Seq: 4, Kind: risk.InputTick, Tick: time.Unix(1700000000, 5).UTC()},
		{Seq: 5, Kind: risk.InputEvent, Event: &capture.Event{Account: "A"}}, // zero times, empty strings
		{Seq: 6, Kind: risk.InputSnapshot, Snapshot: &market.Snapshot{Security: "600000", Bids: []market.Level{}}},
		{Seq: 7, Kind: risk.InputHolding, Holding: &risk.Holding{Account: "A", Security: "S", Qty: 9}}, // JSON after the format byte
		{Seq: 8, Kind: risk.InputParams, Params: &risk.ParamVersion{Version: 3, Who: "ops"}},
	} {
		out := roundTrip(t, in)
		want, _ := json.Marshal(in)
		got, _ := json.Marshal(out)
		if string(got) != string(want) {
			t.Fatalf("kind %d:\n got %s\nwant %s", in.Kind, got, want)
		}
		if in.Kind == risk.InputSnapshot && (out.Snapshot.Bids == nil) != (in.Snapshot.Bids == nil) {
			t.Fatalf("nil-ness of bids changed")
		}
	}
}

// Stores written before the binary format hold JSON after the time: still read.
func TestInputCodec_ReadsOldJSON(t *testing.T) {
	in := risk.Input{Seq: 9, Kind: risk.InputEvent, Event: &capture.Event{Account: "A1", Qty: 100, CaptureTime: time.Unix(1700000000, 0).UTC()}}
	js, _ := json.Marshal(in)
	v := append(binary.BigEndian.AppendUint64(nil, uint64(in.Time().UnixNano())), js...)
	var out risk.Input
	if err := decodeInput(v, &out); err != nil {
		t.Fatal(err)
	}
	if out.Event == nil || out.Event.Account != "A1" || out.Event.Qty != 100 || out.Seq != 9 {
		t.Fatalf("decoded %+v", out)
	}
}

func TestInputCodec_CorruptFailsCleanly(t *testing.T) {
	in := risk.Input{Seq: 1, Kind: risk.InputEvent, Event: &capture.Event{Account: "A1", Text: "x"}}
	v, _ := encodeInput(nil, &in)
	for cut := 8; cut < len(v); cut++ {
		var out risk.Input
		if err := decodeInput(v[:cut], &out); !errors.Is(err, errCodec) {
			t.Fatalf("cut at %d: err %v", cut, err)
		}
	}
	bad := append([]byte(nil), v...)
	bad[8] = 0x7F
	var out risk.Input
	if err := decodeInput(bad, &out); !errors.Is(err, errCodec) {
		t.Fatalf("unknown format: %v", err)
	}
}

func BenchmarkInputCodec(b *testing.B) {
	in := risk.Input{Seq: 123456, Kind: risk.InputEvent, Event: &capture.Event{Seq: 99, CaptureTime: time.Now(), Stream: "10.0.0.1:40000->10.0.0.2:9000",
		Kind: capture.KindOrder, Market: capture.MarketSZSE, Account: "0123456789", Security: "000001", Price: 100000, Qty: 100, ClOrdID: "C000001", MsgType: "szse/100101"}}
	var buf []byte
	for b.Loop() {
		buf, _ = encodeInput(buf[:0], &in)
	}
	b.ReportMetric(float64(len(buf)), "bytes")
}
