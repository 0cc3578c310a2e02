package fault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/node"
	"github.com/custody-ledger/custody/testnet"
	"github.com/custody-ledger/custody/testnet/load"
)

// harness is the running network, its background load, and what the
// scenarios share.
type harness struct {
	cfg   Config
	tn    *testnet.Testnet
	l     *testnet.Launcher
	procs *testnet.Processes
	r     *load.Runner
	wl    *load.Custody

	cancelLoad context.CancelFunc
	loadDone   chan struct{}

	// net is set when every node runs in a network namespace of its own
	// (the partition scenarios).
	net *netnsNet
	// env is added to a node's environment at its next start (the
	// invalid-proposer scenario sets node.EnvProposerFault). Only the
	// scenario goroutine touches it, between a stop and a start.
	env map[string][]string
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.cfg.Out, "  "+format+"\n", args...)
}

// start writes and starts the network, opens and funds the accounts and
// starts the background load. With inNetns every node runs in a network
// namespace of its own (netnsNet), on its namespace's address.
func start(ctx context.Context, cfg Config, inNetns bool) (*harness, error) {
	m := testnet.DefaultManifest()
	m.ChainID = "custody-faults"
	m.KeysPerParticipant = cfg.KeysPerParticipant
	m.TimeoutCommit = testnet.Duration{Duration: 300 * time.Millisecond}
	m.Prometheus = false
	m.LogLevel = "error"
	var (
		nsNet *netnsNet
		gen   = testnet.GenerateOptions{Force: true}
		dir   = filepath.Join(cfg.Dir, "net")
	)
	if inNetns {
		var err error
		if nsNet, err = newNetns(ctx, names4); err != nil {
			return nil, err
		}
		gen.Hosts, dir = nsNet.hosts, filepath.Join(cfg.Dir, "net-netns")
	}
	tn, err := testnet.Generate(dir, m, gen)
	if err != nil {
		if nsNet != nil {
			nsNet.close()
		}
		return nil, err
	}
	if nsNet != nil {
		for i, n := range tn.Nodes {
			if n.Name != names4[i] {
				nsNet.close()
				return nil, fmt.Errorf("fault: node %d is %s, the namespaces were made for %s", i, n.Name, names4[i])
			}
		}
	}
	// The generator's snapshots (every 10 heights, 2 kept) live about 20
	// heights: under load, 10 s or less, shorter than a joining node's
	// discovery and light-client checks, after which it asks for chunks
	// of a snapshot its peers have pruned (and waits minutes). Keep 10.
	for _, n := range tn.Nodes {
		a, err := node.LoadAppConfig(tn.Home(n))
		if err != nil {
			return nil, err
		}
		a.Snapshots.KeepRecent = 10
		if err := node.SaveAppConfig(tn.Home(n), a); err != nil {
			return nil, err
		}
	}
	h := &harness{cfg: cfg, tn: tn, procs: &testnet.Processes{Binary: cfg.Binary, StopTimeout: 30 * time.Second}, net: nsNet}
	if nsNet != nil {
		h.procs.Wrap = func(n *testnet.Node, argv []string) []string { return append(nsNet.wrap(n.Name), argv...) }
	}
	h.env = map[string][]string{}
	h.procs.Env = func(n *testnet.Node) []string { return h.env[n.Name] }
	h.l = testnet.NewLauncher(tn, h.procs)
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := h.l.StartAll(sctx); err != nil {
		if nsNet != nil {
			nsNet.close()
		}
		return nil, err
	}
	if h.wl, err = load.NewCustody(tn, cfg.Custody, cfg.Load.Seed); err != nil {
		return nil, h.abort(err)
	}
	if h.r, err = load.NewRunner(cfg.Load, tn, tn.Nodes, h.wl, h.logf); err != nil {
		return nil, h.abort(err)
	}
	if err := h.r.Start(ctx); err != nil {
		return nil, h.abort(err)
	}
	t0 := time.Now()
	if err := h.wl.Setup(sctx, h.r); err != nil {
		h.r.Stop()
		return nil, h.abort(err)
	}
	where := "127.0.0.1"
	if nsNet != nil {
		where = fmt.Sprintf("network namespaces %s (%s.0/24 on bridge %s)", strings.Join(nsNet.ns, ","), netnsSubnet, nsNet.bridge)
	}
	fmt.Fprintf(cfg.Out, "network of %d validators on %s under %s; %d accounts (and the trading accounts) opened and funded in %s; load: at most %d txs in flight\n",
		len(tn.Nodes), where, tn.Dir, cfg.Custody.Accounts, time.Since(t0).Round(100*time.Millisecond), cfg.Load.InFlight)
	lctx, cancelLoad := context.WithCancel(ctx)
	h.cancelLoad, h.loadDone = cancelLoad, make(chan struct{})
	go func() { defer close(h.loadDone); h.r.Generate(lctx, cfg.Load.Duration) }()
	return h, nil
}

// finish stops the load, drains it and prints what became of every tx.
func (h *harness) finish(ctx context.Context) {
	h.cancelLoad()
	<-h.loadDone
	h.r.Drain(ctx)
	res := h.r.Result()
	var committed, failed, refused, lost int
	for _, v := range res.ByKind {
		committed, failed, refused, lost = committed+v[load.StatusCommitted], failed+v[load.StatusFailed], refused+v[load.StatusRefused], lost+v[load.StatusLost]
	}
	fmt.Fprintf(h.cfg.Out, "load over all scenarios: %d txs committed, %d failed in a block, %d refused at check, %d accepted by CheckTx but in no block "+
		"(mempools are not durable: txs waiting in a killed node's mempool, or dropped by a recheck after a bad sequence), %d blocks; "+
		"%d txs failed in a block with a bad sequence at first, %d of them were committed by a later block\n",
		committed, failed, refused, lost, len(h.r.Blocks()), res.BadSeqInBlock, len(res.Reincluded))
}

func (h *harness) stop() {
	h.r.Stop()
	if err := h.l.StopAll(); err != nil {
		h.logf("stopping the network: %v", err)
	}
	if h.net != nil {
		h.net.close()
	}
}

// names4 is the default manifest's four validators, in the generator's
// order: the namespaces are made for them before the homes are written.
var names4 = []string{"bank-1", "broker-1", "regulator-1", "clearing-house-1"}

// running returns the nodes the launcher has running.
func (h *harness) running() []*testnet.Node {
	var out []*testnet.Node
	for _, n := range h.tn.Nodes {
		if h.l.IsRunning(n.Name) {
			out = append(out, n)
		}
	}
	return out
}

// committed counts the load's txs committed with code 0 so far.
func (h *harness) committed() int {
	n := 0
	for _, v := range h.r.Result().ByKind {
		n += v[load.StatusCommitted]
	}
	return n
}

// check runs after every scenario: every running node reaches the
// network's tip; every height the watcher applied has the same block id
// and app hash on every node that has it (so every tx the load saw
// committed is in the same block everywhere); every setup account's funds
// equal, on every node, what the committed txs make them; and no
// invariant is broken on any node.
func (h *harness) check(ctx context.Context) (string, error) {
	nodes := h.running()
	var tip int64
	for _, n := range nodes {
		st, err := h.r.Client(n).RPC().Status(ctx)
		if err != nil {
			return "", fmt.Errorf("status of %s: %w", n.Name, err)
		}
		tip = max(tip, st.SyncInfo.LatestBlockHeight)
	}
	if err := h.r.WaitHeight(ctx, tip); err != nil {
		return "", err
	}
	for _, n := range nodes {
		if _, err := waitNode(ctx, n, tip, 2*time.Minute); err != nil {
			return "", err
		}
	}
	blocks := h.r.Blocks()
	byHeight := map[int64]load.BlockRecord{}
	for _, b := range blocks {
		byHeight[b.Height] = b
	}
	compared := 0
	for _, n := range nodes {
		rpc := h.r.Client(n).RPC()
		st, err := rpc.Status(ctx)
		if err != nil {
			return "", err
		}
		lo := max(st.SyncInfo.EarliestBlockHeight, blocks[0].Height)
		for ; lo <= tip; lo += 20 {
			res, err := rpc.BlockchainInfo(ctx, lo, min(lo+19, tip))
			if err != nil {
				return "", fmt.Errorf("blocks %d.. of %s: %w", lo, n.Name, err)
			}
			for _, meta := range res.BlockMetas {
				want, ok := byHeight[meta.Header.Height]
				if !ok {
					continue
				}
				if meta.BlockID.Hash.String() != want.BlockID || meta.Header.AppHash.String() != want.AppHash {
					return "", fmt.Errorf("height %d: %s has block %s app hash %s; the load saw block %s app hash %s",
						meta.Header.Height, n.Name, meta.BlockID.Hash, meta.Header.AppHash, want.BlockID, want.AppHash)
				}
				compared++
			}
		}
	}
	if res := h.r.Result(); res.Foreign > 0 {
		return "", fmt.Errorf("blocks hold %d txs the load did not send or had stopped watching for: %s", res.Foreign, strings.Join(res.ForeignDetail, "; "))
	}
	var clients []*client.Client
	for _, n := range nodes {
		clients = append(clients, h.r.Client(n))
	}
	fundsH, accounts, err := h.wl.CheckFunds(ctx, h.r, clients...)
	if err != nil {
		return "", err
	}
	for _, n := range nodes {
		// The invariants are for institutions: ask as the regulator.
		rctx, err := h.r.Client(n).WithKeyCredential(ctx, h.wl.RegulatorKey())
		if err != nil {
			return "", err
		}
		raw, err := h.r.Client(n).QueryJSON(rctx, "invariants")
		if err != nil {
			return "", fmt.Errorf("invariants of %s: %w", n.Name, err)
		}
		var res struct {
			Invariants []contracts.InvariantResult `json:"invariants"`
		}
		if err := json.Unmarshal(raw, &res); err != nil || len(res.Invariants) == 0 {
			return "", fmt.Errorf("invariants of %s: unreadable answer %s", n.Name, raw)
		}
		for _, inv := range res.Invariants {
			if inv.Broken {
				return "", fmt.Errorf("%s: invariant %s broken: %s", n.Name, inv.Name, inv.Msg)
			}
		}
	}
	last := byHeight[tip]
	return fmt.Sprintf("%d nodes (%s) agree on block and app hash at every height %d..%d (%d comparisons; app hash at %d %s); "+
		"%d txs committed so far; funds of %d accounts equal the committed txs on every node at height %d; invariants hold",
		len(nodes), names(nodes), blocks[0].Height, tip, compared, tip, short(last.AppHash), h.committed(), accounts, fundsH), nil
}

func names(nodes []*testnet.Node) string {
	var s []string
	for _, n := range nodes {
		s = append(s, n.Name)
	}
	return strings.Join(s, ", ")
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12] + "…"
	}
	return hash
}

// agreeAt returns the app hash in n's header of height (the state after
// the block before it) and whether n's block id and app hash there match
// what the load saw.
func (h *harness) agreeAt(ctx context.Context, n *testnet.Node, height int64) (string, bool, error) {
	res, err := h.r.Client(n).RPC().BlockchainInfo(ctx, height, height)
	if err != nil {
		return "", false, err
	}
	if len(res.BlockMetas) == 0 {
		return "", false, fmt.Errorf("%s has no block %d", n.Name, height)
	}
	got := res.BlockMetas[0].Header.AppHash.String()
	for _, b := range h.r.Blocks() {
		if b.Height == height {
			return got, b.AppHash == got && b.BlockID == res.BlockMetas[0].BlockID.Hash.String(), nil
		}
	}
	return got, false, fmt.Errorf("the load has no record of height %d", height)
}

// kill SIGKILLs the named nodes at once and returns their pids.
func (h *harness) kill(names ...string) (map[string]int, error) {
	pids := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(names))
	for i, name := range names {
		mu.Lock()
		pids[name] = h.procs.PID(name)
		mu.Unlock()
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = h.l.KillNode(name) }()
	}
	wg.Wait()
	return pids, errors.Join(errs...)
}

// restart starts a node again and waits until it has the chain's tip.
func (h *harness) restart(ctx context.Context, name string) (time.Duration, int64, error) {
	t0 := time.Now()
	if err := h.l.StartNode(ctx, name); err != nil {
		return 0, 0, err
	}
	n := h.tn.Node(name)
	if err := h.r.Redial(n); err != nil {
		return 0, 0, err
	}
	target := h.r.Height()
	got, err := waitNode(ctx, n, target, 2*time.Minute)
	if err != nil {
		return 0, 0, fmt.Errorf("%s did not catch up to %d: %w (see %s)", name, target, err, filepath.Join(h.tn.Home(n), "node.log"))
	}
	return time.Since(t0), got, nil
}

// abort stops a network whose start failed, and its namespaces.
func (h *harness) abort(err error) error {
	err = errors.Join(err, h.l.StopAll())
	if h.net != nil {
		h.net.close()
	}
	return err
}
