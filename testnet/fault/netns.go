package fault

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// netnsNet puts every node of the network in a Linux network namespace of
// its own, linked by a veth pair to one bridge in the root namespace, so
// that links between nodes can be cut and healed without touching the
// machine's own interfaces:
//
//	root namespace:  clbr0 10.213.0.1/24 ─┬─ clv0 ══ eth0 10.213.0.2 (ns clns-0: bank-1)
//	                                      ├─ clv1 ══ eth0 10.213.0.3 (ns clns-1: broker-1)
//	                                      └─ ...
//
// 10.213.0.0/24 exists only on these interfaces: the harness creates it
// and removes it, and the load generator (in the root namespace) reaches
// each node's RPC through the bridge. Nothing leaves the machine: the
// bridge has no uplink and no route leads past it.
//
// Two ways to cut a link, both undone exactly:
//   - cut(a, b): blackhole routes in a's namespace to b's address and in
//     b's to a's. Packets between the two are dropped at the sender, in
//     both directions; each still reaches every other node and the load.
//     This is how a partition is made (one node from the rest, or 2–2).
//   - linkDown(a): the root-side veth of a set down: a loses every peer and
//     the load too, as when a cable is pulled. The flapping link toggles it.
type netnsNet struct {
	bridge string
	ns     []string // namespace of node i
	veth   []string // root-side veth of node i
	hosts  []string // address of node i
	index  map[string]int
	lock   *os.File
}

const (
	netnsSubnet = "10.213.0"
	netnsBridge = "clbr0"
)

// netnsUsable says why namespaces cannot be used here ("" if they can).
func netnsUsable() string {
	if os.Geteuid() != 0 {
		return "needs root to create network namespaces (ip netns add); run as root to include it"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "needs iproute2's ip (apt-get install iproute2; make faults installs it)"
	}
	probe := "clns-probe"
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		return fmt.Sprintf("ip netns add fails here: %v: %s", err, strings.TrimSpace(string(out)))
	}
	_ = exec.Command("ip", "netns", "del", probe).Run()
	return ""
}

func ipCmd(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// newNetns creates the bridge and one namespace per node name, in order.
// Leftovers of an earlier run that did not clean up are removed first.
func newNetns(ctx context.Context, names []string) (*netnsNet, error) {
	if len(names) > 200 {
		return nil, fmt.Errorf("fault: %d nodes do not fit in %s.0/24", len(names), netnsSubnet)
	}
	// One run at a time: the names are fixed, and a second run's clean-up
	// would tear down the first one's network.
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "custody-faults-netns.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("fault: another fault run holds the network namespaces (%s): %w", lock.Name(), err)
	}
	n := &netnsNet{bridge: netnsBridge, index: map[string]int{}, lock: lock}
	for i, name := range names {
		n.ns = append(n.ns, fmt.Sprintf("clns-%d", i))
		n.veth = append(n.veth, fmt.Sprintf("clv%d", i))
		n.hosts = append(n.hosts, fmt.Sprintf("%s.%d", netnsSubnet, i+2))
		n.index[name] = i
	}
	n.teardown()
	steps := [][]string{
		{"link", "add", n.bridge, "type", "bridge"},
		{"addr", "add", netnsSubnet + ".1/24", "dev", n.bridge},
		{"link", "set", n.bridge, "up"},
	}
	for i := range names {
		ns, veth, host := n.ns[i], n.veth[i], n.hosts[i]
		steps = append(steps,
			[]string{"netns", "add", ns},
			[]string{"link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns},
			[]string{"link", "set", veth, "master", n.bridge},
			[]string{"link", "set", veth, "up"},
			[]string{"-n", ns, "addr", "add", host + "/24", "dev", "eth0"},
			[]string{"-n", ns, "link", "set", "eth0", "up"},
			[]string{"-n", ns, "link", "set", "lo", "up"},
		)
	}
	for _, s := range steps {
		if err := ipCmd(ctx, s...); err != nil {
			n.close()
			return nil, err
		}
	}
	return n, nil
}

// teardown removes the namespaces (and with them their veth ends, whose
// peers go too) and the bridge. Errors are ignored: it also clears what
// may not exist.
func (n *netnsNet) teardown() {
	for i, ns := range n.ns {
		_ = exec.Command("ip", "netns", "del", ns).Run()
		_ = exec.Command("ip", "link", "del", n.veth[i]).Run()
	}
	_ = exec.Command("ip", "link", "del", n.bridge).Run()
}

// close tears the network down and lets another run make it.
func (n *netnsNet) close() {
	n.teardown()
	if n.lock != nil {
		n.lock.Close()
		n.lock = nil
	}
}

// wrap is the command prefix that runs a node in its namespace.
func (n *netnsNet) wrap(name string) []string {
	i, ok := n.index[name]
	if !ok {
		return nil
	}
	return []string{"ip", "netns", "exec", n.ns[i]}
}

// cut drops every packet between a and b, both ways.
func (n *netnsNet) cut(ctx context.Context, a, b string) error {
	return n.blackhole(ctx, "add", a, b)
}

// heal undoes cut.
func (n *netnsNet) heal(ctx context.Context, a, b string) error {
	return n.blackhole(ctx, "del", a, b)
}

func (n *netnsNet) blackhole(ctx context.Context, op, a, b string) error {
	ia, ib := n.index[a], n.index[b]
	if err := ipCmd(ctx, "-n", n.ns[ia], "route", op, "blackhole", n.hosts[ib]+"/32"); err != nil {
		return err
	}
	return ipCmd(ctx, "-n", n.ns[ib], "route", op, "blackhole", n.hosts[ia]+"/32")
}

// split cuts every link between a node of one group and a node of the
// other (heal: split with op "del").
func (n *netnsNet) split(ctx context.Context, op string, one, other []string) (int, error) {
	cuts := 0
	for _, a := range one {
		for _, b := range other {
			if err := n.blackhole(ctx, op, a, b); err != nil {
				return cuts, err
			}
			cuts++
		}
	}
	return cuts, nil
}

// linkSet sets a node's root-side veth "up" or "down".
func (n *netnsNet) linkSet(ctx context.Context, name, state string) error {
	return ipCmd(ctx, "link", "set", n.veth[n.index[name]], state)
}

// flap takes a node's link down and up every period for d, and returns
// how many times it went down. The link is left up.
func (n *netnsNet) flap(ctx context.Context, name string, period, d time.Duration) (int, error) {
	downs := 0
	for end := time.Now().Add(d); time.Now().Before(end) && ctx.Err() == nil; {
		if err := n.linkSet(ctx, name, "down"); err != nil {
			return downs, err
		}
		downs++
		sleep(ctx, period)
		if err := n.linkSet(context.WithoutCancel(ctx), name, "up"); err != nil {
			return downs, err
		}
		sleep(ctx, period)
	}
	return downs, nil
}
