package layers

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"
	"unsafe"

	"github.com/google/gopacket"
)

// TDS packet header (PROTOCOLS.md 2.4.1): 8 bytes, Length and SPID big-endian.
const (
	TDSHeaderLen = 8
	// TDSMaxPacket is the largest packet size a server negotiates.
	TDSMaxPacket = 32767
)

// TDS packet (message) types.
const (
	TDSPacketSQLBatch    uint8 = 0x01
	TDSPacketPreTDS7     uint8 = 0x02
	TDSPacketRPC         uint8 = 0x03
	TDSPacketResponse    uint8 = 0x04
	TDSPacketAttention   uint8 = 0x06
	TDSPacketBulkLoad    uint8 = 0x07
	TDSPacketFedAuth     uint8 = 0x08
	TDSPacketTransaction uint8 = 0x0E
	TDSPacketLogin7      uint8 = 0x10
	TDSPacketSSPI        uint8 = 0x11
	TDSPacketPrelogin    uint8 = 0x12
)

// TDS status bits; test with a mask, never with == (go-mssqldb sends 0x09).
const (
	TDSStatusEOM         uint8 = 0x01
	TDSStatusIgnore      uint8 = 0x02
	TDSStatusResetConn   uint8 = 0x08
	TDSStatusResetNoTran uint8 = 0x10
)

// TDS versions as LOGINACK reports them.
const (
	TDSVersion71 uint32 = 0x71000001
	TDSVersion72 uint32 = 0x72090002
	TDSVersion74 uint32 = 0x74000004
)

// TDSKnownType says whether t is a packet type a client or server sends.
func TDSKnownType(t uint8) bool {
	switch t {
	case TDSPacketSQLBatch, TDSPacketPreTDS7, TDSPacketRPC, TDSPacketResponse, TDSPacketAttention, TDSPacketBulkLoad, TDSPacketFedAuth, TDSPacketTransaction, TDSPacketLogin7, TDSPacketSSPI, TDSPacketPrelogin:
		return true
	}
	return false
}

// TDSPacket is one TDS packet. Contents is the whole packet and Payload the
// bytes after the header; both alias the input.
type TDSPacket struct {
	Contents []byte
	Payload  []byte
	Type     uint8
	Status   uint8
	Length   uint16
	SPID     uint16
	PacketID uint8
	Window   uint8
}

func (p *TDSPacket) LayerType() gopacket.LayerType     { return LayerTypeTDS }
func (p *TDSPacket) LayerContents() []byte             { return p.Contents }
func (p *TDSPacket) LayerPayload() []byte              { return p.Payload }
func (p *TDSPacket) CanDecode() gopacket.LayerClass    { return LayerTypeTDS }
func (p *TDSPacket) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

// EOM reports whether this is the last packet of its message.
func (p *TDSPacket) EOM() bool { return p.Status&TDSStatusEOM != 0 }

// DecodeFromBytes decodes the packet at the start of data; bytes after
// Length are ignored. It returns ErrTruncated when data is short and
// ErrBadLength or ErrMalformed when the header cannot start a packet.
func (p *TDSPacket) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	*p = TDSPacket{}
	if len(data) < TDSHeaderLen {
		df.SetTruncated()
		return fmt.Errorf("tds header: %w", ErrTruncated)
	}
	p.Type, p.Status = data[0], data[1]
	p.Length = binary.BigEndian.Uint16(data[2:])
	p.SPID = binary.BigEndian.Uint16(data[4:])
	p.PacketID, p.Window = data[6], data[7]
	if !TDSKnownType(p.Type) {
		return fmt.Errorf("tds packet type %#x: %w", p.Type, ErrMalformed)
	}
	if p.Length < TDSHeaderLen || p.Length > TDSMaxPacket {
		return fmt.Errorf("tds packet length %d: %w", p.Length, ErrBadLength)
	}
	if len(data) < int(p.Length) {
		df.SetTruncated()
		return fmt.Errorf("tds packet: %d of %d bytes: %w", len(data), p.Length, ErrTruncated)
	}
	p.Contents = data[:p.Length]
	p.Payload = data[TDSHeaderLen:p.Length]
	return nil
}

// AppendTDSMessage splits payload into packets of at most packetSize bytes
// (header included) and appends them; the last carries EOM. status is
// or-ed into the first packet (e.g. TDSStatusResetConn).
func AppendTDSMessage(dst []byte, typ uint8, status uint8, payload []byte, packetSize int) []byte {
	if packetSize <= TDSHeaderLen || packetSize > TDSMaxPacket {
		packetSize = 4096
	}
	chunk := packetSize - TDSHeaderLen
	id := uint8(1)
	for first := true; first || len(payload) > 0; first = false {
		n := min(len(payload), chunk)
		st := uint8(0)
		if first {
			st = status &^ TDSStatusEOM
		}
		if n == len(payload) {
			st |= TDSStatusEOM
		}
		dst = append(dst, typ, st)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n+TDSHeaderLen))
		dst = append(dst, 0, 0, id, 0)
		dst = append(dst, payload[:n]...)
		payload = payload[n:]
		id++
	}
	return dst
}

// lrd is rd's little-endian sibling for TDS payloads.
type lrd struct {
	b   []byte
	off int
	err error
}

func (r *lrd) take(n int) []byte {
	if r.err != nil || n < 0 || len(r.b)-r.off < n {
		if r.err == nil {
			r.err = ErrTruncated
		}
		return nil
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}
func (r *lrd) u8() uint8 {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}
func (r *lrd) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}
func (r *lrd) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}
func (r *lrd) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}
func (r *lrd) left() int { return len(r.b) - r.off }

// bvarchar reads a B_VARCHAR (byte char count + UCS-2LE).
func (r *lrd) bvarchar() string { return ucs2(r.take(2 * int(r.u8()))) }

// usvarchar reads a US_VARCHAR (uint16 char count + UCS-2LE).
func (r *lrd) usvarchar() string { return ucs2(r.take(2 * int(r.u16()))) }

// ucs2 decodes UCS-2LE / UTF-16LE; an odd trailing byte is dropped. The
// ASCII text the order database carries costs one allocation (the string).
func ucs2(b []byte) string {
	n := len(b) / 2
	if n == 0 {
		return ""
	}
	ascii := true
	for i := 0; i < 2*n; i += 2 {
		if b[i+1] != 0 || b[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii && n <= 16 {
		// Short values (codes, accounts, quantities) repeat: share them.
		var tmp [16]byte
		for i := range n {
			tmp[i] = b[2*i]
		}
		return intern(tmp[:n])
	}
	if ascii {
		s := make([]byte, n)
		for i := range s {
			s[i] = b[2*i]
		}
		return unsafe.String(&s[0], n)
	}
	u := make([]uint16, n)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// AppendUCS2 appends s as UTF-16LE.
func AppendUCS2(dst []byte, s string) []byte {
	for _, c := range utf16.Encode([]rune(s)) {
		dst = binary.LittleEndian.AppendUint16(dst, c)
	}
	return dst
}

func ucs2Len(s string) int { return len(utf16.Encode([]rune(s))) }

func appendBVarchar(dst []byte, s string) []byte {
	return AppendUCS2(append(dst, byte(ucs2Len(s))), s)
}

func appendUSVarchar(dst []byte, s string) []byte {
	return AppendUCS2(binary.LittleEndian.AppendUint16(dst, uint16(ucs2Len(s))), s)
}

// skipAllHeaders skips the ALL_HEADERS prefix of a SQL batch / RPC payload
// (TDS 7.2+). The version is not always known (a capture may start after
// the login), so the prefix is recognised by shape: TotalLength covers
// whole headers whose lengths and types are sane.
func skipAllHeaders(b []byte) []byte {
	if len(b) < 4 {
		return b
	}
	total := binary.LittleEndian.Uint32(b)
	if total < 4 || uint64(total) > uint64(len(b)) {
		return b
	}
	for off := uint32(4); off < total; {
		if total-off < 6 {
			return b
		}
		hl := binary.LittleEndian.Uint32(b[off:])
		ht := binary.LittleEndian.Uint16(b[off+4:])
		if hl < 6 || hl > total-off || ht == 0 || ht > 3 {
			return b
		}
		off += hl
	}
	return b[total:]
}

// AppendAllHeaders appends the common 22-byte ALL_HEADERS (transaction
// descriptor 0, one outstanding request).
func AppendAllHeaders(dst []byte) []byte {
	return append(dst, 0x16, 0, 0, 0, 0x12, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0)
}

// ParseSQLBatch returns the statement text of a SQL Batch message payload.
func ParseSQLBatch(payload []byte) (text string, err error) {
	defer decodeGuard(&err, "tds sql batch")
	b := skipAllHeaders(payload)
	if len(b)%2 != 0 {
		return "", fmt.Errorf("tds sql batch: odd text length %d: %w", len(b), ErrMalformed)
	}
	return ucs2(b), nil
}

// AppendSQLBatch appends a SQL Batch payload; allHeaders selects TDS 7.2+.
func AppendSQLBatch(dst []byte, text string, allHeaders bool) []byte {
	if allHeaders {
		dst = AppendAllHeaders(dst)
	}
	return AppendUCS2(dst, text)
}

// Prelogin options.
const (
	PreloginVersion    = 0x00
	PreloginEncryption = 0x01
	PreloginInstOpt    = 0x02
	PreloginThreadID   = 0x03
	PreloginMARS       = 0x04
	PreloginTerminator = 0xFF
)

// Encryption values of PRELOGIN.
const (
	EncryptOff    = 0x00
	EncryptOn     = 0x01
	EncryptNotSup = 0x02
	EncryptReq    = 0x03
	EncryptStrict = 0x04
)

// Prelogin holds the PRELOGIN options a passive decoder cares about.
type Prelogin struct {
	Version    [6]byte
	Encryption uint8
	MARS       bool
	// HasEncryption is false when the option is absent.
	HasEncryption bool
}

// ParsePrelogin parses a PRELOGIN payload (option offsets big-endian).
func ParsePrelogin(payload []byte) (p Prelogin, err error) {
	defer decodeGuard(&err, "tds prelogin")
	for i := 0; ; i += 5 {
		if i >= len(payload) {
			return p, fmt.Errorf("tds prelogin: no terminator: %w", ErrTruncated)
		}
		tok := payload[i]
		if tok == PreloginTerminator {
			return p, nil
		}
		if i+5 > len(payload) {
			return p, fmt.Errorf("tds prelogin option: %w", ErrTruncated)
		}
		off := int(binary.BigEndian.Uint16(payload[i+1:]))
		n := int(binary.BigEndian.Uint16(payload[i+3:]))
		if off+n > len(payload) {
			return p, fmt.Errorf("tds prelogin option %d: %w", tok, ErrBadLength)
		}
		v := payload[off : off+n]
		switch tok {
		case PreloginVersion:
			copy(p.Version[:], v)
		case PreloginEncryption:
			if n >= 1 {
				p.Encryption, p.HasEncryption = v[0], true
			}
		case PreloginMARS:
			p.MARS = n >= 1 && v[0] == 1
		}
	}
}

// AppendPrelogin appends a PRELOGIN payload with VERSION, ENCRYPTION and MARS.
func AppendPrelogin(dst []byte, p Prelogin) []byte {
	const hdr = 3*5 + 1
	opt := func(d []byte, tok byte, off, n int) []byte {
		return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(append(d, tok), uint16(off)), uint16(n))
	}
	dst = opt(dst, PreloginVersion, hdr, 6)
	dst = opt(dst, PreloginEncryption, hdr+6, 1)
	dst = opt(dst, PreloginMARS, hdr+7, 1)
	dst = append(dst, PreloginTerminator)
	dst = append(dst, p.Version[:]...)
	mars := byte(0)
	if p.MARS {
		mars = 1
	}
	return append(dst, p.Encryption, mars)
}

// Login7 is the part of LOGIN7 a decoder reports. The password is never
// decoded.
type Login7 struct {
	TDSVersion uint32
	PacketSize uint32
	HostName   string
	UserName   string
	AppName    string
	ServerName string
	Database   string
}

// ParseLogin7 parses a LOGIN7 payload (little-endian, offsets in bytes from
// its start, lengths in characters).
func ParseLogin7(payload []byte) (l Login7, err error) {
	defer decodeGuard(&err, "tds login7")
	r := lrd{b: payload}
	r.u32() // Length
	l.TDSVersion = r.u32()
	l.PacketSize = r.u32()
	r.take(4 + 4 + 4 + 4 + 4 + 4) // ClientProgVer, PID, ConnectionID, flags x4, TimeZone, LCID
	var offs [9][2]uint16
	for i := range offs {
		offs[i][0], offs[i][1] = r.u16(), r.u16()
	}
	if r.err != nil {
		return l, fmt.Errorf("tds login7: %w", r.err)
	}
	get := func(i int) string {
		o, n := int(offs[i][0]), 2*int(offs[i][1])
		if o+n > len(payload) {
			if err == nil {
				err = fmt.Errorf("tds login7 field %d: %w", i, ErrBadLength)
			}
			return ""
		}
		return ucs2(payload[o : o+n])
	}
	l.HostName, l.UserName, l.AppName, l.ServerName, l.Database = get(0), get(1), get(3), get(4), get(8)
	return l, err
}

// AppendLogin7 appends a TDS 7.4 LOGIN7 payload with an empty password.
func AppendLogin7(dst []byte, l Login7) []byte {
	const fixed = 94
	start := len(dst)
	strs := []string{l.HostName, l.UserName, "", l.AppName, l.ServerName, "", "go", "", l.Database}
	dst = binary.LittleEndian.AppendUint32(dst, 0) // length, patched
	v := l.TDSVersion
	if v == 0 {
		v = 0x74000004
	}
	dst = binary.BigEndian.AppendUint32(dst, v) // LOGIN7 TDSVersion: bytes 04 00 00 74 (LE of 0x74000004)
	binary.LittleEndian.PutUint32(dst[len(dst)-4:], v)
	ps := l.PacketSize
	if ps == 0 {
		ps = 4096
	}
	dst = binary.LittleEndian.AppendUint32(dst, ps)
	dst = append(dst, make([]byte, 24)...)
	off := fixed
	for _, s := range strs {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(off))
		dst = binary.LittleEndian.AppendUint16(dst, uint16(ucs2Len(s)))
		off += 2 * ucs2Len(s)
	}
	dst = append(dst, make([]byte, 6)...) // ClientID
	for range 3 {                         // SSPI, AtchDBFile, ChangePassword
		dst = binary.LittleEndian.AppendUint16(dst, uint16(off))
		dst = binary.LittleEndian.AppendUint16(dst, 0)
	}
	dst = binary.LittleEndian.AppendUint32(dst, 0) // cbSSPILong
	for _, s := range strs {
		dst = AppendUCS2(dst, s)
	}
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}
