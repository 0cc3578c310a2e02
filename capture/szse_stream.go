package capture

import (
	"encoding/binary"
	"errors"

	"github.com/custody-ledger/custody/capture/layers"
	"github.com/google/gopacket"
	"github.com/google/gopacket/reassembly"
)

// szseHalf cuts one direction of an SZSE Binary connection into frames.
// After a gap or a bad checksum it resynchronises: it scans for the next
// offset where a plausible header (known type, matching body length) is
// followed by a valid checksum, and counts the bytes it skipped.
type szseHalf struct {
	c      *conn
	dir    int
	buf    []byte // bytes not yet consumed
	bufOff uint64 // stream offset of buf[0]
	resync bool
	frame  layers.SZSEFrame
}

func (h *szseHalf) gap() {
	h.c.d.stats.SkippedBytes += uint64(len(h.buf))
	h.buf = h.buf[:0]
	h.resync = true
}

func (h *szseHalf) end() {
	h.c.d.stats.SkippedBytes += uint64(len(h.buf))
	h.buf = nil
}

func (h *szseHalf) feed(data []byte, offset uint64, sg reassembly.ScatterGather) {
	prev := len(h.buf)
	var b []byte
	if prev == 0 {
		b, h.bufOff = data, offset // common case: no copy
	} else {
		h.buf = append(h.buf, data...)
		b = h.buf
	}
	n := h.consume(b, prev, sg)
	rest := b[n:]
	h.bufOff += uint64(n)
	if prev == 0 {
		h.buf = append(h.buf[:0], rest...)
	} else {
		h.buf = append(h.buf[:0], rest...)
	}
}

// consume decodes every whole frame in b and returns the bytes used. prev
// is how many bytes of b came from earlier feeds (for capture times).
func (h *szseHalf) consume(b []byte, prev int, sg reassembly.ScatterGather) int {
	st := &h.c.d.stats
	off := 0
	for len(b)-off >= layers.SZSEHeaderLen {
		if h.resync {
			i, ok := h.scan(b[off:])
			st.SkippedBytes += uint64(i)
			off += i
			if !ok {
				return off // wait for more bytes
			}
			h.resync = false
			st.Resyncs++
		}
		err := h.frame.DecodeFromBytes(b[off:], gopacket.NilDecodeFeedback)
		switch {
		case errors.Is(err, layers.ErrTruncated):
			return off
		case errors.Is(err, layers.ErrBadChecksum):
			st.BadChecksums++
			h.resync = true
			off++
			st.SkippedBytes++
			continue
		case err != nil: // insane length: not a frame boundary
			h.resync = true
			continue
		}
		n := h.frame.Len()
		end := off + n - 1 - prev // last byte, relative to this feed's data
		if end < 0 {
			end = 0
		}
		ci := sg.CaptureInfo(end)
		h.message(h.frame.MsgType, h.frame.Payload, h.bufOff+uint64(off), ci)
		off += n
	}
	return off
}

// scan looks for the next plausible frame start in b. It returns the
// offset and true when a whole frame there checks out, or the number of
// bytes that can safely be dropped and false when it needs more data.
func (h *szseHalf) scan(b []byte) (int, bool) {
	for i := 0; i+layers.SZSEHeaderLen <= len(b); i++ {
		typ := binary.BigEndian.Uint32(b[i:])
		bl := binary.BigEndian.Uint32(b[i+4:])
		if !layers.SZSEPlausible(typ, bl) {
			continue
		}
		n := layers.SZSEHeaderLen + int(bl) + layers.SZSETrailerLen
		if len(b)-i < n {
			return i, false // candidate: wait for the rest of it
		}
		if binary.BigEndian.Uint32(b[i+n-4:]) == layers.SZSEChecksum(b[i:i+n-4]) {
			return i, true
		}
	}
	keep := layers.SZSEHeaderLen - 1
	if len(b) < keep {
		return 0, false
	}
	return len(b) - keep, false
}

func szseSide(c byte) Side {
	switch c {
	case '1':
		return SideBuy
	case '2':
		return SideSell
	}
	return SideUnknown
}

func szseOrdType(c byte) string {
	switch c {
	case '1':
		return "market"
	case '2':
		return "limit"
	case 'U':
		return "best-own"
	case 0, ' ':
		return ""
	}
	return string(c)
}

// szseQty converts SZSE Qty (N15(2)) to whole shares.
func szseQty(q int64) int64 { return q / 100 }

// message turns one frame into at most one event.
func (h *szseHalf) message(typ uint32, body []byte, off uint64, ci gopacket.CaptureInfo) {
	d := h.c.d
	m, err := h.c.d.szse.Decode(typ, body)
	if err != nil {
		var ue *layers.UnsupportedError
		if errors.As(err, &ue) {
			d.stats.UnknownTypes++
			d.namedCount("szse/unknown")
		} else {
			d.stats.Undecodable++
		}
		return
	}
	counter := d.szseType(typ)
	counter.n++
	name := counter.name
	var ev *Event
	switch m := m.(type) {
	case *layers.SZSENewOrderMsg:
		ev = h.c.event(h.dir, off, ci, KindOrder, name)
		ev.Gateway, ev.Account, ev.Branch, ev.Security = m.SubmittingPBUID, m.AccountID, m.BranchID, m.SecurityID
		ev.Side, ev.OrdType, ev.Price, ev.Qty = szseSide(m.Side), szseOrdType(m.OrdType), m.Price, szseQty(m.OrderQty)
		ev.ClOrdID, ev.TransactTime = m.ClOrdID, layers.SZSETime(m.TransactTime)
	case *layers.SZSECancelRequestMsg:
		ev = h.c.event(h.dir, off, ci, KindCancel, name)
		ev.Gateway, ev.Security, ev.Side, ev.Qty = m.SubmittingPBUID, m.SecurityID, szseSide(m.Side), szseQty(m.OrderQty)
		ev.ClOrdID, ev.OrigClOrdID, ev.OrderID, ev.TransactTime = m.ClOrdID, m.OrigClOrdID, m.OrderID, layers.SZSETime(m.TransactTime)
	case *layers.SZSEExecutionConfirmMsg:
		if h.dup(&m.SZSEReportHeader) {
			return
		}
		kind := KindConfirm
		if m.ExecType == '8' {
			kind = KindReject
		}
		ev = h.report(off, ci, kind, name, &m.SZSEReportHeader)
		ev.Cancelled = m.ExecType == '4'
		ev.Account, ev.Branch, ev.Side, ev.OrdType = m.AccountID, m.BranchID, szseSide(m.Side), szseOrdType(m.OrdType)
		ev.Price, ev.Qty, ev.LeavesQty, ev.CumQty = m.Price, szseQty(m.OrderQty), szseQty(m.LeavesQty), szseQty(m.CumQty)
		ev.ClOrdID, ev.OrigClOrdID, ev.OrderID, ev.ExecID = m.ClOrdID, m.OrigClOrdID, m.OrderID, m.ExecID
		if kind == KindReject {
			ev.RejectCode = int32(m.OrdRejReason)
		}
	case *layers.SZSEExecutionReportMsg:
		if h.dup(&m.SZSEReportHeader) {
			return
		}
		ev = h.report(off, ci, KindFill, name, &m.SZSEReportHeader)
		ev.Account, ev.Branch, ev.Side = m.AccountID, m.BranchID, szseSide(m.Side)
		ev.Price, ev.Qty, ev.LeavesQty, ev.CumQty = m.LastPx, szseQty(m.LastQty), szseQty(m.LeavesQty), szseQty(m.CumQty)
		ev.ClOrdID, ev.OrderID, ev.ExecID = m.ClOrdID, m.OrderID, m.ExecID
	case *layers.SZSECancelRejectMsg:
		if h.dup(&m.SZSEReportHeader) {
			return
		}
		ev = h.report(off, ci, KindCancelReject, name, &m.SZSEReportHeader)
		ev.Side, ev.ClOrdID, ev.OrigClOrdID, ev.OrderID = szseSide(m.Side), m.ClOrdID, m.OrigClOrdID, m.OrderID
		ev.RejectCode, ev.Text = int32(m.CxlRejReason), m.RejectText
	case *layers.SZSEBusinessRejectMsg:
		ev = h.c.event(h.dir, off, ci, KindReject, name)
		ev.Gateway, ev.Security, ev.ClOrdID = m.SubmittingPBUID, m.SecurityID, m.BusinessRejectRefID
		ev.RejectCode, ev.Text, ev.TransactTime = int32(m.BusinessRejectReason), m.BusinessRejectText, layers.SZSETime(m.TransactTime)
	default:
		return // session messages: counted, no event
	}
	d.publish(ev)
}

func (h *szseHalf) report(off uint64, ci gopacket.CaptureInfo, kind Kind, name string, r *layers.SZSEReportHeader) *Event {
	ev := h.c.event(h.dir, off, ci, kind, name)
	ev.Gateway, ev.Security, ev.TransactTime = r.SubmittingPBUID, r.SecurityID, layers.SZSETime(r.TransactTime)
	ev.PartitionNo, ev.ReportIndex = r.PartitionNo, r.ReportIndex
	return ev
}

// dup de-duplicates execution reports on (gateway endpoint, PartitionNo,
// ReportIndex): the TGW replays reports after ReportSynchronization
// (PROTOCOLS.md 1.5).
func (h *szseHalf) dup(r *layers.SZSEReportHeader) bool {
	if r.ReportIndex <= 0 {
		return false
	}
	d := h.c.d
	d.key = appendEndpoint(append(d.key[:0], 'Z'), h.c.exchange)
	d.key = binary.BigEndian.AppendUint32(d.key, uint32(r.PartitionNo))
	d.key = binary.BigEndian.AppendUint64(d.key, uint64(r.ReportIndex))
	return d.dedup()
}
