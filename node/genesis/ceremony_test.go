package genesis_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/custody-ledger/custody/node"
	"github.com/custody-ledger/custody/node/genesis"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

const chainID = "custody-ceremony"

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out
}

// institution is one party of the ceremony on "its own machine": its home
// and its signing key, which never leaves it.
type institution struct {
	id, name string
	role     custodyv1.Role
	home     string
	rpc      int
	key      ed25519.PrivateKey
	entry    *genesis.Entry
}

// makeEntry is what `custodyd genesis add-participant` does for one
// institution: read its node, list its key and sign.
func makeEntry(t *testing.T, in *institution, p2pPort int, power int64) *genesis.Entry {
	t.Helper()
	info, err := genesis.ReadNodeInfo(in.home)
	if err != nil {
		t.Fatal(err)
	}
	p := &custodyv1.Participant{Id: in.id, Role: in.role, Name: in.name, PubKeys: [][]byte{in.key.Public().(ed25519.PublicKey)}, ValidatorPower: power}
	var val genesis.Signer
	if power > 0 {
		p.ValidatorPubKey = info.ValidatorKey.Bytes()
		if val, err = genesis.ValidatorSigner(in.home); err != nil {
			t.Fatal(err)
		}
	}
	e := &genesis.Entry{ChainID: chainID, Participant: p, NodeID: string(info.NodeID), P2PAddress: "127.0.0.1:" + strconv.Itoa(p2pPort)}
	if err := e.Sign([]genesis.Signer{genesis.Ed25519Signer(in.key)}, val); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestCeremony_FourInstitutionsStartAChain: four homes made with InitHome,
// each institution signs its own entry, one collects, all validate and get
// the same hash, and the four nodes commit blocks with one app hash.
func TestCeremony_FourInstitutionsStartAChain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four nodes")
	}
	dir := t.TempDir()
	ports := freePorts(t, 12)
	insts := []*institution{
		{id: "bank-1", name: "Bank One", role: custodyv1.Role_ROLE_BANK},
		{id: "broker-1", name: "Broker One", role: custodyv1.Role_ROLE_BROKER},
		{id: "regulator-1", name: "The Regulator", role: custodyv1.Role_ROLE_REGULATOR},
		{id: "clearing-house-1", name: "The Clearing House", role: custodyv1.Role_ROLE_CLEARING_HOUSE},
	}
	collector := filepath.Join(dir, "collector")
	for i, in := range insts {
		in.home = filepath.Join(dir, in.id)
		in.rpc = ports[3*i+1]
		if _, err := genesis.InitHome(in.home, genesis.InitOptions{
			Moniker: in.id, ChainID: chainID, Loopback: true,
			P2PListen: fmt.Sprintf("tcp://127.0.0.1:%d", ports[3*i]),
			RPCListen: fmt.Sprintf("tcp://127.0.0.1:%d", in.rpc),
			APIListen: fmt.Sprintf("tcp://127.0.0.1:%d", ports[3*i+2]),
		}); err != nil {
			t.Fatal(err)
		}
		_, in.key, _ = ed25519.GenerateKey(nil)
		in.entry = makeEntry(t, in, ports[3*i], 10)
		// The entry travels to the collector as a file.
		if _, err := genesis.WriteEntry(collector, in.entry); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := genesis.InitHome(insts[0].home, genesis.InitOptions{Moniker: "again", ChainID: chainID}); !errors.Is(err, genesis.ErrHomeExists) {
		t.Fatalf("a second init over a home: %v, want ErrHomeExists", err)
	}

	entries, err := genesis.ReadEntries(collector)
	if err != nil || len(entries) != 4 {
		t.Fatalf("read entries: %d, %v", len(entries), err)
	}
	gen, err := genesis.Collect(chainID, entries, genesis.Options{GenesisTime: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	genPath := filepath.Join(collector, "genesis.json")
	if err := gen.SaveAs(genPath); err != nil {
		t.Fatal(err)
	}
	want, _ := genesis.Hash(genPath)
	bz, _ := os.ReadFile(genPath)
	peers := genesis.PersistentPeers(entries, "")
	for _, in := range insts {
		// Each institution receives the file, validates it and compares
		// the hash with the others' before it installs it.
		own := filepath.Join(in.home, "received-genesis.json")
		if err := os.WriteFile(own, bz, 0o644); err != nil {
			t.Fatal(err)
		}
		g, err := genesis.Load(own)
		if err != nil {
			t.Fatal(err)
		}
		if h, _ := genesis.Hash(own); h != want {
			t.Fatalf("%s: hash %s, want %s", in.id, h, want)
		}
		if err := genesis.Install(in.home, g, peers); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	nodes := startAll(ctx, t, insts)
	sameAppHash(ctx, t, insts, 3)

	// Rollback: stop everyone, move the bank's node back one height, start
	// again: it applies that block again and stays on the one history.
	stopAll(t, nodes)
	h, appHash, err := node.Rollback(insts[0].home, false)
	if err != nil {
		t.Fatal(err)
	}
	if h < 2 || len(appHash) == 0 {
		t.Fatalf("rollback to %d, app hash %X", h, appHash)
	}
	if _, _, err := node.Rollback(filepath.Join(dir, "nowhere"), false); err == nil {
		t.Error("rollback of a home without stores succeeded")
	}

	// Export (nodes stopped): the state as a genesis a new chain starts
	// from, which validates (participants found in the exported state).
	exp, version, err := node.Export(insts[1].home, 0, "custody-ceremony-2", time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if version < h || genesis.Validate(exp) != nil {
		t.Fatalf("export at %d: %v", version, genesis.Validate(exp))
	}

	nodes = startAll(ctx, t, insts)
	sameAppHash(ctx, t, insts, h+3)
	stopAll(t, nodes)
}

func startAll(ctx context.Context, t *testing.T, insts []*institution) []*node.Node {
	t.Helper()
	var nodes []*node.Node
	for _, in := range insts {
		n, err := node.New(in.home, node.WithLogOutput(io.Discard), node.WithMetricsRegisterer(prometheus.NewRegistry()),
			node.WithCometConfig(func(c *cmtcfg.Config) { c.Consensus.TimeoutCommit = 200 * time.Millisecond }))
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = n.Stop() })
		nodes = append(nodes, n)
	}
	return nodes
}

func stopAll(t *testing.T, nodes []*node.Node) {
	t.Helper()
	for _, n := range nodes {
		if err := n.Stop(); err != nil {
			t.Fatal(err)
		}
	}
}

// sameAppHash waits for every node to reach height h and checks they all
// have one app hash there.
func sameAppHash(ctx context.Context, t *testing.T, insts []*institution, h int64) {
	t.Helper()
	var hashes []string
	for _, in := range insts {
		waitHeight(ctx, t, in.rpc, h)
		hashes = append(hashes, appHashAt(t, in.rpc, h))
	}
	for i, x := range hashes {
		if x == "" || x != hashes[0] {
			t.Fatalf("app hash at height %d: %v (node %d differs)", h, hashes, i)
		}
	}
}

func rpcGet(t *testing.T, port int, path string, out any) error {
	t.Helper()
	// No kept-alive connections: a stopped in-process node's RPC server
	// goes on answering on them (docs/testnet.md, "In-process caveats").
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/%s", port, path))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	return json.NewDecoder(res.Body).Decode(out)
}

func waitHeight(ctx context.Context, t *testing.T, port int, h int64) {
	t.Helper()
	for ctx.Err() == nil {
		var st struct {
			Result struct {
				SyncInfo struct {
					Height string `json:"latest_block_height"`
				} `json:"sync_info"`
			} `json:"result"`
		}
		if rpcGet(t, port, "status", &st) == nil {
			if got, _ := strconv.ParseInt(st.Result.SyncInfo.Height, 10, 64); got >= h {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("node on %d did not reach height %d", port, h)
}

func appHashAt(t *testing.T, port int, h int64) string {
	var b struct {
		Result struct {
			Block struct {
				Header struct {
					AppHash string `json:"app_hash"`
				} `json:"header"`
			} `json:"block"`
		} `json:"result"`
	}
	if err := rpcGet(t, port, "block?height="+strconv.FormatInt(h, 10), &b); err != nil {
		t.Fatal(err)
	}
	return b.Result.Block.Header.AppHash
}

// The collector and the validators refuse what a dishonest party could
// slip into genesis.
func TestCollect_RefusesBadEntries(t *testing.T) {
	dir := t.TempDir()
	mk := func(id string, role custodyv1.Role) *institution {
		in := &institution{id: id, name: id, role: role, home: filepath.Join(dir, id)}
		if _, err := genesis.InitHome(in.home, genesis.InitOptions{Moniker: id, ChainID: chainID}); err != nil {
			t.Fatal(err)
		}
		_, in.key, _ = ed25519.GenerateKey(nil)
		return in
	}
	bank, broker := mk("bank-1", custodyv1.Role_ROLE_BANK), mk("broker-1", custodyv1.Role_ROLE_BROKER)
	at := genesis.Options{GenesisTime: time.Unix(1_700_000_000, 0)}
	good := func() []*genesis.Entry {
		return []*genesis.Entry{makeEntry(t, bank, 1, 10), makeEntry(t, broker, 2, 10)}
	}
	if _, err := genesis.Collect(chainID, good(), at); err != nil {
		t.Fatalf("good entries: %v", err)
	}
	for name, c := range map[string]struct {
		edit func([]*genesis.Entry)
		want error
	}{
		"a renamed participant (signature no longer covers it)": {func(es []*genesis.Entry) { es[0].Participant.Name = "Evil Bank" }, genesis.ErrBadSignature},
		"another's signing key listed":                          {func(es []*genesis.Entry) { es[1].Participant.PubKeys[0] = es[0].Participant.PubKeys[0] }, genesis.ErrBadSignature},
		"another's validator claimed": {func(es []*genesis.Entry) {
			es[1].Participant.ValidatorPubKey = es[0].Participant.ValidatorPubKey
		}, genesis.ErrBadSignature},
		"the same institution twice": {func(es []*genesis.Entry) { es[1] = es[0] }, genesis.ErrConflict},
		"an entry for another chain": {func(es []*genesis.Entry) { es[0].ChainID = "other" }, genesis.ErrBadEntry},
		"a missing signature":        {func(es []*genesis.Entry) { es[0].Signatures = nil }, genesis.ErrBadSignature},
		"power without a validator signature": {func(es []*genesis.Entry) {
			es[0].ValidatorSignature = nil
		}, genesis.ErrBadSignature},
	} {
		es := good()
		c.edit(es)
		if _, err := genesis.Collect(chainID, es, at); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// A genesis edited after collection: a validator no participant names.
	gen, err := genesis.Collect(chainID, good(), at)
	if err != nil {
		t.Fatal(err)
	}
	gen.Validators[0].Power = 99
	if err := genesis.Validate(gen); err == nil {
		t.Error("a validator's power changed after collection validated")
	}
	// An entry survives its file round trip.
	path, err := genesis.WriteEntry(filepath.Join(dir, "gentx"), good()[0])
	if err != nil {
		t.Fatal(err)
	}
	es, err := genesis.ReadEntries(filepath.Dir(path))
	if err != nil || len(es) != 1 || es[0].Verify(chainID) != nil {
		t.Fatalf("round trip: %v %v", es, err)
	}
}
