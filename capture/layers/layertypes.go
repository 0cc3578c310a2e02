package layers

import (
	"errors"
	"fmt"

	"github.com/google/gopacket"
)

// Layer numbers of our protocols, registered once from this table. gopacket
// reserves numbers below 2000 for its own layers.
var (
	LayerTypeSZSE = gopacket.RegisterLayerType(2701, gopacket.LayerTypeMetadata{Name: "SZSEBinary", Decoder: gopacket.DecodeFunc(decodeSZSE)})
	LayerTypeTDS  = gopacket.RegisterLayerType(2702, gopacket.LayerTypeMetadata{Name: "TDS", Decoder: gopacket.DecodeFunc(decodeTDS)})
)

func decodeSZSE(data []byte, p gopacket.PacketBuilder) error {
	f := &SZSEFrame{}
	if err := f.DecodeFromBytes(data, p); err != nil {
		return err
	}
	p.AddLayer(f)
	return nil
}

func decodeTDS(data []byte, p gopacket.PacketBuilder) error {
	t := &TDSPacket{}
	if err := t.DecodeFromBytes(data, p); err != nil {
		return err
	}
	p.AddLayer(t)
	return nil
}

// Errors returned by the decoders. Each is wrapped with context (message
// type, field) and checked with errors.Is.
var (
	// ErrTruncated is returned when a frame, packet, message or field is
	// shorter than its layout says.
	ErrTruncated = errors.New("layers: truncated")
	// ErrBadChecksum is returned by SZSEFrame.DecodeFromBytes when the
	// trailer does not match the byte sum of header and body.
	ErrBadChecksum = errors.New("layers: bad checksum")
	// ErrBadLength is returned when a length field is out of its sane range.
	ErrBadLength = errors.New("layers: bad length")
	// ErrMalformed is returned when a field holds a value its layout forbids
	// (bad token, bad type, bad parameter).
	ErrMalformed = errors.New("layers: malformed")
)

// UnsupportedError reports a message type the decoder does not know. Callers
// count and skip such messages: `errors.As(err, &layers.UnsupportedError{})`.
type UnsupportedError struct {
	Protocol string // "szse" or "tds"
	Type     uint32 // message type, packet type or token
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("layers: unsupported %s message type %d", e.Protocol, e.Type)
}

// decodeGuard turns a panic inside a decoder into an error: the parser
// boundary of the gopacket model. The fuzz targets exist so that it never
// fires; it is there so that a missed case costs one message, not the process.
func decodeGuard(err *error, what string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("layers: %s: internal decoder panic: %v: %w", what, r, ErrMalformed)
	}
}
