// Package nettest starts a four-node custody chain in the test process
// (the default network plus a risk operator in its genesis), for the tests
// that need a real network: the SDK, the CLI, the risk core's chain side.
// Like net/http/httptest, it is a testing helper: nothing in production
// imports it.
package nettest

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/testnet"
)

// Operator is the participant id of the risk operator Start adds.
const Operator = "risk-1"

// Network is a running four-node testnet.
type Network struct {
	TN       *testnet.Testnet
	Launcher *testnet.Launcher
	// Provider runs the nodes in this process; set its Options before a
	// restart to start a node as another "binary" (node.WithMigrations).
	Provider *testnet.InProcess
	// Keys are the first signing key of each participant, by id
	// ("bank-1", "broker-1", "regulator-1", "clearing-house-1", "risk-1").
	Keys map[string]ed25519.PrivateKey
	// TrustHash is header 1's hash, the light client's root of trust.
	TrustHash []byte
}

// Start generates the default network with 200 ms blocks, adds the risk
// operator, starts every node in process and waits for height 2. It skips
// under -short. The nodes stop at the end of the test.
func Start(t testing.TB) *Network {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a four-node network")
	}
	m := testnet.DefaultManifest()
	m.TimeoutCommit = testnet.Duration{Duration: 200 * time.Millisecond}
	m.LogLevel = "error"
	m.Prometheus = false
	var (
		tn   *testnet.Testnet
		l    *testnet.Launcher
		op   testnet.ParticipantKey
		prov *testnet.InProcess
		err  error
	)
	// Ports are picked free, then bound by the nodes: on a machine shared
	// with other tests one may be taken in between; try a fresh network.
	for attempt := 1; ; attempt++ {
		prov = &testnet.InProcess{}
		tn, l, op, err = startWith(t, m, prov)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			break
		}
		t.Logf("nettest: %v; generating another network", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	ks, err := tn.Keys()
	if err != nil {
		t.Fatal(err)
	}
	net := &Network{TN: tn, Launcher: l, Provider: prov, Keys: map[string]ed25519.PrivateKey{Operator: op.Key}}
	for id, list := range ks {
		net.Keys[id] = list[0].Key
	}
	rpc, err := testnet.NewRPC(tn.Nodes[len(tn.Nodes)-1])
	if err != nil {
		t.Fatal(err)
	}
	h1 := int64(1)
	hdr, err := rpc.Header(context.Background(), &h1)
	if err != nil {
		t.Fatal(err)
	}
	net.TrustHash = hdr.Header.Hash()
	return net
}

// start generates, adds the risk operator and starts every node, waiting
// for height 2. The nodes stop at the end of the test.
func start(t testing.TB, m testnet.Manifest) (*testnet.Testnet, *testnet.Launcher, testnet.ParticipantKey, error) {
	return startWith(t, m, &testnet.InProcess{})
}

func startWith(t testing.TB, m testnet.Manifest, p *testnet.InProcess) (*testnet.Testnet, *testnet.Launcher, testnet.ParticipantKey, error) {
	tn, err := testnet.Generate(t.TempDir(), m, testnet.GenerateOptions{})
	if err != nil {
		return nil, nil, testnet.ParticipantKey{}, err
	}
	op, err := tn.AddRiskOperator(Operator)
	if err != nil {
		return nil, nil, op, err
	}
	l := testnet.NewLauncher(tn, p)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	t.Cleanup(func() {
		if err := l.StopAll(); err != nil {
			t.Error(err)
		}
	})
	if err := l.StartAll(ctx); err != nil {
		return nil, nil, op, err
	}
	for _, n := range tn.Nodes {
		if _, err := testnet.WaitForHeight(ctx, n, 2); err != nil {
			return nil, nil, op, err
		}
	}
	return tn, l, op, nil
}

// RPC is node i's RPC address.
func (n *Network) RPC(i int) string { return n.TN.Nodes[i].RPCAddress() }

// Witnesses are the RPC addresses of every node but i.
func (n *Network) Witnesses(i int) []string {
	var out []string
	for j := range n.TN.Nodes {
		if j != i {
			out = append(out, n.RPC(j))
		}
	}
	return out
}

// Client dials node i.
func (n *Network) Client(t testing.TB, i int) *client.Client {
	t.Helper()
	c, err := client.Dial(context.Background(), n.RPC(i), n.TN.ChainID, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Verifier is a light client with node i as primary and the others as
// witnesses, trusting header 1. It is closed at the end of the test.
func (n *Network) Verifier(t testing.TB, i int) *client.Verifier {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := client.NewVerifier(ctx, client.LightConfig{
		ChainID: n.TN.ChainID, Primary: n.RPC(i), Witnesses: n.Witnesses(i),
		TrustHeight: 1, TrustHash: n.TrustHash,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}
