// Package netns builds a private multi-host network on one Linux machine:
// one network namespace per "host", each with its own address on a private
// /24, joined by veth pairs to a bridge in the root namespace (which holds
// the .254 address, so the test process itself reaches every host). Nodes
// started in a namespace talk to each other over real TCP between distinct
// addresses, as institutions' machines would, and a host can be cut off or
// killed without touching the others.
//
// It needs root (CAP_NET_ADMIN) and iproute2's ip; Check says whether both
// are there, and tests skip with its message when not. Everything Create
// makes is named after Config.Name and removed by Close, so two networks
// (or two test processes) with different names and subnets do not meet.
//
// The fault harness (testnet/fault) and the multi-host network test are
// meant to share this package: Host.Wrap runs a command inside a host, and
// SetLink cuts or restores a host's link.
package netns

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
)

// ErrUnavailable is wrapped by Check and Create when this machine cannot
// make namespaces (not root, or no ip command).
var ErrUnavailable = errors.New("netns: network namespaces unavailable")

// Config says what network to build.
type Config struct {
	// Name prefixes every namespace and interface: 1 to 6 lower-case letters
	// or digits, unique among the networks alive on the machine.
	Name string
	// Hosts is the number of namespaces, 1 to 250.
	Hosts int
	// Subnet is a private IPv4 /24 used nowhere else on the machine; host i
	// gets .i+1, the bridge .254. Default 10.213.0.0/24.
	Subnet netip.Prefix
}

// Host is one namespace of a Network.
type Host struct {
	// Namespace is the network namespace's name (ip netns).
	Namespace string
	// Addr is the host's address on the network.
	Addr netip.Addr
	// link is the root-side veth, attached to the bridge.
	link string
}

// Network is a bridge and its namespaces. Close removes them.
type Network struct {
	cfg    Config
	bridge string
	hosts  []Host
}

// Check returns nil when namespaces can be made here, or ErrUnavailable
// with the reason.
func Check() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: needs root (CAP_NET_ADMIN), running as uid %d", ErrUnavailable, os.Geteuid())
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("%w: no ip command (apt-get install iproute2)", ErrUnavailable)
	}
	if out, err := exec.Command("ip", "netns", "list").CombinedOutput(); err != nil {
		return fmt.Errorf("%w: ip netns list: %v: %s", ErrUnavailable, err, out)
	}
	return nil
}

func (c *Config) validate() error {
	if c.Name == "" || len(c.Name) > 6 || strings.Trim(c.Name, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		return fmt.Errorf("netns: name %q must be 1 to 6 lower-case letters or digits", c.Name)
	}
	if c.Hosts < 1 || c.Hosts > 250 {
		return fmt.Errorf("netns: %d hosts, want 1 to 250", c.Hosts)
	}
	if !c.Subnet.IsValid() {
		c.Subnet = netip.MustParsePrefix("10.213.0.0/24")
	}
	if c.Subnet.Bits() != 24 || !c.Subnet.Addr().Is4() || !c.Subnet.Addr().IsPrivate() {
		return fmt.Errorf("netns: subnet %s must be a private IPv4 /24", c.Subnet)
	}
	c.Subnet = c.Subnet.Masked()
	return nil
}

// addr is the subnet's address ending in last.
func (c *Config) addr(last byte) netip.Addr {
	b := c.Subnet.Addr().As4()
	b[3] = last
	return netip.AddrFrom4(b)
}

// Create builds the network. On any failure it removes what it made.
func Create(cfg Config) (*Network, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := &Network{cfg: cfg, bridge: cfg.Name + "br"}
	steps := [][]string{
		{"link", "add", n.bridge, "type", "bridge"},
		{"addr", "add", cfg.addr(254).String() + "/24", "dev", n.bridge},
		{"link", "set", n.bridge, "up"},
	}
	if err := ipAll(steps); err != nil {
		_ = n.Close()
		return nil, err
	}
	for i := 0; i < cfg.Hosts; i++ {
		h := Host{Namespace: fmt.Sprintf("%s-%d", cfg.Name, i+1), Addr: cfg.addr(byte(i + 1)), link: fmt.Sprintf("%sv%d", cfg.Name, i+1)}
		n.hosts = append(n.hosts, h)
		peer := h.link + "p"
		steps := [][]string{
			{"netns", "add", h.Namespace},
			{"link", "add", h.link, "type", "veth", "peer", "name", peer},
			{"link", "set", peer, "netns", h.Namespace},
			{"link", "set", h.link, "master", n.bridge},
			{"link", "set", h.link, "up"},
			{"-n", h.Namespace, "link", "set", "lo", "up"},
			{"-n", h.Namespace, "link", "set", peer, "name", "eth0"},
			{"-n", h.Namespace, "addr", "add", h.Addr.String() + "/24", "dev", "eth0"},
			{"-n", h.Namespace, "link", "set", "eth0", "up"},
		}
		if err := ipAll(steps); err != nil {
			_ = n.Close()
			return nil, err
		}
	}
	return n, nil
}

// Hosts returns the namespaces, host 1 first.
func (n *Network) Hosts() []Host { return n.hosts }

// Addrs returns the hosts' addresses as strings, host 1 first (for a
// testnet manifest's hosts).
func (n *Network) Addrs() []string {
	out := make([]string, len(n.hosts))
	for i, h := range n.hosts {
		out[i] = h.Addr.String()
	}
	return out
}

// Wrap returns argv run inside the host's namespace ("ip netns exec NS
// argv..."). ip execs the command, so the process (and its pid) is argv's.
func (h Host) Wrap(argv []string) []string {
	return append([]string{"ip", "netns", "exec", h.Namespace}, argv...)
}

// Command is exec.Command of name and args inside the host's namespace.
func (h Host) Command(name string, args ...string) *exec.Cmd {
	argv := h.Wrap(append([]string{name}, args...))
	return exec.Command(argv[0], argv[1:]...)
}

// SetLink takes host i's link (0-based) down or up: down, the host is cut
// off from every other host and from the root namespace; its processes go
// on running.
func (n *Network) SetLink(i int, up bool) error {
	if i < 0 || i >= len(n.hosts) {
		return fmt.Errorf("netns: no host %d", i)
	}
	state := "down"
	if up {
		state = "up"
	}
	return ip("link", "set", n.hosts[i].link, state)
}

// Close deletes every namespace and interface of the network. Processes
// still running in a namespace keep it alive until they exit; stop them
// first.
func (n *Network) Close() error {
	var errs []error
	for _, h := range n.hosts {
		if exists("link", h.link) {
			errs = append(errs, ip("link", "del", h.link))
		}
		if nsExists(h.Namespace) {
			errs = append(errs, ip("netns", "del", h.Namespace))
		}
	}
	if exists("link", n.bridge) {
		errs = append(errs, ip("link", "del", n.bridge))
	}
	return errors.Join(errs...)
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("netns: ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func ipAll(steps [][]string) error {
	for _, s := range steps {
		if err := ip(s...); err != nil {
			return err
		}
	}
	return nil
}

func exists(kind, name string) bool {
	return exec.Command("ip", kind, "show", name).Run() == nil
}

func nsExists(name string) bool {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == name {
			return true
		}
	}
	return false
}
