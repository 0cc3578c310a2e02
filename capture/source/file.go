package source

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// DefaultMaxPacket is the largest packet record a file source accepts by
// default: libpcap's MAXIMUM_SNAPLEN, more than any link here carries (the
// loopback's 64 KiB GSO segments included).
const DefaultMaxPacket = 262144

// ErrRecordTooLarge is returned (wrapped) when a file header or a record
// claims more bytes than the reader accepts: it is checked before anything
// is allocated, so a 40-byte file cannot make the reader ask for a
// gigabyte.
var ErrRecordTooLarge = errors.New("source: record larger than the limit")

// ErrCorrupt is returned (wrapped) for a file whose framing is broken: a
// pcapng block length that is not a multiple of 4 or does not match its
// trailer, a capture length larger than the record or the snap length.
var ErrCorrupt = errors.New("source: corrupt capture file")

// FileOptions tunes OpenFileWith. The zero value means the defaults.
type FileOptions struct {
	// MaxPacket bounds a packet record's captured length and a pcap
	// header's snap length (default DefaultMaxPacket). pcapng blocks may be
	// up to MaxPacket plus 64 KiB (options, headers).
	MaxPacket int
}

// OpenFile opens a pcap (either byte order, micro- or nanosecond) or pcapng
// file with the default limits, telling the formats apart by their magic
// number.
func OpenFile(path string) (Source, error) { return OpenFileWith(path, FileOptions{}) }

// OpenFileWith is OpenFile with explicit limits. The Source it returns
// reuses one buffer: the data ReadPacketData returns is valid until the
// next call (zero-copy from the read buffer).
func OpenFileWith(path string, o FileOptions) (Source, error) {
	if o.MaxPacket <= 0 {
		o.MaxPacket = DefaultMaxPacket
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	maxBlock := o.MaxPacket + 64<<10
	br := bufio.NewReaderSize(f, max(1<<20, maxBlock+64))
	magic, err := br.Peek(4)
	if err != nil {
		f.Close()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("source: %s: %w", path, ErrNotCapture)
		}
		return nil, fmt.Errorf("source: %s: %w", path, err)
	}
	var s Source
	if binary.BigEndian.Uint32(magic) == pcapngSHB {
		s, err = newPcapng(f, br, path, o.MaxPacket, maxBlock)
	} else {
		s, err = newPcap(f, br, path, o.MaxPacket)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// pcapReader reads classic pcap. Each record is peeked in the bufio
// buffer and handed out in place.
type pcapReader struct {
	f       *os.File
	r       *bufio.Reader
	path    string
	order   binary.ByteOrder
	nano    bool
	snap    uint32
	lt      layers.LinkType
	max     int
	pending int // bytes of the previous record to discard before the next
	n       uint64
}

func newPcap(f *os.File, br *bufio.Reader, path string, maxPacket int) (*pcapReader, error) {
	h, err := br.Peek(24)
	if err != nil {
		return nil, fmt.Errorf("source: %s: %w (short header)", path, ErrNotCapture)
	}
	r := &pcapReader{f: f, r: br, path: path, max: maxPacket}
	switch m := binary.LittleEndian.Uint32(h); m {
	case 0xa1b2c3d4:
		r.order = binary.LittleEndian
	case 0xa1b23c4d:
		r.order, r.nano = binary.LittleEndian, true
	case 0xd4c3b2a1:
		r.order = binary.BigEndian
	case 0x4d3cb2a1:
		r.order, r.nano = binary.BigEndian, true
	default:
		return nil, fmt.Errorf("source: %s: %w (magic %#08x)", path, ErrNotCapture, m)
	}
	if major := r.order.Uint16(h[4:]); major != 2 {
		return nil, fmt.Errorf("source: %s: %w (pcap version %d)", path, ErrNotCapture, major)
	}
	r.snap = r.order.Uint32(h[16:])
	if r.snap > uint32(maxPacket) {
		return nil, fmt.Errorf("source: %s: header claims a snap length of %d bytes, more than the %d this reader accepts: %w",
			path, r.snap, maxPacket, ErrRecordTooLarge)
	}
	// The upper bits of the link-type field carry FCS flags (pcap spec).
	r.lt = layers.LinkType(r.order.Uint32(h[20:]) & 0x0FFFFFFF)
	br.Discard(24)
	return r, nil
}

func (r *pcapReader) LinkType() layers.LinkType { return r.lt }
func (r *pcapReader) Close() error              { return r.f.Close() }

func (r *pcapReader) ReadPacketData() ([]byte, gopacket.CaptureInfo, error) {
	if r.pending > 0 {
		r.r.Discard(r.pending)
		r.pending = 0
	}
	h, err := r.r.Peek(16)
	if err != nil {
		if errors.Is(err, io.EOF) && len(h) == 0 {
			return nil, gopacket.CaptureInfo{}, io.EOF
		}
		return nil, gopacket.CaptureInfo{}, r.fail("truncated record header", err)
	}
	r.n++
	caplen, length := r.order.Uint32(h[8:]), r.order.Uint32(h[12:])
	if caplen > uint32(r.max) {
		return nil, gopacket.CaptureInfo{}, fmt.Errorf("source: %s: record %d claims %d captured bytes, more than the %d this reader accepts: %w",
			r.path, r.n, caplen, r.max, ErrRecordTooLarge)
	}
	if r.snap != 0 && caplen > r.snap {
		return nil, gopacket.CaptureInfo{}, fmt.Errorf("source: %s: record %d: %d captured bytes exceed the snap length %d: %w", r.path, r.n, caplen, r.snap, ErrCorrupt)
	}
	sec, frac := int64(r.order.Uint32(h[0:])), int64(r.order.Uint32(h[4:]))
	if !r.nano {
		frac *= 1000
	}
	rec, err := r.r.Peek(16 + int(caplen))
	if err != nil {
		return nil, gopacket.CaptureInfo{}, r.fail(fmt.Sprintf("record %d truncated", r.n), err)
	}
	r.pending = len(rec)
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(sec, frac).UTC(), CaptureLength: int(caplen), Length: int(max(length, caplen))}
	return rec[16:], ci, nil
}

func (r *pcapReader) fail(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("source: %s: %s: %w", r.path, what, err)
}

const (
	pcapngSHB  = 0x0A0D0D0A
	pcapngIDB  = 1
	pcapngPB   = 2 // obsolete Packet Block
	pcapngSPB  = 3
	pcapngISB  = 5
	pcapngEPB  = 6
	pcapngBOM  = 0x1A2B3C4D
	optEnd     = 0
	optTsresol = 9
	optTsoff   = 14
)

type ngIface struct {
	lt     layers.LinkType
	snap   uint32
	unitNs float64 // nanoseconds per timestamp unit (when not exact)
	div    int64   // timestamp units per second when it is a power of ten
	offset int64   // seconds
}

// pcapngReader reads pcapng: section headers (either byte order),
// interface descriptions and enhanced, simple and obsolete packet blocks;
// other blocks are skipped. Packets of interfaces whose link type differs
// from the first interface's are skipped (one Source, one link type).
type pcapngReader struct {
	f        *os.File
	r        *bufio.Reader
	path     string
	order    binary.ByteOrder
	ifaces   []ngIface
	lt       layers.LinkType
	haveLT   bool
	max      int
	maxBlock int
	pending  int
	n        uint64
}

func newPcapng(f *os.File, br *bufio.Reader, path string, maxPacket, maxBlock int) (*pcapngReader, error) {
	r := &pcapngReader{f: f, r: br, path: path, max: maxPacket, maxBlock: maxBlock}
	// Read blocks until the first interface description fixes the link type.
	for !r.haveLT {
		typ, _, err := r.block()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("source: %s: pcapng without an interface description: %w", path, ErrNotCapture)
			}
			return nil, err
		}
		if typ == pcapngEPB || typ == pcapngSPB || typ == pcapngPB {
			return nil, fmt.Errorf("source: %s: pcapng packet before any interface description: %w", path, ErrCorrupt)
		}
	}
	return r, nil
}

func (r *pcapngReader) LinkType() layers.LinkType { return r.lt }
func (r *pcapngReader) Close() error              { return r.f.Close() }

// block reads the next block, handling section headers and interface
// descriptions itself; it returns the type and the body (between the
// length fields), valid until the next call.
func (r *pcapngReader) block() (uint32, []byte, error) {
	if r.pending > 0 {
		r.r.Discard(r.pending)
		r.pending = 0
	}
	h, err := r.r.Peek(12)
	if err != nil {
		if errors.Is(err, io.EOF) && len(h) == 0 {
			return 0, nil, io.EOF
		}
		return 0, nil, fmt.Errorf("source: %s: truncated block header: %w", r.path, io.ErrUnexpectedEOF)
	}
	r.n++
	if binary.BigEndian.Uint32(h) == pcapngSHB {
		switch {
		case binary.BigEndian.Uint32(h[8:]) == pcapngBOM:
			r.order = binary.BigEndian
		case binary.LittleEndian.Uint32(h[8:]) == pcapngBOM:
			r.order = binary.LittleEndian
		default:
			return 0, nil, fmt.Errorf("source: %s: block %d: section header without a byte-order magic: %w", r.path, r.n, ErrCorrupt)
		}
		r.ifaces = r.ifaces[:0] // interface ids are per section
	}
	if r.order == nil {
		return 0, nil, fmt.Errorf("source: %s: %w (no section header)", r.path, ErrNotCapture)
	}
	typ, total := r.order.Uint32(h), r.order.Uint32(h[4:])
	if total < 12 || total%4 != 0 {
		return 0, nil, fmt.Errorf("source: %s: block %d: length %d: %w", r.path, r.n, total, ErrCorrupt)
	}
	if total > uint32(r.maxBlock) {
		return 0, nil, fmt.Errorf("source: %s: block %d claims %d bytes, more than the %d this reader accepts: %w", r.path, r.n, total, r.maxBlock, ErrRecordTooLarge)
	}
	b, err := r.r.Peek(int(total))
	if err != nil {
		return 0, nil, fmt.Errorf("source: %s: block %d truncated: %w", r.path, r.n, io.ErrUnexpectedEOF)
	}
	r.pending = int(total)
	if r.order.Uint32(b[total-4:]) != total {
		return 0, nil, fmt.Errorf("source: %s: block %d: trailing length differs: %w", r.path, r.n, ErrCorrupt)
	}
	body := b[8 : total-4]
	switch typ {
	case pcapngSHB:
		if len(body) < 16 || r.order.Uint16(body[4:]) != 1 {
			return 0, nil, fmt.Errorf("source: %s: block %d: unsupported section version: %w", r.path, r.n, ErrNotCapture)
		}
	case pcapngIDB:
		if err := r.iface(body); err != nil {
			return 0, nil, err
		}
	}
	return typ, body, nil
}

func (r *pcapngReader) iface(body []byte) error {
	if len(body) < 8 {
		return fmt.Errorf("source: %s: block %d: short interface description: %w", r.path, r.n, ErrCorrupt)
	}
	in := ngIface{lt: layers.LinkType(r.order.Uint16(body)), snap: r.order.Uint32(body[4:]), div: 1_000_000}
	if in.snap > uint32(r.max) {
		return fmt.Errorf("source: %s: interface %d claims a snap length of %d bytes, more than the %d this reader accepts: %w",
			r.path, len(r.ifaces), in.snap, r.max, ErrRecordTooLarge)
	}
	for opts := body[8:]; len(opts) >= 4; {
		code, l := r.order.Uint16(opts), int(r.order.Uint16(opts[2:]))
		if code == optEnd || 4+l > len(opts) {
			break
		}
		v := opts[4 : 4+l]
		switch {
		case code == optTsresol && l >= 1:
			exp := int(v[0] & 0x7F)
			if v[0]&0x80 == 0 {
				if exp > 18 {
					return fmt.Errorf("source: %s: interface %d: timestamp resolution 10^-%d: %w", r.path, len(r.ifaces), exp, ErrCorrupt)
				}
				in.div = int64(math.Pow10(exp))
			} else {
				if exp > 62 {
					return fmt.Errorf("source: %s: interface %d: timestamp resolution 2^-%d: %w", r.path, len(r.ifaces), exp, ErrCorrupt)
				}
				in.div, in.unitNs = 0, 1e9/float64(uint64(1)<<exp)
			}
		case code == optTsoff && l >= 8:
			in.offset = int64(r.order.Uint64(v))
		}
		opts = opts[4+(l+3)&^3:]
	}
	if !r.haveLT {
		r.lt, r.haveLT = in.lt, true
	}
	r.ifaces = append(r.ifaces, in)
	if len(r.ifaces) > 4096 {
		return fmt.Errorf("source: %s: more than 4096 interfaces in a section: %w", r.path, ErrCorrupt)
	}
	return nil
}

func (in *ngIface) time(ts uint64) time.Time {
	if in.div > 0 {
		d := uint64(in.div)
		sec, frac := ts/d, ts%d
		ns := frac * 1_000_000_000 / d
		if d > 1_000_000_000 {
			ns = frac / (d / 1_000_000_000)
		}
		return time.Unix(int64(sec)+in.offset, int64(ns)).UTC()
	}
	return time.Unix(in.offset, int64(float64(ts)*in.unitNs)).UTC()
}

func (r *pcapngReader) ReadPacketData() ([]byte, gopacket.CaptureInfo, error) {
	for {
		typ, body, err := r.block()
		if err != nil {
			return nil, gopacket.CaptureInfo{}, err
		}
		var ifid int
		var ts uint64
		var caplen, length uint32
		var data []byte
		switch typ {
		case pcapngEPB, pcapngPB:
			if len(body) < 20 {
				return nil, gopacket.CaptureInfo{}, fmt.Errorf("source: %s: block %d: short packet block: %w", r.path, r.n, ErrCorrupt)
			}
			if typ == pcapngEPB {
				ifid = int(r.order.Uint32(body))
			} else {
				ifid = int(r.order.Uint16(body))
			}
			ts = uint64(r.order.Uint32(body[4:]))<<32 | uint64(r.order.Uint32(body[8:]))
			caplen, length = r.order.Uint32(body[12:]), r.order.Uint32(body[16:])
			data = body[20:]
		case pcapngSPB:
			if len(body) < 4 {
				return nil, gopacket.CaptureInfo{}, fmt.Errorf("source: %s: block %d: short simple packet block: %w", r.path, r.n, ErrCorrupt)
			}
			length = r.order.Uint32(body)
			data = body[4:]
			caplen = min(length, uint32(len(data)))
		default:
			continue // statistics, name resolution, custom blocks...
		}
		if ifid >= len(r.ifaces) {
			return nil, gopacket.CaptureInfo{}, fmt.Errorf("source: %s: block %d: interface %d not described: %w", r.path, r.n, ifid, ErrCorrupt)
		}
		in := &r.ifaces[ifid]
		if caplen > uint32(r.max) {
			return nil, gopacket.CaptureInfo{}, fmt.Errorf("source: %s: block %d claims %d captured bytes, more than the %d this reader accepts: %w",
				r.path, r.n, caplen, r.max, ErrRecordTooLarge)
		}
		if caplen > uint32(len(data)) || (in.snap != 0 && caplen > in.snap) {
			return nil, gopacket.CaptureInfo{}, fmt.Errorf("source: %s: block %d: %d captured bytes do not fit the block or the snap length: %w", r.path, r.n, caplen, ErrCorrupt)
		}
		if in.lt != r.lt {
			continue
		}
		ci := gopacket.CaptureInfo{CaptureLength: int(caplen), Length: int(max(length, caplen)), InterfaceIndex: ifid}
		if typ != pcapngSPB {
			ci.Timestamp = in.time(ts)
		}
		return data[:caplen], ci, nil
	}
}
