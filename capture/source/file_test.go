package source

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

func writeFile(t testing.TB, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.pcap")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type pkt struct {
	data []byte
	ts   time.Time
}

func testPackets() []pkt {
	var ps []pkt
	base := time.Unix(1700000000, 123456000).UTC()
	for i := range 50 {
		d := bytes.Repeat([]byte{byte(i)}, 60+i*7)
		ps = append(ps, pkt{d, base.Add(time.Duration(i) * time.Millisecond)})
	}
	return ps
}

func readAll(t *testing.T, path string) ([]pkt, layers.LinkType) {
	t.Helper()
	s, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got []pkt
	for {
		d, ci, err := s.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return got, s.LinkType()
		}
		if err != nil {
			t.Fatal(err)
		}
		if ci.CaptureLength != len(d) {
			t.Fatalf("capture length %d, data %d", ci.CaptureLength, len(d))
		}
		got = append(got, pkt{append([]byte(nil), d...), ci.Timestamp})
	}
}

func checkSame(t *testing.T, got, want []pkt) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d packets, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i].data, want[i].data) || !got[i].ts.Equal(want[i].ts) {
			t.Fatalf("packet %d: %d bytes at %v, want %d at %v", i, len(got[i].data), got[i].ts, len(want[i].data), want[i].ts)
		}
	}
}

func TestOpenFile_PcapRoundTrip(t *testing.T) {
	for _, nano := range []bool{false, true} {
		var buf bytes.Buffer
		var w *pcapgo.Writer
		if nano {
			w = pcapgo.NewWriterNanos(&buf)
		} else {
			w = pcapgo.NewWriter(&buf)
		}
		w.WriteFileHeader(65535, layers.LinkTypeEthernet)
		ps := testPackets()
		for _, p := range ps {
			w.WritePacket(gopacket.CaptureInfo{Timestamp: p.ts, CaptureLength: len(p.data), Length: len(p.data)}, p.data)
		}
		got, lt := readAll(t, writeFile(t, buf.Bytes()))
		if lt != layers.LinkTypeEthernet {
			t.Fatalf("link type %v", lt)
		}
		checkSame(t, got, ps)
	}
}

func TestOpenFile_PcapngRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeLinuxSLL)
	if err != nil {
		t.Fatal(err)
	}
	ps := testPackets()
	for _, p := range ps {
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: p.ts, CaptureLength: len(p.data), Length: len(p.data)}, p.data); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	got, lt := readAll(t, writeFile(t, buf.Bytes()))
	if lt != layers.LinkTypeLinuxSLL {
		t.Fatalf("link type %v", lt)
	}
	checkSame(t, got, ps)
}

// pcapHeader is a classic little-endian microsecond pcap header.
func pcapHeader(snap uint32) []byte {
	h := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4)
	h = binary.LittleEndian.AppendUint16(h, 2)
	h = binary.LittleEndian.AppendUint16(h, 4)
	h = binary.LittleEndian.AppendUint64(h, 0)
	h = binary.LittleEndian.AppendUint32(h, snap)
	return binary.LittleEndian.AppendUint32(h, 1)
}

func record(caplen, length uint32, data []byte) []byte {
	r := binary.LittleEndian.AppendUint64(nil, 0)
	r = binary.LittleEndian.AppendUint32(r, caplen)
	r = binary.LittleEndian.AppendUint32(r, length)
	return append(r, data...)
}

// The 40-byte file of issue 14: a header claiming a huge snap length and one
// record claiming a gigabyte. It must fail clearly, before allocating.
func TestOpenFile_AbsurdLengthsFailBeforeAllocating(t *testing.T) {
	cases := map[string][]byte{
		"snap length":   append(pcapHeader(0xFFFFFFF0), record(1<<30, 1<<30, nil)...),
		"record length": append(pcapHeader(0), record(1<<30, 1<<30, nil)...),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, b)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			s, err := OpenFile(path)
			if err == nil {
				_, _, err = s.ReadPacketData()
				s.Close()
			}
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrRecordTooLarge) {
				t.Fatalf("err = %v, want ErrRecordTooLarge", err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
				t.Fatalf("allocated %d bytes for a %d-byte file", grew, len(b))
			}
		})
	}
}

func TestOpenFile_CorruptAndTruncated(t *testing.T) {
	good := append(pcapHeader(65535), record(4, 4, []byte{1, 2, 3, 4})...)
	cases := map[string]struct {
		b    []byte
		want error
	}{
		"caplen over snap":   {append(pcapHeader(100), record(200, 200, make([]byte, 200))...), ErrCorrupt},
		"truncated record":   {good[:len(good)-2], io.ErrUnexpectedEOF},
		"truncated header":   {append(pcapHeader(65535), 1, 2, 3), io.ErrUnexpectedEOF},
		"pcapng bad length":  {[]byte{0x0A, 0x0D, 0x0D, 0x0A, 13, 0, 0, 0, 0x4D, 0x3C, 0x2B, 0x1A, 0}, ErrCorrupt},
		"pcapng no iface":    {pcapngSection(), ErrNotCapture},
		"pcapng huge block":  {append(pcapngSection(), 1, 0, 0, 0, 0xF0, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0), ErrRecordTooLarge},
		"pcapng packet only": {append(pcapngSection(), ngBlock(pcapngEPB, make([]byte, 20))...), ErrCorrupt},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := OpenFile(writeFile(t, c.b))
			for err == nil {
				_, _, err = s.ReadPacketData()
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func ngBlock(typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	b := binary.LittleEndian.AppendUint32(nil, typ)
	b = binary.LittleEndian.AppendUint32(b, n)
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, n)
}

func pcapngSection() []byte {
	body := binary.LittleEndian.AppendUint32(nil, pcapngBOM)
	body = binary.LittleEndian.AppendUint16(body, 1)
	body = binary.LittleEndian.AppendUint16(body, 0)
	body = binary.LittleEndian.AppendUint64(body, ^uint64(0))
	return ngBlock(pcapngSHB, body)
}

// FuzzOpenFile feeds arbitrary bytes as a capture file: no panic, every
// packet within the limit, and no allocation beyond the reader's buffer.
func FuzzOpenFile(f *testing.F) {
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	w.WriteFileHeader(65535, layers.LinkTypeEthernet)
	for _, p := range testPackets()[:3] {
		w.WritePacket(gopacket.CaptureInfo{Timestamp: p.ts, CaptureLength: len(p.data), Length: len(p.data)}, p.data)
	}
	f.Add(buf.Bytes())
	var ng bytes.Buffer
	nw, _ := pcapgo.NewNgWriter(&ng, layers.LinkTypeEthernet)
	for _, p := range testPackets()[:3] {
		nw.WritePacket(gopacket.CaptureInfo{Timestamp: p.ts, CaptureLength: len(p.data), Length: len(p.data)}, p.data)
	}
	nw.Flush()
	f.Add(ng.Bytes())
	f.Add(append(pcapHeader(0xFFFFFFFF), record(1<<31, 1<<31, nil)...))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "fuzz.pcap")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := OpenFileWith(path, FileOptions{MaxPacket: 4096})
		if err != nil {
			return
		}
		defer s.Close()
		for range 10000 {
			d, ci, err := s.ReadPacketData()
			if err != nil {
				return
			}
			if len(d) > 4096 || len(d) != ci.CaptureLength {
				t.Fatalf("packet of %d bytes (capture length %d) past a 4096 limit", len(d), ci.CaptureLength)
			}
		}
	})
}
