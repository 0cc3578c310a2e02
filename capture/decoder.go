package capture

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	cl "github.com/custody-ledger/custody/capture/layers"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/reassembly"
)

// Decoder turns packets into events: link, IP and TCP decoding, endpoint
// filtering, reassembly per connection and direction, and the protocol
// decoders. It is not safe for concurrent use; one Decoder is one capture
// point and numbers its events in one trade series.
type Decoder struct {
	cfg  Config
	eps  map[netip.AddrPort]Market
	emit func(*Event) error

	stats Stats
	seq   uint64
	err   error // first error returned by emit; stops decoding

	pool *reassembly.StreamPool
	asm  *reassembly.Assembler

	// Link/IP/TCP decoding without allocation: one set of layers shared by
	// one DecodingLayerParser per first layer.
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	sll     layers.LinuxSLL
	loop    layers.Loopback
	ip4     layers.IPv4
	ip6     layers.IPv6
	tcp     layers.TCP
	parsers map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
	ctx     captureContext

	lastFlush time.Time
	// seen de-duplicates replayed SZSE reports and re-read SSE rows; key is
	// the scratch buffer their identities are built in.
	seen dedupSet
	key  []byte

	// Message counters without a per-message string or map-of-strings:
	// SZSE by type number, TDS by packet type, each with its name built
	// once (it is also the events' MsgType).
	szseTypes map[uint32]*msgCounter
	tdsTypes  map[string]*msgCounter
	tdsMsg    [numTDSCounters]*msgCounter

	// szse holds the SZSE message structs, reused message after message.
	szse cl.SZSEScratch

	// Parsed-statement reuse for TDS (see parseSQL); sql parses literal
	// batches with reused buffers.
	sql       cl.SQLParser
	sqlCache  map[string][]cl.SQLStatement
	declCache map[string][]string

	// Limits: connections decoded now, message bytes held now.
	conns    int
	buffered int
	cuts     cutLog
}

// msgCounter counts one message type.
type msgCounter struct {
	name string
	n    uint64
}

const (
	tdsPrelogin = iota
	tdsLogin7
	tdsSQLBatch
	tdsRPC
	tdsResponse
	tdsTLS
	tdsRPCOther
	tdsRows
	numTDSCounters
)

var tdsCounterNames = [numTDSCounters]string{"tds/prelogin", "tds/login7", "tds/sqlbatch", "tds/rpc", "tds/response", "tds/tls", "tds/rpc-other", ""}

// tdsCount counts a TDS message of a fixed kind.
func (d *Decoder) tdsCount(i int) { d.tdsMsg[i].n++ }

// namedCount counts a message of a rarely seen name (built once).
func (d *Decoder) namedCount(name string) {
	c := d.tdsTypes[name]
	if c == nil {
		c = &msgCounter{name: name}
		d.tdsTypes[name] = c
	}
	c.n++
}

// szseType returns the counter of an SZSE message type.
func (d *Decoder) szseType(typ uint32) *msgCounter {
	c := d.szseTypes[typ]
	if c == nil {
		c = &msgCounter{name: "szse/" + strconv.FormatUint(uint64(typ), 10)}
		d.szseTypes[typ] = c
	}
	return c
}

// NewDecoder returns a Decoder for cfg that calls emit for every event, in
// trade-series order. An error from emit stops decoding and is returned by
// Decode and Close.
func NewDecoder(cfg Config, emit func(*Event) error) (*Decoder, error) {
	eps, err := cfg.endpoints()
	if err != nil {
		return nil, err
	}
	d := &Decoder{cfg: cfg.withDefaults(), eps: eps, emit: emit,
		parsers:   make(map[gopacket.LayerType]*gopacket.DecodingLayerParser),
		szseTypes: make(map[uint32]*msgCounter), tdsTypes: make(map[string]*msgCounter),
		sqlCache: make(map[string][]cl.SQLStatement), declCache: make(map[string][]string)}
	d.seen = newDedupSet(d.cfg.MaxDedupKeys, &d.stats.DedupAged)
	d.cuts.log = d.cfg.Logger
	for i, name := range tdsCounterNames {
		d.tdsMsg[i] = &msgCounter{name: name}
	}
	d.pool = reassembly.NewStreamPool(d)
	d.asm = reassembly.NewAssembler(d.pool)
	d.asm.MaxBufferedPagesPerConnection = d.cfg.MaxBufferedPages
	d.asm.MaxBufferedPagesTotal = d.cfg.MaxBufferedPagesTotal
	dls := []gopacket.DecodingLayer{&d.eth, &d.dot1q, &d.sll, &d.loop, &d.ip4, &d.ip6, &d.tcp}
	for _, first := range []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL, layers.LayerTypeLoopback, layers.LayerTypeIPv4, layers.LayerTypeIPv6} {
		p := gopacket.NewDecodingLayerParser(first, dls...)
		p.IgnoreUnsupported = true
		d.parsers[first] = p
	}
	return d, nil
}

// firstLayer maps a capture link type to the layer decoding starts at.
func firstLayer(lt layers.LinkType) (gopacket.LayerType, bool) {
	switch lt {
	case layers.LinkTypeEthernet:
		return layers.LayerTypeEthernet, true
	case layers.LinkTypeLinuxSLL:
		return layers.LayerTypeLinuxSLL, true
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return layers.LayerTypeLoopback, true
	case layers.LinkTypeRaw, layers.LinkTypeIPv4:
		return layers.LayerTypeIPv4, true
	case layers.LinkTypeIPv6:
		return layers.LayerTypeIPv6, true
	}
	return 0, false
}

type captureContext gopacket.CaptureInfo

func (c *captureContext) GetCaptureInfo() gopacket.CaptureInfo { return gopacket.CaptureInfo(*c) }

// Decode feeds one packet. data must stay valid until Decode returns.
func (d *Decoder) Decode(data []byte, ci gopacket.CaptureInfo, lt layers.LinkType) error {
	if d.err != nil {
		return d.err
	}
	d.stats.Packets++
	d.stats.Bytes += uint64(len(data))
	first, ok := firstLayer(lt)
	if !ok {
		return fmt.Errorf("capture: %w", &UnsupportedLinkError{LinkType: lt})
	}
	if first == layers.LayerTypeIPv4 && len(data) > 0 && data[0]>>4 == 6 {
		first = layers.LayerTypeIPv6 // LINKTYPE_RAW carries both
	}
	if err := d.parsers[first].DecodeLayers(data, &d.decoded); err != nil {
		d.stats.Malformed++
		return nil
	}
	var netFlow gopacket.Flow
	var src, dst netip.Addr
	isTCP := false
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeIPv4:
			netFlow = d.ip4.NetworkFlow()
			src, _ = netip.AddrFromSlice(d.ip4.SrcIP.To4())
			dst, _ = netip.AddrFromSlice(d.ip4.DstIP.To4())
			if d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0 {
				d.stats.Malformed++ // fragments are not reassembled; TCP on these links never fragments
				return nil
			}
		case layers.LayerTypeIPv6:
			netFlow = d.ip6.NetworkFlow()
			src, _ = netip.AddrFromSlice(d.ip6.SrcIP)
			dst, _ = netip.AddrFromSlice(d.ip6.DstIP)
		case layers.LayerTypeTCP:
			isTCP = true
		}
	}
	if !isTCP || !src.IsValid() {
		d.stats.Ignored++
		return nil
	}
	sp := netip.AddrPortFrom(src.Unmap(), uint16(d.tcp.SrcPort))
	dp := netip.AddrPortFrom(dst.Unmap(), uint16(d.tcp.DstPort))
	_, okS := d.eps[sp]
	_, okD := d.eps[dp]
	if !okS && !okD {
		d.stats.Ignored++
		return nil
	}
	d.ctx = captureContext(ci) // a field: a local would escape, one allocation a packet
	d.asm.AssembleWithContext(netFlow, &d.tcp, &d.ctx)
	d.maybeFlush(ci.Timestamp)
	return d.err
}

// maybeFlush declares data lost that has waited longer than GapTimeout for
// a missing segment and closes idle connections; capture time drives it so
// that a file replays identically.
func (d *Decoder) maybeFlush(now time.Time) {
	if now.Sub(d.lastFlush) < d.cfg.GapTimeout/4 {
		return
	}
	d.lastFlush = now
	d.asm.FlushWithOptions(reassembly.FlushOptions{T: now.Add(-d.cfg.GapTimeout), TC: now.Add(-d.cfg.IdleTimeout)})
}

// Flush declares every pending gap lost and closes idle connections as of
// now; live capture calls it on a timer when no packets arrive.
func (d *Decoder) Flush(now time.Time) error {
	d.lastFlush = time.Time{}
	d.maybeFlush(now)
	return d.err
}

// Close flushes everything still buffered, ends every stream and returns
// the final statistics and the first emit error.
func (d *Decoder) Close() (Stats, error) {
	d.asm.FlushAll()
	return d.Stats(), d.err
}

// Stats returns a copy of the counters so far.
func (d *Decoder) Stats() Stats {
	s := d.stats
	s.Messages = make(map[string]uint64)
	add := func(c *msgCounter) {
		if c.n > 0 && c.name != "" {
			s.Messages[c.name] += c.n
		}
	}
	for _, c := range d.szseTypes {
		add(c)
	}
	for _, c := range d.tdsTypes {
		add(c)
	}
	for _, c := range d.tdsMsg {
		add(c)
	}
	return s
}

// publish numbers an event and hands it to emit.
func (d *Decoder) publish(ev *Event) {
	if d.err != nil {
		return
	}
	d.seq++
	ev.Seq = d.seq
	d.stats.Events++
	if err := d.emit(ev); err != nil {
		d.err = err
	}
}

// dedup reports whether the identity built in d.key was seen before (within
// the de-duplication window), recording it.
func (d *Decoder) dedup() bool {
	aged := d.stats.DedupAged
	dup := d.seen.seen(d.key)
	if dup {
		d.stats.Duplicates++
	}
	if d.stats.DedupAged != aged {
		d.cuts.note(cutDedup, "", int(d.stats.DedupAged-aged))
	}
	return dup
}

// cut counts and logs input skipped because of a limit.
func (d *Decoder) cut(k cutKind, stream string, n int) {
	switch k {
	case cutMessage, cutTotal:
		d.stats.CutMessages++
		d.stats.CutBytes += uint64(n)
	case cutConnections:
		d.stats.RefusedStreams++
	case cutPrepared:
		d.stats.PreparedAged++
	}
	d.cuts.note(k, stream, n)
}

// UnsupportedLinkError is returned by Decode for a link type it cannot
// decode; callers branch with errors.As.
type UnsupportedLinkError struct{ LinkType layers.LinkType }

func (e *UnsupportedLinkError) Error() string {
	return fmt.Sprintf("unsupported link type %v", e.LinkType)
}
