package testnet_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/custody-ledger/custody/testnet"
	"github.com/custody-ledger/custody/testnet/netns"
)

// TestNetwork_FourHostsInNamespaces runs the four institutions' nodes as
// custodyd processes on four "hosts" (network namespaces with their own
// addresses on a private /24), generated with Manifest.Hosts as a real
// multi-host network would be: listen on every interface, peers and
// external addresses at host:26656. They commit over TCP between the
// namespaces; one host's node is killed and the other three go on.
// Needs root and iproute2 (it skips with the reason otherwise).
func TestNetwork_FourHostsInNamespaces(t *testing.T) {
	if testing.Short() {
		t.Skip("builds custodyd and runs four processes in namespaces")
	}
	if err := netns.Check(); err != nil {
		t.Skipf("multi-host test skipped: %v", err)
	}
	nw, err := netns.Create(netns.Config{
		Name: fmt.Sprintf("m%d", os.Getpid()%100000), Hosts: 4,
		Subnet: netip.MustParsePrefix("10.215.0.0/24"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := nw.Close(); err != nil {
			t.Error(err)
		}
	})
	bin := filepath.Join(t.TempDir(), "custodyd")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/custody-ledger/custody/cmd/custodyd").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}

	m := testnet.DefaultManifest()
	m.Hosts = nw.Addrs()
	m.Prometheus = false
	m.LogLevel = "error"
	m.TimeoutCommit = testnet.Duration{Duration: 300 * time.Millisecond}
	tn, err := testnet.Generate(t.TempDir(), m, testnet.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hostOf := map[string]netns.Host{}
	for i, n := range tn.Nodes {
		hostOf[n.Name] = nw.Hosts()[i]
		if n.Host != nw.Hosts()[i].Addr.String() {
			t.Fatalf("%s placed on %s", n.Name, n.Host)
		}
	}
	l := testnet.NewLauncher(tn, &testnet.Processes{
		Binary: bin,
		Wrap:   func(n *testnet.Node, argv []string) []string { return hostOf[n.Name].Wrap(argv) },
	})
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		if err := l.StopAll(); err != nil {
			t.Error(err)
		}
	})
	if err := l.StartAll(ctx); err != nil {
		t.Fatal(err)
	}
	// The test dials each node at its host's address, over the bridge.
	for _, n := range tn.Nodes {
		if _, err := testnet.WaitForHeight(ctx, n, 3); err != nil {
			t.Fatalf("%s at %s: %v", n.Name, n.RPCURL(), err)
		}
	}
	rpc, err := testnet.NewRPC(tn.Nodes[0])
	if err != nil {
		t.Fatal(err)
	}
	// Three of four commit blocks, so height 3 does not mean every peer
	// has connected yet: wait (bounded) for the fourth.
	ni, err := rpc.NetInfo(ctx)
	for deadline := time.Now().Add(time.Minute); err == nil && ni.NPeers < 3 && time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		ni, err = rpc.NetInfo(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	if ni.NPeers != 3 {
		t.Fatalf("%s has %d peers", tn.Nodes[0].Name, ni.NPeers)
	}
	for _, p := range ni.Peers {
		if p.RemoteIP == "127.0.0.1" {
			t.Fatalf("peer %s over loopback", p.NodeInfo.Moniker)
		}
	}

	// Kill the clearing house's node: three of four validators (30 of 40
	// power) still commit.
	victim := tn.Nodes[3]
	if err := l.KillNode(victim.Name); err != nil {
		t.Fatal(err)
	}
	h, err := testnet.WaitForHeight(ctx, tn.Nodes[0], 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range tn.Nodes[:3] {
		if _, err := testnet.WaitForHeight(ctx, n, h+3); err != nil {
			t.Fatalf("%s after the kill: %v", n.Name, err)
		}
	}
}
