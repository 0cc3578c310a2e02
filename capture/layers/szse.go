package layers

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/google/gopacket"
)

// SZSE Binary frame layout (PROTOCOLS.md 1.1): MsgType uint32, BodyLength
// uint32, body, Checksum uint32; big-endian.
const (
	SZSEHeaderLen  = 8
	SZSETrailerLen = 4
	// SZSEMaxBody bounds BodyLength: no trading message comes near it, and
	// a larger value means we are not looking at a frame boundary.
	SZSEMaxBody = 64 << 10
)

// SZSE message types (PROTOCOLS.md 1.4).
const (
	SZSELogon                 uint32 = 1
	SZSELogout                uint32 = 2
	SZSEHeartbeat             uint32 = 3
	SZSEBusinessReject        uint32 = 4
	SZSEReportSynchronization uint32 = 5
	SZSEPlatformStateInfo     uint32 = 6
	SZSEReportFinished        uint32 = 7
	SZSEPlatformInfo          uint32 = 9
	SZSETradingSessionStatus  uint32 = 10
	SZSENewOrder              uint32 = 100101 // 现货集中竞价 new order
	SZSECancelRequest         uint32 = 190007
	SZSEExecutionConfirm      uint32 = 200102
	SZSEExecutionReport       uint32 = 200115
	SZSECancelReject          uint32 = 290008
)

// SZSEChecksum is the byte sum of b modulo 256 (PROTOCOLS.md 1.2).
func SZSEChecksum(b []byte) uint32 {
	var s uint8
	for _, c := range b {
		s += c
	}
	return uint32(s)
}

// SZSEFrame is one SZSE Binary frame. Contents is the whole frame and Payload
// the body; both alias the input.
type SZSEFrame struct {
	Contents   []byte
	Payload    []byte
	MsgType    uint32
	BodyLength uint32
	Checksum   uint32
}

func (f *SZSEFrame) LayerType() gopacket.LayerType     { return LayerTypeSZSE }
func (f *SZSEFrame) LayerContents() []byte             { return f.Contents }
func (f *SZSEFrame) LayerPayload() []byte              { return f.Payload }
func (f *SZSEFrame) CanDecode() gopacket.LayerClass    { return LayerTypeSZSE }
func (f *SZSEFrame) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }
func (f *SZSEFrame) Len() int                          { return SZSEHeaderLen + int(f.BodyLength) + SZSETrailerLen }

// DecodeFromBytes decodes the frame at the start of data. Bytes after the
// frame are ignored (f.Len() says where the next frame starts). It returns
// ErrTruncated (and sets truncation on df) when data is shorter than the
// frame, ErrBadLength for an insane BodyLength and ErrBadChecksum on a
// trailer mismatch.
func (f *SZSEFrame) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	*f = SZSEFrame{}
	if len(data) < SZSEHeaderLen {
		df.SetTruncated()
		return fmt.Errorf("szse header: %w", ErrTruncated)
	}
	f.MsgType = binary.BigEndian.Uint32(data)
	f.BodyLength = binary.BigEndian.Uint32(data[4:])
	if f.BodyLength > SZSEMaxBody {
		return fmt.Errorf("szse frame type %d: body length %d: %w", f.MsgType, f.BodyLength, ErrBadLength)
	}
	n := f.Len()
	if len(data) < n {
		df.SetTruncated()
		return fmt.Errorf("szse frame type %d: %d of %d bytes: %w", f.MsgType, len(data), n, ErrTruncated)
	}
	f.Checksum = binary.BigEndian.Uint32(data[n-4:])
	f.Contents = data[:n]
	f.Payload = data[SZSEHeaderLen : n-4]
	if want := SZSEChecksum(data[:n-4]); f.Checksum != want {
		return fmt.Errorf("szse frame type %d: checksum %#x, want %#x: %w", f.MsgType, f.Checksum, want, ErrBadChecksum)
	}
	return nil
}

// AppendSZSEFrame appends a whole frame (header, body, checksum) to dst.
func AppendSZSEFrame(dst []byte, msgType uint32, body []byte) []byte {
	start := len(dst)
	dst = putU32(dst, msgType)
	dst = putU32(dst, uint32(len(body)))
	dst = append(dst, body...)
	return putU32(dst, SZSEChecksum(dst[start:]))
}

// AppendSZSE encodes m as a whole frame.
func AppendSZSE(dst []byte, m SZSEMessage) []byte {
	start := len(dst)
	dst = putU32(dst, m.MsgType())
	dst = putU32(dst, 0)
	dst = m.AppendBody(dst)
	binary.BigEndian.PutUint32(dst[start+4:], uint32(len(dst)-start-SZSEHeaderLen))
	return putU32(dst, SZSEChecksum(dst[start:]))
}

// SZSEPlausible says whether (msgType, bodyLen) could start a frame: a
// known session type or a six-digit business type, and the exact body
// length when the type has a fixed one. The stream decoder uses it to
// resynchronise after a gap.
func SZSEPlausible(msgType, bodyLen uint32) bool {
	if bodyLen > SZSEMaxBody {
		return false
	}
	switch msgType {
	case SZSELogon:
		return bodyLen == 92
	case SZSELogout:
		return bodyLen == 204
	case SZSEHeartbeat:
		return bodyLen == 0
	case SZSEBusinessReject:
		return bodyLen == 103
	case SZSEPlatformStateInfo:
		return bodyLen == 4
	case SZSEReportFinished:
		return bodyLen == 14
	case SZSEReportSynchronization, SZSEPlatformInfo:
		return bodyLen >= 4
	case SZSETradingSessionStatus:
		return bodyLen >= 42
	case SZSENewOrder:
		return bodyLen == 109
	case SZSECancelRequest:
		return bodyLen == 86
	case SZSEExecutionConfirm:
		return bodyLen == 189 || bodyLen == 199
	case SZSEExecutionReport:
		return bodyLen == 153 || bodyLen == 163
	case SZSECancelReject:
		return bodyLen == 115
	}
	if msgType >= 100000 && msgType <= 299999 {
		switch msgType % 100 {
		case 1:
			return bodyLen >= 89
		case 2:
			return bodyLen >= 169
		case 15:
			return bodyLen >= 152
		}
		return true
	}
	return false
}

// shanghai is China Standard Time; SZSE LocalTimeStamps carry no zone.
var shanghai = time.FixedZone("CST", 8*3600)

// SZSETime converts a LocalTimeStamp (YYYYMMDDHHMMSSsss as decimal digits)
// to a time in China Standard Time; zero or malformed values give the zero
// time.
func SZSETime(v int64) time.Time {
	if v <= 0 {
		return time.Time{}
	}
	ms := int(v % 1000)
	v /= 1000
	sec := int(v % 100)
	v /= 100
	min := int(v % 100)
	v /= 100
	hour := int(v % 100)
	v /= 100
	day := int(v % 100)
	v /= 100
	mon := int(v % 100)
	year := int(v / 100)
	if year < 1970 || year > 9999 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 {
		return time.Time{}
	}
	return time.Date(year, time.Month(mon), day, hour, min, sec, ms*int(time.Millisecond), shanghai)
}

// SZSETimestamp is the inverse of SZSETime (millisecond precision).
func SZSETimestamp(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	t = t.In(shanghai)
	return ((((int64(t.Year())*100+int64(t.Month()))*100+int64(t.Day()))*100+int64(t.Hour()))*100+int64(t.Minute()))*100000 +
		int64(t.Second())*1000 + int64(t.Nanosecond()/int(time.Millisecond))
}
