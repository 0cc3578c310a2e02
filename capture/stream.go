package capture

import (
	"fmt"
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/reassembly"
)

// halfDecoder decodes one direction of a connection. feed gets contiguous
// bytes with their stream offset; gap says bytes were lost before the next
// feed; end says the direction is finished.
type halfDecoder interface {
	feed(data []byte, offset uint64, sg reassembly.ScatterGather)
	gap()
	end()
}

// conn is one TCP connection on an exchange endpoint.
type conn struct {
	d        *Decoder
	market   Market
	exchange netip.AddrPort
	// toExch is the reassembly direction that flows towards the exchange.
	toExch  reassembly.TCPFlowDirection
	names   [2]string // by direction index
	offsets [2]uint64
	halves  [2]halfDecoder
	counted bool // counts against MaxConnections
}

func dirIndex(d reassembly.TCPFlowDirection) int {
	if d == reassembly.TCPDirClientToServer {
		return 0
	}
	return 1
}

// New implements reassembly.StreamFactory.
func (d *Decoder) New(netFlow, tcpFlow gopacket.Flow, tcp *layers.TCP, ac reassembly.AssemblerContext) reassembly.Stream {
	src, _ := netip.AddrFromSlice(netFlow.Src().Raw())
	dst, _ := netip.AddrFromSlice(netFlow.Dst().Raw())
	sp := netip.AddrPortFrom(src.Unmap(), uint16(tcp.SrcPort))
	dp := netip.AddrPortFrom(dst.Unmap(), uint16(tcp.DstPort))
	c := &conn{d: d}
	if d.conns >= d.cfg.MaxConnections {
		// Refused: the connection is tracked by reassembly (and ends when
		// idle) but nothing of it is decoded or buffered by us.
		d.cut(cutConnections, fmt.Sprintf("%s->%s", sp, dp), 0)
		return c
	}
	d.conns++
	c.counted = true
	if m, ok := d.eps[dp]; ok {
		c.market, c.exchange, c.toExch = m, dp, reassembly.TCPDirClientToServer
	} else {
		c.market, c.exchange, c.toExch = d.eps[sp], sp, reassembly.TCPDirServerToClient
	}
	c.names[0] = fmt.Sprintf("%s->%s", sp, dp)
	c.names[1] = fmt.Sprintf("%s->%s", dp, sp)
	d.stats.Streams++
	switch c.market {
	case MarketSZSE:
		for i := range c.halves {
			c.halves[i] = &szseHalf{c: c, dir: i}
		}
	case MarketSSE:
		t := newTDSConn(c)
		c.halves[0], c.halves[1] = t.half[0], t.half[1]
	}
	return c
}

// direction says which way bytes of direction index i flow.
func (c *conn) direction(i int) Direction {
	if (i == 0) == (c.toExch == reassembly.TCPDirClientToServer) {
		return DirToExchange
	}
	return DirFromExchange
}

// Accept implements reassembly.Stream. Every packet is accepted, and a
// connection may start without its SYN: a capture often begins in the
// middle of a trading session.
func (c *conn) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, ac reassembly.AssemblerContext) bool {
	*start = true
	return true
}

// ReassembledSG implements reassembly.Stream.
func (c *conn) ReassembledSG(sg reassembly.ScatterGather, ac reassembly.AssemblerContext) {
	dir, _, _, skip := sg.Info()
	i := dirIndex(dir)
	h := c.halves[i]
	if h == nil {
		return
	}
	if skip > 0 {
		c.d.stats.Gaps++
		c.d.stats.LostBytes += uint64(skip)
		c.offsets[i] += uint64(skip)
		c.guard(h.gap)
	}
	n, _ := sg.Lengths()
	if n == 0 {
		return
	}
	data := sg.Fetch(n)
	off := c.offsets[i]
	c.offsets[i] += uint64(n)
	c.guard(func() { h.feed(data, off, sg) })
}

// ReassemblyComplete implements reassembly.Stream.
func (c *conn) ReassemblyComplete(ac reassembly.AssemblerContext) bool {
	for _, h := range c.halves {
		if h != nil {
			c.guard(h.end)
		}
	}
	if c.counted {
		c.counted = false
		c.d.conns--
	}
	return true
}

// guard is the parser boundary: a decoder panic costs the current buffer,
// is counted, and never takes the process down.
func (c *conn) guard(f func()) {
	defer func() {
		if r := recover(); r != nil {
			c.d.stats.Panics++
			for _, h := range c.halves {
				if h != nil {
					h.gap()
				}
			}
		}
	}()
	f()
}

// event starts an event of this connection for direction index i.
func (c *conn) event(i int, offset uint64, ci gopacket.CaptureInfo, kind Kind, msgType string) *Event {
	return &Event{CaptureTime: ci.Timestamp, Stream: c.names[i], Offset: offset, Direction: c.direction(i),
		Kind: kind, Market: c.market, MsgType: msgType}
}
