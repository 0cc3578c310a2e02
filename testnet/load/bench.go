package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/custody-ledger/custody/node"
	"github.com/custody-ledger/custody/testnet"
)

// Tuning is what the benchmark sets, identically, on both networks: the
// settings DESIGN.md found to matter on these machines. The custody
// network additionally runs with its production app.toml defaults for
// snapshots and periodic invariant checks (both off); the kvstore has
// neither.
type Tuning struct {
	// TxIndex is tx_index.indexer. Default "null": the load finds its txs
	// by reading blocks, and indexing every event costs both apps alike.
	TxIndex string
	// MempoolSize is mempool.size (cache_size is twice it). Default 50000:
	// the default 5000 caps a block.
	MempoolSize int
	// TimeoutCommit is consensus.timeout_commit. Default 200ms.
	TimeoutCommit time.Duration
	// TimeoutPropose is consensus.timeout_propose. Default 1s.
	TimeoutPropose time.Duration
	// FlushThrottle is p2p.flush_throttle_timeout. Default 10ms.
	FlushThrottle time.Duration
	// GossipSleep is consensus.peer_gossip_sleep_duration. Default 10ms.
	GossipSleep time.Duration
}

// DefaultTuning returns the defaults documented on Tuning.
func DefaultTuning() Tuning {
	return Tuning{
		TxIndex: "null", MempoolSize: 50000, TimeoutCommit: 200 * time.Millisecond,
		TimeoutPropose: time.Second, FlushThrottle: 10 * time.Millisecond, GossipSleep: 10 * time.Millisecond,
	}
}

// String lists the settings as config.toml keys.
func (t Tuning) String() string {
	return fmt.Sprintf("tx_index.indexer=%s, mempool.size=%d, mempool.cache_size=%d, consensus.timeout_commit=%s, "+
		"consensus.timeout_propose=%s, p2p.flush_throttle_timeout=%s, consensus.peer_gossip_sleep_duration=%s",
		t.TxIndex, t.MempoolSize, 2*t.MempoolSize, t.TimeoutCommit, t.TimeoutPropose, t.FlushThrottle, t.GossipSleep)
}

// Manifest returns the four-validator network both benchmark runs use.
func (t Tuning) Manifest(keysPerParticipant int) testnet.Manifest {
	m := testnet.DefaultManifest()
	m.ChainID = "custody-bench"
	m.KeysPerParticipant = keysPerParticipant
	m.TimeoutCommit = testnet.Duration{Duration: t.TimeoutCommit}
	m.TimeoutPropose = testnet.Duration{Duration: t.TimeoutPropose}
	m.TxIndex = t.TxIndex
	m.MempoolSize = t.MempoolSize
	m.Prometheus = false
	m.LogLevel = "error"
	return m
}

// Apply writes the tuning into every home of tn (the generator already
// sets most of it from the manifest; this makes every printed setting the
// one in effect) and, for the custody app, turns snapshots and periodic
// invariant checks off as in production's defaults.
func (t Tuning) Apply(tn *testnet.Testnet, edit func(n *testnet.Node, home string) error) error {
	for _, n := range tn.Nodes {
		home := tn.Home(n)
		c, err := node.LoadCometConfig(home)
		if err != nil {
			return err
		}
		c.TxIndex.Indexer = t.TxIndex
		c.Mempool.Size, c.Mempool.CacheSize = t.MempoolSize, 2*t.MempoolSize
		c.Consensus.TimeoutCommit, c.Consensus.TimeoutPropose = t.TimeoutCommit, t.TimeoutPropose
		c.P2P.FlushThrottleTimeout, c.Consensus.PeerGossipSleepDuration = t.FlushThrottle, t.GossipSleep
		if err := node.WriteCometConfig(home, c); err != nil {
			return err
		}
		a, err := node.LoadAppConfig(home)
		if err != nil {
			return err
		}
		a.Snapshots.Interval, a.Invariants.Interval = 0, 0
		if err := node.SaveAppConfig(home, a); err != nil {
			return err
		}
		if edit != nil {
			if err := edit(n, home); err != nil {
				return err
			}
		}
	}
	return nil
}

// BenchConfig is one run of `custodynet bench`: the custody network, then
// the kvstore network, under the same load tool, on this machine.
type BenchConfig struct {
	// Dir holds the two networks (Dir/custody, Dir/kvstore), replaced.
	Dir string
	// Binary is the custodyd that runs each node as a child process ("":
	// every node runs in this process, and CPU and memory are the
	// process's totals).
	Binary string
	// BaselineBinary runs each kvstore node as a child process, as
	// `BaselineBinary bench node --app kvstore` (custodynet); needed with
	// Binary.
	BaselineBinary string
	Load           Config
	Custody        CustodyOptions
	// KeysPerParticipant is how many keys the bank, broker and regulator
	// each sign with. Default 8.
	KeysPerParticipant int
	Tuning             Tuning
	// ProfileDir receives CPU and allocation profiles of the first node of
	// each network, taken over the window through CometBFT's pprof server
	// (child processes only; "" takes none).
	ProfileDir string
	// Out receives progress and the report.
	Out io.Writer
}

// AppRun is one network's measurement.
type AppRun struct {
	Result  Result
	Signers int
	// Nodes is each node's CPU and memory over the window (or, in
	// process, the whole process: nodes and load together).
	Nodes []Usage
	// Load is the load tool's own CPU and memory (child processes only).
	Load     *Usage
	Profiles []string
	// Mempool is the mean number of txs in the nodes' mempools over the
	// window (sampled every half second), and the largest sample.
	Mempool MempoolDepth
}

// MempoolDepth summarises mempool samples.
type MempoolDepth struct {
	Mean float64
	Max  int
}

// sampleMempools polls every node's mempool size for d.
func (r *Runner) sampleMempools(ctx context.Context, d time.Duration) MempoolDepth {
	var sum, n, most int
	end := time.Now().Add(d)
	for time.Now().Before(end) && ctx.Err() == nil {
		for _, nd := range r.Nodes() {
			res, err := r.rpc(nd).NumUnconfirmedTxs(ctx)
			if err != nil {
				continue
			}
			sum, n, most = sum+res.Total, n+1, max(most, res.Total)
		}
		sleep(ctx, min(500*time.Millisecond, time.Until(end)))
	}
	if n == 0 {
		return MempoolDepth{}
	}
	return MempoolDepth{Mean: float64(sum) / float64(n), Max: most}
}

// BenchReport is both runs.
type BenchReport struct {
	Custody, KVStore AppRun
	Config           BenchConfig
	Machine          string
}

// RunBench runs the custody network, then the kvstore network with txs
// padded to the custody run's median size, and returns both measurements.
func RunBench(ctx context.Context, cfg BenchConfig) (*BenchReport, error) {
	if cfg.KeysPerParticipant <= 0 {
		cfg.KeysPerParticipant = 8
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if err := cfg.Load.Validate(); err != nil {
		return nil, err
	}
	rep := &BenchReport{Config: cfg, Machine: Machine()}
	ours, err := runApp(ctx, cfg, "custody", 0, 0)
	if err != nil {
		return nil, fmt.Errorf("custody run: %w", err)
	}
	rep.Custody = *ours
	if ours.Result.MedianTxBytes == 0 {
		return rep, errors.New("load: the custody run committed nothing: no tx size to pad the kvstore's to")
	}
	kv, err := runApp(ctx, cfg, "kvstore", ours.Result.MedianTxBytes, ours.Signers)
	if err != nil {
		return rep, fmt.Errorf("kvstore run: %w", err)
	}
	rep.KVStore = *kv
	return rep, nil
}

func runApp(ctx context.Context, cfg BenchConfig, app string, kvSize, kvSigners int) (run *AppRun, err error) {
	out := cfg.Out
	logf := func(format string, args ...any) { fmt.Fprintf(out, app+": "+format+"\n", args...) }
	dir := filepath.Join(cfg.Dir, app)
	tn, err := testnet.Generate(dir, cfg.Tuning.Manifest(cfg.KeysPerParticipant), testnet.GenerateOptions{Force: true})
	if err != nil {
		return nil, err
	}
	pprofAddr := ""
	if cfg.ProfileDir != "" && cfg.Binary != "" {
		ports, err := testnet.FreePorts(1)
		if err != nil {
			return nil, err
		}
		pprofAddr = "127.0.0.1:" + strconv.Itoa(ports[0])
	}
	err = cfg.Tuning.Apply(tn, func(n *testnet.Node, home string) error {
		if n != tn.Nodes[0] || pprofAddr == "" {
			return nil
		}
		c, err := node.LoadCometConfig(home)
		if err != nil {
			return err
		}
		c.RPC.PprofListenAddress = pprofAddr
		return node.WriteCometConfig(home, c)
	})
	if err != nil {
		return nil, err
	}
	var procs *testnet.Processes
	var provider testnet.Provider
	switch {
	case cfg.Binary != "" && app == "kvstore":
		if cfg.BaselineBinary == "" {
			return nil, errors.New("load: BaselineBinary is needed to run the kvstore nodes as processes")
		}
		procs = &testnet.Processes{Binary: cfg.BaselineBinary, Command: []string{"bench", "node", "--app", "kvstore"}}
		provider = procs
	case cfg.Binary != "":
		procs = &testnet.Processes{Binary: cfg.Binary}
		provider = procs
	case app == "kvstore":
		provider = &testnet.InProcess{Options: []node.Option{node.WithApplication(NewKVStoreApp)}}
	default:
		provider = &testnet.InProcess{}
	}
	l := testnet.NewLauncher(tn, provider)
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	err = l.StartAll(startCtx)
	cancel()
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, l.StopAll()) }()
	logf("%d validators up under %s", len(tn.Nodes), dir)

	var wl Workload
	if app == "kvstore" {
		wl = NewKVStore(kvSigners, kvSize)
	} else {
		c, err := NewCustody(tn, cfg.Custody, cfg.Load.Seed)
		if err != nil {
			return nil, err
		}
		wl = c
	}
	r, err := NewRunner(cfg.Load, tn, tn.Nodes, wl, logf)
	if err != nil {
		return nil, err
	}
	if err := r.Start(ctx); err != nil {
		return nil, err
	}
	defer r.Stop()
	t0 := time.Now()
	if err := wl.Setup(ctx, r); err != nil {
		return nil, err
	}
	if app == "custody" {
		o := cfg.Custody.withDefaults()
		logf("setup: %d accounts and %d trading accounts opened, approved and funded, business day %d opened with %s listed, in %s",
			o.Accounts, o.TradingAccounts, loadBusinessDate, loadSecurity, time.Since(t0).Round(100*time.Millisecond))
	}
	run = &AppRun{Signers: len(wl.Signers())}
	genCtx, stopGen := context.WithCancel(ctx)
	defer stopGen()
	genDone := make(chan struct{})
	go func() { defer close(genDone); r.Generate(genCtx, cfg.Load.Warmup+cfg.Load.Duration) }()
	logf("%d signers, at most %d txs in flight: warming up %s, then measuring %s", run.Signers, cfg.Load.InFlight, cfg.Load.Warmup, cfg.Load.Duration)
	sleep(ctx, cfg.Load.Warmup)

	before := sampleAll(tn, procs)
	r.OpenWindow()
	var profWG sync.WaitGroup
	if pprofAddr != "" {
		secs := max(1, int(cfg.Load.Duration.Seconds())-2)
		for _, kind := range []string{"profile", "allocs"} {
			path := filepath.Join(cfg.ProfileDir, fmt.Sprintf("%s-%s.pprof", app, map[string]string{"profile": "cpu", "allocs": "allocs"}[kind]))
			run.Profiles = append(run.Profiles, path)
			profWG.Add(1)
			go func() {
				defer profWG.Done()
				if err := fetchProfile(ctx, pprofAddr, kind, secs, path); err != nil {
					logf("profile: %v", err)
				}
			}()
		}
	}
	depth := r.sampleMempools(ctx, cfg.Load.Duration)
	r.CloseWindow()
	after := sampleAll(tn, procs)
	<-genDone
	r.Drain(ctx)
	profWG.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	run.Result = r.Result()
	run.Mempool = depth
	for _, n := range tn.Nodes {
		if procs == nil {
			break
		}
		run.Nodes = append(run.Nodes, UsageBetween(n.Name, before[n.Name], after[n.Name]))
	}
	if procs != nil {
		u := UsageBetween("load", before[""], after[""])
		run.Load = &u
	} else {
		run.Nodes = []Usage{UsageBetween("process (nodes and load)", before[""], after[""])}
	}
	fmt.Fprint(out, run.Result.Summary())
	return run, nil
}

// sampleAll reads every node process (by name) and this process ("").
func sampleAll(tn *testnet.Testnet, procs *testnet.Processes) map[string]ProcSample {
	out := map[string]ProcSample{}
	out[""], _ = ReadProc(0)
	if procs != nil {
		for _, n := range tn.Nodes {
			if pid := procs.PID(n.Name); pid > 0 {
				out[n.Name], _ = ReadProc(pid)
			}
		}
	}
	return out
}

// fetchProfile saves a CPU profile, or a delta allocation profile, of secs
// seconds from a Go pprof server.
func fetchProfile(ctx context.Context, addr, kind string, secs int, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	url := fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", addr, kind, secs)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := (&http.Client{Timeout: time.Duration(secs+30) * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return fmt.Errorf("%s: %s: %s", url, res.Status, strings.TrimSpace(string(msg)))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
