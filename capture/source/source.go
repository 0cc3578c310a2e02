package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Source yields packets. ReadPacketData returns io.EOF at the end of a file;
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

type fileSource struct {
	f *os.File
	r interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	lt layers.LinkType
}

func (s *fileSource) ReadPacketData() ([]byte, gopacket.CaptureInfo, error) {
	return s.r.ReadPacketData()
}
func (s *fileSource) LinkType() layers.LinkType { return s.lt }
func (s *fileSource) Close() error              { return s.f.Close() }

// OpenFile opens a pcap (either byte order, micro- or nanosecond) or pcapng
// file, telling them apart by their magic number.
func OpenFile(path string) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	br := bufio.NewReaderSize(f, 1<<20)
	magic, err := br.Peek(4)
	if err != nil {
		f.Close()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("source: %s: %w", path, ErrNotCapture)
		}
		return nil, fmt.Errorf("source: %s: %w", path, err)
	}
	s := &fileSource{f: f}
	if bytes.Equal(magic, []byte{0x0A, 0x0D, 0x0D, 0x0A}) {
		r, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{})
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("source: %s: pcapng: %w", path, err)
		}
		s.r, s.lt = r, r.LinkType()
		return s, nil
	}
	r, err := pcapgo.NewReader(br)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("source: %s: %w (%v)", path, ErrNotCapture, err)
	}
	s.r, s.lt = r, r.LinkType()
	return s, nil
}
