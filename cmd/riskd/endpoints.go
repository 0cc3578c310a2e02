package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/custody-ledger/custody/capture/source"
)

// endpointCount is a TCP endpoint seen in a capture and its packets.
type endpointCount struct {
	Endpoint string
	Packets  int
}

// topEndpoints is what a capture file holds when the endpoints given
// matched none of it: the TCP host:port pairs of its packets, sources and
// destinations apart, most packets first (at most n each), and how many
// packets touch one of the given endpoints. It reads the file again: it
// runs only after a decode that found nothing.
func topEndpoints(path string, given []string, n int) (src, dst []endpointCount, matched int, err error) {
	s, err := source.OpenFile(path)
	if err != nil {
		return nil, nil, 0, err
	}
	defer s.Close()
	want := map[string]bool{}
	for _, g := range given {
		want[g] = true
	}
	srcs, dsts := map[string]int{}, map[string]int{}
	var (
		eth  layers.Ethernet
		lo   layers.Loopback
		sll  layers.LinuxSLL
		ip4  layers.IPv4
		ip6  layers.IPv6
		tcp  layers.TCP
		pay  gopacket.Payload
		seen []gopacket.LayerType
	)
	first := layers.LayerTypeEthernet
	switch s.LinkType() {
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		first = layers.LayerTypeLoopback
	case layers.LinkTypeLinuxSLL:
		first = layers.LayerTypeLinuxSLL
	case layers.LinkTypeRaw, layers.LinkTypeIPv4:
		first = layers.LayerTypeIPv4
	}
	p := gopacket.NewDecodingLayerParser(first, &eth, &lo, &sll, &ip4, &ip6, &tcp, &pay)
	p.IgnoreUnsupported = true
	for {
		data, _, rerr := s.ReadPacketData()
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return nil, nil, 0, rerr
		}
		_ = p.DecodeLayers(data, &seen)
		var sip, dip net.IP
		isTCP := false
		for _, lt := range seen {
			switch lt {
			case layers.LayerTypeIPv4:
				sip, dip = ip4.SrcIP, ip4.DstIP
			case layers.LayerTypeIPv6:
				sip, dip = ip6.SrcIP, ip6.DstIP
			case layers.LayerTypeTCP:
				isTCP = true
			}
		}
		if !isTCP || sip == nil {
			continue
		}
		se := net.JoinHostPort(sip.String(), strconv.Itoa(int(tcp.SrcPort)))
		de := net.JoinHostPort(dip.String(), strconv.Itoa(int(tcp.DstPort)))
		srcs[se]++
		dsts[de]++
		if want[se] || want[de] {
			matched++
		}
	}
	return top(srcs, n), top(dsts, n), matched, nil
}

func top(m map[string]int, n int) []endpointCount {
	out := make([]endpointCount, 0, len(m))
	for e, c := range m {
		out = append(out, endpointCount{e, c})
	}
	slices.SortFunc(out, func(a, b endpointCount) int {
		if a.Packets != b.Packets {
			return b.Packets - a.Packets
		}
		if a.Endpoint < b.Endpoint {
			return -1
		}
		return 1
	})
	return out[:min(n, len(out))]
}

// warnUnmatched prints, when no TCP packet of the capture touches one of
// the given endpoints, a warning naming the endpoints the capture does
// hold: the usual cause of a decode or replay that finds nothing is an
// --szse/--sse that is not the exchange side of the recorded sessions.
func warnUnmatched(w io.Writer, cmd, path string, szse, sse []string) {
	given := append(append([]string(nil), szse...), sse...)
	src, dst, matched, err := topEndpoints(path, given, 5)
	if err != nil || matched > 0 {
		return
	}
	fmt.Fprintf(w, "%s: warning: no packet in %s is to or from the given endpoints %v; every packet was ignored\n", cmd, path, given)
	if len(src)+len(dst) == 0 {
		fmt.Fprintf(w, "%s: the capture holds no TCP packets\n", cmd)
		return
	}
	print := func(what string, es []endpointCount) {
		fmt.Fprintf(w, "%s: top %s endpoints in the capture:\n", cmd, what)
		for _, e := range es {
			fmt.Fprintf(w, "  %-24s %d packets\n", e.Endpoint, e.Packets)
		}
	}
	print("destination", dst)
	print("source", src)
	fmt.Fprintf(w, "%s: give the exchange side (the gateway's or order database's host:port) with --szse / --sse\n", cmd)
}
