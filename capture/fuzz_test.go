package capture_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/capture/layers"
	"github.com/google/gopacket"
	gl "github.com/google/gopacket/layers"
)

// FuzzReassembly drives the whole packet path — link, IP, TCP, reassembly
// and both stream decoders — with packets cut from the fuzz input: each
// record is [2-byte length][1-byte flags][payload], sent on one SZSE and
// one SSE connection with sequence numbers the flags may bend (reorder,
// overlap, gaps). Nothing may panic, and the decoder must account for
// every packet.
func FuzzReassembly(f *testing.F) {
	frame := layers.AppendSZSE(nil, &layers.SZSEHeartbeatMsg{})
	order := layers.AppendSZSE(nil, &layers.SZSENewOrderMsg{ApplID: "010", ClOrdID: "C1", Side: '1', OrdType: '2', OrderQty: 100, Price: 10000})
	tds := layers.AppendTDSMessage(nil, layers.TDSPacketSQLBatch, 0, layers.AppendSQLBatch(nil, "INSERT INTO ashare_ordwth (rec_num,reff,acc,bs,price,qty) VALUES (1,'J1','A1','B','1.00','100')", true), 64)
	rec := func(flags byte, p []byte) []byte {
		return append(append(binary.BigEndian.AppendUint16(nil, uint16(len(p))), flags), p...)
	}
	f.Add(append(rec(0, frame), rec(0, order)...))
	f.Add(append(rec(1, order[:30]), rec(0, order[30:])...))
	f.Add(append(rec(2, tds[:50]), rec(2, tds[50:])...))
	f.Add(append(rec(6, tds), rec(4, frame)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg := capture.Config{SZSE: []string{"10.0.0.2:9000"}, SSE: []string{"10.0.0.3:1433"}, GapTimeout: time.Millisecond}
		d, err := capture.NewDecoder(cfg, func(*capture.Event) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		var seq [4]uint32
		buf := gopacket.NewSerializeBuffer()
		ts := time.Unix(1700000000, 0)
		n := 0
		for len(b) >= 3 && n < 200 {
			l := int(binary.BigEndian.Uint16(b))
			flags := b[2]
			b = b[3:]
			l = min(l, len(b))
			payload := b[:l]
			b = b[l:]
			k := int(flags & 3) // 0,1: SZSE out/in; 2,3: SSE out/in
			src, dst := "10.0.0.1", "10.0.0.2"
			sp, dp := uint16(40000), uint16(9000)
			if k >= 2 {
				dst, dp = "10.0.0.3", 1433
			}
			if k%2 == 1 {
				src, dst, sp, dp = dst, src, dp, sp
			}
			s := seq[k]
			if flags&4 != 0 {
				s -= uint32(flags >> 3) // overlap / retransmission
			}
			if flags&0x80 != 0 {
				s += 7 // a gap
			}
			seq[k] = s + uint32(len(payload))
			ip := &gl.IPv4{Version: 4, TTL: 64, Protocol: gl.IPProtocolTCP, SrcIP: parseIP(src), DstIP: parseIP(dst)}
			tcp := &gl.TCP{SrcPort: gl.TCPPort(sp), DstPort: gl.TCPPort(dp), Seq: s, ACK: true, FIN: flags&0x40 != 0, Window: 1000}
			tcp.SetNetworkLayerForChecksum(ip)
			if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, &gl.Ethernet{EthernetType: gl.EthernetTypeIPv4,
				SrcMAC: []byte{2, 0, 0, 0, 0, 1}, DstMAC: []byte{2, 0, 0, 0, 0, 2}}, ip, tcp, gopacket.Payload(payload)); err != nil {
				t.Fatal(err)
			}
			data := buf.Bytes()
			if err := d.Decode(data, gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(data)}, gl.LinkTypeEthernet); err != nil {
				t.Fatal(err)
			}
			ts = ts.Add(time.Duration(flags&0x30) * time.Microsecond * 10)
			n++
		}
		st, err := d.Close()
		if err != nil {
			t.Fatal(err)
		}
		if st.Panics != 0 {
			t.Fatalf("decoder panicked %d times", st.Panics)
		}
		if st.Packets != uint64(n) {
			t.Fatalf("packets %d, fed %d", st.Packets, n)
		}
	})
}

func parseIP(s string) []byte {
	var b [4]byte
	var i, v int
	for _, c := range s + "." {
		if c == '.' {
			b[i] = byte(v)
			i, v = i+1, 0
			continue
		}
		v = v*10 + int(c-'0')
	}
	return b[:]
}
