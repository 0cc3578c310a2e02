package capture

import (
	"encoding/binary"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/custody-ledger/custody/capture/layers"
	"github.com/google/gopacket"
	gl "github.com/google/gopacket/layers"
)

// wire builds Ethernet/IPv4/TCP packets for many flows to one SZSE and one
// SSE endpoint and feeds them to a Decoder.
type wire struct {
	t   testing.TB
	d   *Decoder
	seq map[[2]uint16]uint32
	buf gopacket.SerializeBuffer
	ts  time.Time
	n   int
}

const (
	wireSZSE = "10.0.0.2:9000"
	wireSSE  = "10.0.0.3:1433"
)

func newWire(t testing.TB, cfg Config, emit func(*Event) error) *wire {
	cfg.SZSE, cfg.SSE = []string{wireSZSE}, []string{wireSSE}
	if emit == nil {
		emit = func(*Event) error { return nil }
	}
	d, err := NewDecoder(cfg, emit)
	if err != nil {
		t.Fatal(err)
	}
	return &wire{t: t, d: d, seq: map[[2]uint16]uint32{}, buf: gopacket.NewSerializeBuffer(), ts: time.Unix(1700000000, 0)}
}

// send sends payload on the connection from client port cport to the SSE
// (sse) or SZSE endpoint, towards the exchange or back.
func (w *wire) send(cport uint16, sse, toExch bool, payload []byte) {
	src, dst := []byte{10, 0, 0, 1}, []byte{10, 0, 0, 2}
	sp, dp := cport, uint16(9000)
	if sse {
		dst, dp = []byte{10, 0, 0, 3}, 1433
	}
	if !toExch {
		src, dst, sp, dp = dst, src, dp, sp
	}
	k := [2]uint16{sp, dp}
	s := w.seq[k]
	w.seq[k] = s + uint32(len(payload))
	ip := &gl.IPv4{Version: 4, TTL: 64, Protocol: gl.IPProtocolTCP, SrcIP: src, DstIP: dst}
	tcp := &gl.TCP{SrcPort: gl.TCPPort(sp), DstPort: gl.TCPPort(dp), Seq: s, ACK: true, Window: 1000}
	tcp.SetNetworkLayerForChecksum(ip)
	if err := gopacket.SerializeLayers(w.buf, gopacket.SerializeOptions{FixLengths: true}, &gl.Ethernet{EthernetType: gl.EthernetTypeIPv4,
		SrcMAC: []byte{2, 0, 0, 0, 0, 1}, DstMAC: []byte{2, 0, 0, 0, 0, 2}}, ip, tcp, gopacket.Payload(payload)); err != nil {
		w.t.Fatal(err)
	}
	data := w.buf.Bytes()
	w.ts = w.ts.Add(time.Microsecond)
	w.n++
	if err := w.d.Decode(data, gopacket.CaptureInfo{Timestamp: w.ts, CaptureLength: len(data), Length: len(data)}, gl.LinkTypeEthernet); err != nil {
		w.t.Fatal(err)
	}
}

// tdsPacket is one TDS packet of type SQL batch; eom ends the message.
func tdsPacket(payload []byte, eom bool) []byte {
	var status uint8
	if eom {
		status = layers.TDSStatusEOM
	}
	p := []byte{layers.TDSPacketSQLBatch, status, 0, 0, 0, 0, 1, 0}
	binary.BigEndian.PutUint16(p[2:], uint16(len(payload)+8))
	return append(p, payload...)
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// An SSE connection sends a message that never ends (no end-of-message
// bit, 64 MiB): it is cut at MaxMessageBytes, memory stays bounded, and the
// next message after its end decodes normally.
func TestLimits_EndlessTDSMessageStaysBounded(t *testing.T) {
	var events int
	w := newWire(t, Config{MaxMessageBytes: 1 << 20}, func(*Event) error { events++; return nil })
	before := heapInUse()
	chunk := tdsPacket(make([]byte, 4000), false)
	peak := uint64(0)
	for i := range 64 << 20 / 4000 {
		w.send(40000, true, true, chunk)
		if i%4096 == 0 {
			peak = max(peak, heapInUse())
		}
	}
	peak = max(peak, heapInUse())
	if grew := int64(peak) - int64(before); grew > 16<<20 {
		t.Fatalf("heap grew by %d MiB feeding an endless message (limit 1 MiB)", grew>>20)
	}
	if w.d.buffered > 1<<20 {
		t.Fatalf("decoder holds %d message bytes past the 1 MiB limit", w.d.buffered)
	}
	w.send(40000, true, true, tdsPacket(nil, true)) // the endless message ends
	insert := layers.AppendSQLBatch(nil, "INSERT INTO ashare_ordwth (rec_num,reff,acc,stock,bs,price,qty) VALUES (1,'J1','A1','600000','B','1.00','100')", true)
	w.send(40000, true, true, tdsPacket(insert, true))
	st, err := w.d.Close()
	if err != nil {
		t.Fatal(err)
	}
	if st.CutMessages != 1 || st.CutBytes < 60<<20 {
		t.Fatalf("cut %d messages, %d bytes; want 1 and the 64 MiB", st.CutMessages, st.CutBytes)
	}
	if events != 1 {
		t.Fatalf("%d events after the cut message, want the insert's 1", events)
	}
	if w.d.buffered != 0 {
		t.Fatalf("%d bytes still accounted as buffered after Close", w.d.buffered)
	}
}

// Many connections each hold half a message: the total stays within
// MaxBufferedBytes and the excess is cut, counted.
func TestLimits_TotalBufferedAcrossConnections(t *testing.T) {
	w := newWire(t, Config{MaxBufferedBytes: 1 << 20}, nil)
	part := tdsPacket(make([]byte, 30000), false)
	for c := range 100 {
		for range 4 {
			w.send(uint16(30000+c), true, true, part)
			if w.d.buffered > 1<<20 {
				t.Fatalf("buffered %d > 1 MiB", w.d.buffered)
			}
		}
	}
	st := w.d.Stats()
	if st.CutMessages == 0 {
		t.Fatal("no message cut with 12 MB of partial messages against a 1 MiB limit")
	}
	w.d.Close()
}

func TestLimits_ConnectionsRefusedPastMax(t *testing.T) {
	w := newWire(t, Config{MaxConnections: 10}, nil)
	hb := layers.AppendSZSE(nil, &layers.SZSEHeartbeatMsg{})
	for c := range 50 {
		w.send(uint16(20000+c), false, true, hb)
	}
	st := w.d.Stats()
	if st.Streams != 10 || st.RefusedStreams != 40 {
		t.Fatalf("streams %d refused %d, want 10 and 40", st.Streams, st.RefusedStreams)
	}
	if st.Messages["szse/3"] != 10 {
		t.Fatalf("heartbeats decoded %d, want 10 (only the accepted connections)", st.Messages["szse/3"])
	}
	w.d.Close()
}

func TestDedupSet_BoundedAndRemembersRecent(t *testing.T) {
	var aged uint64
	s := newDedupSet(1000, &aged)
	key := func(i int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(i)) }
	for i := range 100_000 {
		if s.seen(key(i)) {
			t.Fatalf("key %d reported seen on first sight", i)
		}
		if !s.seen(key(i)) {
			t.Fatalf("key %d not seen right after", i)
		}
		if n := len(s.cur) + len(s.old); n > 1000 {
			t.Fatalf("%d keys held, limit 1000", n)
		}
	}
	// The last 500 are always within the window.
	for i := 100_000 - 500; i < 100_000; i++ {
		if !s.seen(key(i)) {
			t.Fatalf("recent key %d forgotten", i)
		}
	}
	if aged == 0 {
		t.Fatal("no key aged out")
	}
}

// FuzzLongStreams feeds thousands of packets over many flows, built from a
// generator the fuzz input seeds and steers: whole and truncated SZSE
// frames and TDS messages, endless TDS messages, corrupted bytes, gaps and
// duplicates. Nothing may panic, every packet is accounted for, and the
// decoder's held message bytes and connections stay within their limits.
func FuzzLongStreams(f *testing.F) {
	f.Add(uint64(1), []byte{0, 1, 2, 3, 4, 5, 6, 7})
	f.Add(uint64(2), []byte{7, 7, 7, 7})
	f.Add(uint64(3), []byte{3, 200, 5, 1})
	order := layers.AppendSZSE(nil, &layers.SZSENewOrderMsg{ApplID: "010", ClOrdID: "C1", Side: '1', OrdType: '2', OrderQty: 100, Price: 10000})
	report := layers.AppendSZSE(nil, &layers.SZSEExecutionReportMsg{SZSEReportHeader: layers.SZSEReportHeader{PartitionNo: 1, ReportIndex: 7}, ExecID: "E1", LastQty: 100})
	insert := layers.AppendTDSMessage(nil, layers.TDSPacketSQLBatch, 0, layers.AppendSQLBatch(nil,
		"INSERT INTO ashare_ordwth (rec_num,reff,acc,bs,price,qty) VALUES (1,'J1','A1','B','1.00','100')", true), 512)
	f.Fuzz(func(t *testing.T, seed uint64, steer []byte) {
		if len(steer) == 0 {
			return
		}
		cfg := Config{MaxMessageBytes: 64 << 10, MaxBufferedBytes: 512 << 10, MaxConnections: 40, MaxDedupKeys: 64, MaxPrepared: 8, GapTimeout: time.Millisecond,
			Logger: slog.New(slog.DiscardHandler)}
		w := newWire(t, cfg, nil)
		rng := rand.New(rand.NewPCG(seed, 14))
		for i := range 3000 {
			op := steer[i%len(steer)] ^ byte(rng.IntN(256))
			cport := uint16(10000 + rng.IntN(64))
			sse := op&1 != 0
			var p []byte
			switch op >> 1 & 7 {
			case 0, 1:
				p = order
				if sse {
					p = insert
				}
			case 2:
				p = report
				if sse {
					p = tdsPacket(make([]byte, 1+rng.IntN(8000)), false) // endless
				}
			case 3:
				if sse {
					p = tdsPacket(nil, true)
				} else {
					p = order[:rng.IntN(len(order))] // truncated
				}
			case 4:
				p = append([]byte(nil), order...)
				if sse {
					p = append([]byte(nil), insert...)
				}
				p[rng.IntN(len(p))] ^= byte(1 + rng.IntN(255)) // corrupted
			case 5:
				k := [2]uint16{cport, 9000}
				if sse {
					k[1] = 1433
				}
				w.seq[k] += uint32(rng.IntN(3000)) // a gap
				p = order
			default:
				p = make([]byte, rng.IntN(1400))
				for j := range p {
					p[j] = byte(rng.IntN(256))
				}
			}
			if len(p) == 0 {
				continue
			}
			w.send(cport, sse, op&0x40 == 0, p)
			if w.d.buffered > cfg.MaxBufferedBytes || w.d.conns > cfg.MaxConnections {
				t.Fatalf("packet %d: %d bytes buffered, %d connections: past the limits", i, w.d.buffered, w.d.conns)
			}
			if n := len(w.d.seen.cur) + len(w.d.seen.old); n > cfg.MaxDedupKeys {
				t.Fatalf("%d dedup keys held, limit %d", n, cfg.MaxDedupKeys)
			}
		}
		st, err := w.d.Close()
		if err != nil {
			t.Fatal(err)
		}
		if st.Panics != 0 {
			t.Fatalf("decoder panicked %d times", st.Panics)
		}
		if st.Packets != uint64(w.n) {
			t.Fatalf("packets %d, fed %d", st.Packets, w.n)
		}
	})
}
