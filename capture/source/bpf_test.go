package source

import (
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/net/bpf"
)

func frame(t *testing.T, v6 bool, sport, dport uint16, proto layers.IPProtocol) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), ACK: true}
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	var l []gopacket.SerializableLayer
	if v6 {
		eth.EthernetType = layers.EthernetTypeIPv6
		ip := &layers.IPv6{Version: 6, NextHeader: proto, HopLimit: 64, SrcIP: net.ParseIP("fd00::1"), DstIP: net.ParseIP("fd00::2")}
		tcp.SetNetworkLayerForChecksum(ip)
		udp.SetNetworkLayerForChecksum(ip)
		l = []gopacket.SerializableLayer{eth, ip}
	} else {
		ip := &layers.IPv4{Version: 4, IHL: 6, Options: []layers.IPv4Option{{OptionType: 1}, {OptionType: 1}, {OptionType: 1}, {OptionType: 0}},
			TTL: 64, Protocol: proto, SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}}
		tcp.SetNetworkLayerForChecksum(ip)
		udp.SetNetworkLayerForChecksum(ip)
		l = []gopacket.SerializableLayer{eth, ip}
	}
	if proto == layers.IPProtocolTCP {
		l = append(l, tcp)
	} else {
		l = append(l, udp)
	}
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, append(l, gopacket.Payload("x"))...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFilter_Compile runs the compiled kernel filter in x/net/bpf's VM:
// IPv4 with options and IPv6, either port direction, other ports and UDP
// refused.
func TestFilter_Compile(t *testing.T) {
	raw, err := Filter{Ports: []uint16{9000, 1433}}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	ins, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatal("disassemble")
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		v6     bool
		sp, dp uint16
		proto  layers.IPProtocol
		pass   bool
	}{
		{"v4 to gateway", false, 40000, 9000, layers.IPProtocolTCP, true},
		{"v4 from db", false, 1433, 40000, layers.IPProtocolTCP, true},
		{"v4 other port", false, 40000, 80, layers.IPProtocolTCP, false},
		{"v4 udp on port", false, 40000, 9000, layers.IPProtocolUDP, false},
		{"v6 to gateway", true, 40000, 9000, layers.IPProtocolTCP, true},
		{"v6 from db", true, 1433, 40000, layers.IPProtocolTCP, true},
		{"v6 other", true, 40000, 443, layers.IPProtocolTCP, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := vm.Run(frame(t, tt.v6, tt.sp, tt.dp, tt.proto))
			if err != nil {
				t.Fatal(err)
			}
			if (n > 0) != tt.pass {
				t.Fatalf("pass = %v (snap %d), want %v", n > 0, n, tt.pass)
			}
		})
	}
	if _, err := (Filter{}).Compile(); err == nil {
		t.Fatal("empty filter compiled")
	}
}
