package source

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Filter selects the TCP traffic of the exchange endpoints.
type Filter struct {
	// Ports are the TCP ports of the configured endpoints; a packet passes
	// when its source or destination port is one of them. Hosts are checked
	// again in user space, exactly.
	Ports []uint16
	// DropOutgoing drops PACKET_OUTGOING copies: on the loopback device
	// every packet is seen once leaving and once arriving.
	DropOutgoing bool
}

// PACKET_OUTGOING, the sll_pkttype of a packet this host sent.
const packetOutgoing = 4

// Compile assembles the filter as classic BPF over Ethernet frames: IPv4
// (any header length, first fragment only) and IPv6 (TCP as next header)
// carrying TCP with a watched port; snap length 256 KiB.
func (f Filter) Compile() ([]bpf.RawInstruction, error) {
	if len(f.Ports) == 0 {
		return nil, fmt.Errorf("source: filter: no ports")
	}
	var p prog
	if f.DropOutgoing {
		p.add(bpf.LoadExtension{Num: bpf.ExtType})
		p.jeq(packetOutgoing, "drop", "")
	}
	p.add(bpf.LoadAbsolute{Off: 12, Size: 2})
	p.jeq(0x0800, "", "notv4")
	// IPv4: protocol TCP, not a later fragment.
	p.add(bpf.LoadAbsolute{Off: 23, Size: 1})
	p.jeq(6, "", "drop")
	p.add(bpf.LoadAbsolute{Off: 20, Size: 2})
	p.jset(0x1fff, "drop", "")
	p.add(bpf.LoadMemShift{Off: 14})
	p.add(bpf.LoadIndirect{Off: 14, Size: 2})
	p.ports(f.Ports, "")
	p.add(bpf.LoadIndirect{Off: 16, Size: 2})
	p.ports(f.Ports, "drop")
	p.label("notv4")
	p.add(bpf.LoadAbsolute{Off: 12, Size: 2})
	p.jeq(0x86dd, "", "drop")
	p.add(bpf.LoadAbsolute{Off: 20, Size: 1})
	p.jeq(6, "", "drop")
	p.add(bpf.LoadAbsolute{Off: 54, Size: 2})
	p.ports(f.Ports, "")
	p.add(bpf.LoadAbsolute{Off: 56, Size: 2})
	p.ports(f.Ports, "drop")
	p.label("accept")
	p.add(bpf.RetConstant{Val: 256 << 10})
	p.label("drop")
	p.add(bpf.RetConstant{Val: 0})
	ins, err := p.resolve()
	if err != nil {
		return nil, err
	}
	return bpf.Assemble(ins)
}

// prog is a tiny assembler with symbolic jump targets ("" = next).
type prog struct {
	ins    []bpf.Instruction
	jumps  map[int][2]string
	labels map[string]int
}

func (p *prog) add(i bpf.Instruction) { p.ins = append(p.ins, i) }
func (p *prog) label(l string) {
	if p.labels == nil {
		p.labels = map[string]int{}
	}
	p.labels[l] = len(p.ins)
}
func (p *prog) jump(i bpf.JumpIf, t, f string) {
	if p.jumps == nil {
		p.jumps = map[int][2]string{}
	}
	p.jumps[len(p.ins)] = [2]string{t, f}
	p.add(i)
}
func (p *prog) jeq(v uint32, t, f string)  { p.jump(bpf.JumpIf{Cond: bpf.JumpEqual, Val: v}, t, f) }
func (p *prog) jset(v uint32, t, f string) { p.jump(bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: v}, t, f) }

// ports jumps to accept when A is one of ports, else to miss ("" = fall through).
func (p *prog) ports(ports []uint16, miss string) {
	for i, port := range ports {
		f := ""
		if i == len(ports)-1 {
			f = miss
		}
		p.jeq(uint32(port), "accept", f)
	}
}

func (p *prog) resolve() ([]bpf.Instruction, error) {
	for at, tf := range p.jumps {
		j := p.ins[at].(bpf.JumpIf)
		for k, l := range tf {
			skip := 0
			if l != "" {
				to, ok := p.labels[l]
				if !ok {
					return nil, fmt.Errorf("source: filter: no label %q", l)
				}
				skip = to - at - 1
				if skip < 0 || skip > 255 {
					return nil, fmt.Errorf("source: filter: jump to %q out of range (too many ports?)", l)
				}
			}
			if k == 0 {
				j.SkipTrue = uint8(skip)
			} else {
				j.SkipFalse = uint8(skip)
			}
		}
		p.ins[at] = j
	}
	return p.ins, nil
}
