package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/market"
)

// Input values are 8 bytes of event time, then either JSON (the first byte
// is '{': what earlier versions wrote, still read) or a format byte and a
// binary body. The binary form covers the inputs that arrive at wire speed
// (captured events, market snapshots, ledger events, ticks); the rare
// others (parameter versions, base data) stay JSON after formatJSON.
const (
	formatBinary = 0x01 // binary Input, see appendInput
	formatJSON   = 0x02 // JSON Input after the format byte
)

// errCodec is returned (wrapped) for a stored input that does not decode.
var errCodec = errors.New("store: bad input encoding")

// encodeInput appends the stored value of in to dst.
func encodeInput(dst []byte, in *risk.Input) ([]byte, error) {
	dst = binary.BigEndian.AppendUint64(dst, uint64(in.Time().UnixNano()))
	switch in.Kind {
	case risk.InputEvent, risk.InputSnapshot, risk.InputLedger, risk.InputTick:
		if (in.Kind == risk.InputEvent && in.Event == nil) || (in.Kind == risk.InputSnapshot && in.Snapshot == nil) ||
			(in.Kind == risk.InputLedger && in.Ledger == nil) {
			break
		}
		return appendInput(append(dst, formatBinary), in), nil
	}
	js, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return append(append(dst, formatJSON), js...), nil
}

// decodeInput reads a stored value written by encodeInput or as JSON.
func decodeInput(v []byte, in *risk.Input) error {
	if len(v) < 9 {
		return fmt.Errorf("%w: %d bytes", errCodec, len(v))
	}
	switch b := v[8:]; b[0] {
	case '{':
		return json.Unmarshal(b, in)
	case formatJSON:
		return json.Unmarshal(b[1:], in)
	case formatBinary:
		r := reader{b: b[1:]}
		*in = risk.Input{}
		r.input(in)
		if r.err != nil {
			return r.err
		}
		if len(r.b) != 0 {
			return fmt.Errorf("%w: %d trailing bytes", errCodec, len(r.b))
		}
		return nil
	default:
		return fmt.Errorf("%w: format %#x", errCodec, b[0])
	}
}

// appendInput writes the binary body: Seq, Kind, then the kind's fields
// in declaration order. Adding a field to one of these structs means adding
// it here and in reader.input (TestInputCodec_EveryField fails otherwise).
func appendInput(b []byte, in *risk.Input) []byte {
	b = binary.AppendUvarint(b, in.Seq)
	b = append(b, byte(in.Kind))
	switch in.Kind {
	case risk.InputEvent:
		e := in.Event
		b = binary.AppendUvarint(b, e.Seq)
		b = appendTime(b, e.CaptureTime)
		b = appendString(b, e.Stream)
		b = binary.AppendUvarint(b, e.Offset)
		b = append(b, byte(e.Direction), byte(e.Kind), byte(e.Market))
		b = appendString(b, e.Gateway)
		b = appendString(b, e.Account)
		b = appendString(b, e.Branch)
		b = appendString(b, e.Security)
		b = append(b, byte(e.Side))
		b = appendString(b, e.OrdType)
		b = binary.AppendVarint(b, e.Price)
		b = binary.AppendVarint(b, e.Qty)
		b = binary.AppendVarint(b, e.LeavesQty)
		b = binary.AppendVarint(b, e.CumQty)
		b = appendString(b, e.ClOrdID)
		b = appendString(b, e.OrigClOrdID)
		b = appendString(b, e.OrderID)
		b = appendString(b, e.ExecID)
		b = appendBool(b, e.Cancelled)
		b = binary.AppendVarint(b, int64(e.RejectCode))
		b = appendString(b, e.Text)
		b = appendTime(b, e.TransactTime)
		b = binary.AppendVarint(b, e.RecNum)
		b = binary.AppendVarint(b, e.OrigRecNum)
		b = binary.AppendVarint(b, int64(e.PartitionNo))
		b = binary.AppendVarint(b, e.ReportIndex)
		b = appendString(b, e.MsgType)
	case risk.InputSnapshot:
		s := in.Snapshot
		b = appendTime(b, s.Time)
		b = append(b, byte(s.Market))
		b = appendString(b, s.Security)
		for _, v := range [...]int64{s.Last, s.PrevClose, s.LimitUp, s.LimitDown, s.Volume, s.Turnover} {
			b = binary.AppendVarint(b, v)
		}
		b = appendLevels(b, s.Bids)
		b = appendLevels(b, s.Asks)
	case risk.InputLedger:
		l := in.Ledger
		b = appendString(b, l.ID)
		b = append(b, byte(l.Kind))
		b = appendTime(b, l.Time)
		b = appendString(b, l.Account)
		b = appendString(b, l.Security)
		b = append(b, byte(l.Side))
		b = binary.AppendVarint(b, l.Price)
		b = binary.AppendVarint(b, l.Qty)
		b = appendString(b, l.ExecID)
		b = binary.AppendVarint(b, l.AmountFen)
	case risk.InputTick:
		b = appendTime(b, in.Tick)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// appendTime writes a time as a presence byte, then Unix nanoseconds and
// the zone offset in seconds (the offset is what JSON kept too).
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	_, off := t.Zone()
	b = append(b, 1)
	b = binary.AppendVarint(b, t.UnixNano())
	return binary.AppendVarint(b, int64(off))
}

func appendLevels(b []byte, ls []market.Level) []byte {
	if ls == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(ls))+1)
	for _, l := range ls {
		b = binary.AppendVarint(b, l.Price)
		b = binary.AppendVarint(b, l.Qty)
	}
	return b
}

// reader decodes the binary body; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", errCodec, what)
	}
	r.b = nil
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("uvarint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.fail("byte")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail("string length")
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// zones caches the fixed zones decoded times carry, by offset.
var zones sync.Map // int64 → *time.Location

func (r *reader) time() time.Time {
	if r.byte() == 0 {
		return time.Time{}
	}
	ns, off := r.varint(), r.varint()
	t := time.Unix(0, ns).UTC()
	if off == 0 {
		return t
	}
	loc, ok := zones.Load(off)
	if !ok {
		loc, _ = zones.LoadOrStore(off, time.FixedZone("", int(off)))
	}
	return t.In(loc.(*time.Location))
}

func (r *reader) levels() []market.Level {
	n := r.uvarint()
	if n == 0 {
		return nil
	}
	n--
	if n > uint64(len(r.b)) { // every level takes at least 2 bytes
		r.fail("level count")
		return nil
	}
	ls := make([]market.Level, n)
	for i := range ls {
		ls[i].Price, ls[i].Qty = r.varint(), r.varint()
	}
	return ls
}

func (r *reader) input(in *risk.Input) {
	in.Seq = r.uvarint()
	in.Kind = risk.InputKind(r.byte())
	switch in.Kind {
	case risk.InputEvent:
		e := &capture.Event{}
		in.Event = e
		e.Seq = r.uvarint()
		e.CaptureTime = r.time()
		e.Stream = r.string()
		e.Offset = r.uvarint()
		e.Direction, e.Kind, e.Market = capture.Direction(r.byte()), capture.Kind(r.byte()), capture.Market(r.byte())
		e.Gateway, e.Account, e.Branch, e.Security = r.string(), r.string(), r.string(), r.string()
		e.Side = capture.Side(r.byte())
		e.OrdType = r.string()
		e.Price, e.Qty, e.LeavesQty, e.CumQty = r.varint(), r.varint(), r.varint(), r.varint()
		e.ClOrdID, e.OrigClOrdID, e.OrderID, e.ExecID = r.string(), r.string(), r.string(), r.string()
		e.Cancelled = r.byte() != 0
		e.RejectCode = int32(r.varint())
		e.Text = r.string()
		e.TransactTime = r.time()
		e.RecNum, e.OrigRecNum = r.varint(), r.varint()
		e.PartitionNo, e.ReportIndex = int32(r.varint()), r.varint()
		e.MsgType = r.string()
	case risk.InputSnapshot:
		s := &market.Snapshot{}
		in.Snapshot = s
		s.Time = r.time()
		s.Market = capture.Market(r.byte())
		s.Security = r.string()
		s.Last, s.PrevClose, s.LimitUp, s.LimitDown, s.Volume, s.Turnover = r.varint(), r.varint(), r.varint(), r.varint(), r.varint(), r.varint()
		s.Bids, s.Asks = r.levels(), r.levels()
	case risk.InputLedger:
		l := &risk.LedgerEvent{}
		in.Ledger = l
		l.ID = r.string()
		l.Kind = risk.LedgerKind(r.byte())
		l.Time = r.time()
		l.Account, l.Security = r.string(), r.string()
		l.Side = capture.Side(r.byte())
		l.Price, l.Qty = r.varint(), r.varint()
		l.ExecID = r.string()
		l.AmountFen = r.varint()
	case risk.InputTick:
		in.Tick = r.time()
	default:
		r.fail(fmt.Sprintf("kind %d", in.Kind))
	}
}
