package source

import (
	"errors"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Source yields packets. The data ReadPacketData returns is the source's
// own buffer: it is valid until the next call (sources do not copy or
// allocate per packet). ReadPacketData returns io.EOF at the end of a file;
// a live source returns ErrTimeout when no packet arrived within its poll
// interval, so that callers can check their context and flush.
type Source interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	LinkType() layers.LinkType
	Close() error
}

// ErrTimeout is returned by a live source's ReadPacketData when its poll
// interval passed without a packet.
var ErrTimeout = errors.New("source: read timeout")

// ErrNotCapture is returned by OpenFile for a file that is neither pcap nor
// pcapng.
var ErrNotCapture = errors.New("source: not a pcap or pcapng file")

// KernelCounter is implemented by live sources whose kernel counts what it
// received for the capture and what it had to drop because the capture did
// not read fast enough. Both counts are cumulative since the source opened.
// Not safe for concurrent use with ReadPacketData: the capture loop reads
// it between packets.
type KernelCounter interface {
	KernelStats() (received, dropped uint64, err error)
}
