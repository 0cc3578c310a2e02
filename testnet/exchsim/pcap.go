package exchsim

import (
	"fmt"
	"io"
	"math/rand"
	"net"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// PcapOptions shape the packets WritePcap produces.
type PcapOptions struct {
	// MSS is the largest TCP payload per packet (default 1460). A small MSS
	// splits frames across segments; a large one packs several per segment.
	MSS int
	// NG writes pcapng instead of pcap.
	NG bool
	// Drop lists data packets (0-based, in write order over the whole file)
	// to leave out: lost segments.
	Drop []int
	// Reorder and Duplicate are probabilities, per data packet, of swapping
	// it with the next packet of the same direction and of writing it
	// twice. Seed makes them reproducible.
	Reorder, Duplicate float64
	Seed               int64
	// Start is the capture time of the first packet (default 2024-01-02
	// 09:30 CST); packets are Step apart (default 50µs).
	Start time.Time
	Step  time.Duration
}

// PcapResult reports what WritePcap wrote.
type PcapResult struct {
	Packets, DataPackets, Dropped, Reordered, Duplicated int
	Bytes                                                int64
}

type pkt struct {
	conn      int
	fromCli   bool
	seq       uint32
	flags     byte // 1 SYN, 2 FIN, 4 ACK-only
	data      []byte
	dataIndex int
}

// WritePcap writes the recorded connections as Ethernet/IPv4/TCP packets:
// a three-way handshake, the data cut at MSS, and FINs at the end.
func WritePcap(w io.Writer, conns []ConnInfo, segs []Segment, o PcapOptions) (PcapResult, error) {
	if o.MSS <= 0 {
		o.MSS = 1460
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2024, 1, 2, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	}
	if o.Step <= 0 {
		o.Step = 50 * time.Microsecond
	}
	rng := rand.New(rand.NewSource(o.Seed))
	drop := map[int]bool{}
	for _, i := range o.Drop {
		drop[i] = true
	}
	// Sequence numbers per connection and direction.
	type dirState struct{ seq uint32 }
	state := make([][2]dirState, len(conns))
	var pkts []pkt
	for i := range conns {
		state[i][0].seq, state[i][1].seq = 1000+uint32(i)*7919, 500000+uint32(i)*104729
		pkts = append(pkts, pkt{conn: i, fromCli: true, seq: state[i][0].seq, flags: 1}, pkt{conn: i, fromCli: false, seq: state[i][1].seq, flags: 1})
		state[i][0].seq++
		state[i][1].seq++
	}
	dataIdx := 0
	for _, s := range segs {
		d := 1
		if s.FromClient {
			d = 0
		}
		for b := s.Data; len(b) > 0; {
			n := min(len(b), o.MSS)
			pkts = append(pkts, pkt{conn: s.Conn, fromCli: s.FromClient, seq: state[s.Conn][d].seq, data: b[:n], dataIndex: dataIdx})
			state[s.Conn][d].seq += uint32(n)
			dataIdx++
			b = b[n:]
		}
	}
	for i := range conns {
		pkts = append(pkts, pkt{conn: i, fromCli: true, seq: state[i][0].seq, flags: 2}, pkt{conn: i, fromCli: false, seq: state[i][1].seq, flags: 2})
	}
	var res PcapResult
	// Impairments on data packets.
	var out []pkt
	for i := 0; i < len(pkts); i++ {
		p := pkts[i]
		if p.data != nil && drop[p.dataIndex] {
			res.Dropped++
			continue
		}
		if p.data != nil && o.Reorder > 0 && rng.Float64() < o.Reorder {
			// swap with the next data packet of the same direction
			// Only packets in flight together are reordered: never past a
			// packet of the other direction, which a request/response
			// protocol could not have sent before this one arrived.
			for j := i + 1; j < len(pkts) && j < i+8; j++ {
				q := pkts[j]
				if q.conn == p.conn && q.fromCli != p.fromCli {
					break
				}
				if q.data != nil && q.conn == p.conn && q.fromCli == p.fromCli && !drop[q.dataIndex] {
					pkts[i], pkts[j] = pkts[j], pkts[i]
					p = pkts[i]
					res.Reordered++
					break
				}
			}
		}
		out = append(out, p)
		if p.data != nil && o.Duplicate > 0 && rng.Float64() < o.Duplicate {
			out = append(out, p)
			res.Duplicated++
		}
	}
	var pw interface {
		WritePacket(gopacket.CaptureInfo, []byte) error
	}
	var ngw *pcapgo.NgWriter
	if o.NG {
		var err error
		ngw, err = pcapgo.NewNgWriter(w, layers.LinkTypeEthernet)
		if err != nil {
			return res, fmt.Errorf("exchsim: pcapng: %w", err)
		}
		pw = ngw
	} else {
		pcw := pcapgo.NewWriterNanos(w)
		if err := pcw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
			return res, fmt.Errorf("exchsim: pcap: %w", err)
		}
		pw = pcw
	}
	buf := gopacket.NewSerializeBuffer()
	ts := o.Start
	for _, p := range out {
		c := conns[p.conn]
		src, dst := c.Client, c.Server
		if !p.fromCli {
			src, dst = dst, src
		}
		eth := &layers.Ethernet{SrcMAC: mac(src.Port()), DstMAC: mac(dst.Port()), EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IP(src.Addr().AsSlice()), DstIP: net.IP(dst.Addr().AsSlice())}
		tcp := &layers.TCP{SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()), Seq: p.seq, Window: 65535,
			SYN: p.flags&1 != 0, FIN: p.flags&2 != 0, ACK: p.flags&1 == 0, PSH: p.data != nil}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			return res, err
		}
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			eth, ip, tcp, gopacket.Payload(p.data)); err != nil {
			return res, fmt.Errorf("exchsim: serialize: %w", err)
		}
		b := buf.Bytes()
		if err := pw.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(b), Length: len(b)}, b); err != nil {
			return res, fmt.Errorf("exchsim: write packet: %w", err)
		}
		ts = ts.Add(o.Step)
		res.Packets++
		res.Bytes += int64(len(b))
		if p.data != nil {
			res.DataPackets++
		}
	}
	if ngw != nil {
		if err := ngw.Flush(); err != nil {
			return res, err
		}
	}
	return res, nil
}

func mac(port uint16) net.HardwareAddr {
	return net.HardwareAddr{0x02, 0, 0, 0, byte(port >> 8), byte(port)}
}
