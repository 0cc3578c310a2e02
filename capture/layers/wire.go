package layers

import (
	"encoding/binary"
	"strings"
	"sync/atomic"
)

// rd reads fixed-layout fields from a byte slice. The first short read sets
// err and every later read returns zero, so decoders read a whole layout and
// check err once.
type rd struct {
	b   []byte
	off int
	err error
}

func (r *rd) take(n int) []byte {
	if r.err != nil || n < 0 || len(r.b)-r.off < n {
		r.err = ErrTruncated
		return nil
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}

func (r *rd) str(n int) string { return trimField(r.take(n)) }

// sym reads a field whose values repeat (security, account, PBU, branch,
// application ids): the string is shared through the intern table.
func (r *rd) sym(n int) string { return internField(r.take(n)) }
func (r *rd) char() byte {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}
func (r *rd) u8() uint8 { return r.char() }
func (r *rd) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}
func (r *rd) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}
func (r *rd) i32() int32 { return int32(r.u32()) }
func (r *rd) i64() int64 {
	if b := r.take(8); b != nil {
		return int64(binary.BigEndian.Uint64(b))
	}
	return 0
}
func (r *rd) rest() []byte {
	if r.err != nil {
		return nil
	}
	s := r.b[r.off:]
	r.off = len(r.b)
	return s
}

// trimField turns a space-padded char[n] into a string, trimming trailing
// spaces and NULs (PROTOCOLS.md 1.3: be lenient).
func trimField(b []byte) string {
	i := len(b)
	for i > 0 && (b[i-1] == ' ' || b[i-1] == 0) {
		i--
	}
	if i == 0 {
		return ""
	}
	return string(b[:i])
}

// internTab is a direct-mapped table of recently seen short field values:
// a hit returns the same string without allocating; a miss replaces the
// slot. Atomic slots make it safe for decoders on several goroutines.
var internTab [1 << 12]atomic.Pointer[string]

// internField is trimField through internTab.
func internField(b []byte) string {
	i := len(b)
	for i > 0 && (b[i-1] == ' ' || b[i-1] == 0) {
		i--
	}
	return intern(b[:i])
}

// intern returns b as a string through internTab.
func intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	h := uint32(2166136261)
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &internTab[h%uint32(len(internTab))]
	if p := slot.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	slot.Store(&s)
	return s
}

// Big-endian appenders for the encoders.
func putStr(dst []byte, s string, n int) []byte {
	if len(s) > n {
		s = s[:n]
	}
	dst = append(dst, s...)
	return append(dst, strings.Repeat(" ", n-len(s))...)
}
func putChar(dst []byte, c byte) []byte {
	if c == 0 {
		c = ' '
	}
	return append(dst, c)
}
func putU16(dst []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(dst, v) }
func putU32(dst []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(dst, v) }
func putI64(dst []byte, v int64) []byte  { return binary.BigEndian.AppendUint64(dst, uint64(v)) }
