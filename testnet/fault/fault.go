package fault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/custody-ledger/custody/testnet"
	"github.com/custody-ledger/custody/testnet/load"
)

// Config is one run of the fault scenarios.
type Config struct {
	// Dir holds the network (replaced) and the scenarios' scratch files.
	Dir string
	// Binary is the custodyd that runs every node as a child process:
	// kills are real SIGKILLs, and a node refused a start is a process
	// that exits.
	Binary string
	// Load is the background load; its Duration is ignored (the load runs
	// until the scenarios end). Default: load.DefaultConfig with at most
	// 1000 txs in flight.
	Load load.Config
	// Custody shapes the load; default 32 accounts.
	Custody load.CustodyOptions
	// KeysPerParticipant is the keys each institution signs with. Default 4.
	KeysPerParticipant int
	// Scenarios names the scenarios to run, in order (Names lists them);
	// empty runs them all.
	Scenarios []string
	// Out receives one line per scenario and progress.
	Out io.Writer
}

// Result is one scenario's verdict.
type Result struct {
	Name    string
	Pass    bool
	Skipped bool
	// Evidence is what was done and seen: nodes, pids, heights, hashes,
	// tx counts, and the checks after the scenario.
	Evidence string
	Err      error
	Took     time.Duration
}

// Line is the result's one-line report: "PASS name (12s): evidence".
func (r Result) Line() string {
	verdict := "PASS"
	switch {
	case r.Skipped:
		verdict = "SKIP"
	case !r.Pass:
		verdict = "FAIL"
	}
	s := fmt.Sprintf("%s %s (%s): %s", verdict, r.Name, r.Took.Round(100*time.Millisecond), r.Evidence)
	if r.Err != nil {
		s += "; error: " + r.Err.Error()
	}
	return s
}

// scenario is one fault and what must hold after it. It returns evidence
// of what it did; the harness then runs the common checks.
type scenario struct {
	name string
	run  func(h *harness, ctx context.Context) (string, error)
	// skip, when set, says why the scenario cannot run here.
	skip func(h *harness) string
	// netns: the scenario needs every node in a network namespace of its
	// own (root, iproute2); it runs on a second network after the others.
	netns bool
}

func scenarios() []scenario {
	return []scenario{
		{name: "kill9-validator", run: (*harness).killOne},
		{name: "kill9-each-in-turn", run: (*harness).killEach},
		{name: "kill9-all-mid-height", run: (*harness).killAll},
		{name: "state-sync-join", run: (*harness).stateSyncJoin},
		{name: "disk-full", run: (*harness).diskFull, skip: needRootMount},
		{name: "corrupt-app-db", run: func(h *harness, ctx context.Context) (string, error) {
			return h.corrupt(ctx, "regulator-1", filepath.Join("data", "app", "application.db"), "")
		}},
		{name: "corrupt-app-journal", run: func(h *harness, ctx context.Context) (string, error) {
			return h.corrupt(ctx, "clearing-house-1", filepath.Join("data", "app", "application.db"), ".log")
		}},
		{name: "corrupt-blockstore", run: func(h *harness, ctx context.Context) (string, error) {
			return h.corrupt(ctx, "broker-1", filepath.Join("data", "blockstore.db"), "")
		}},
		{name: "byzantine-double-sign", run: (*harness).doubleSign},
		{name: "byzantine-invalid-proposer", run: (*harness).invalidProposer},
		{name: "slow-disk", run: (*harness).slowDisk},
		{name: "mempool-flood", run: (*harness).mempoolFlood},
		{name: "partition-isolate-one", run: (*harness).partitionOne, netns: true},
		{name: "partition-split-2-2", run: (*harness).partitionSplit, netns: true},
		{name: "partition-flapping-link", run: (*harness).flappingLink, netns: true},
	}
}

// Names lists every scenario in the order Run runs them.
func Names() []string {
	var out []string
	for _, s := range scenarios() {
		out = append(out, s.name)
	}
	return out
}

// Run starts a four-validator network under load, runs the scenarios one
// after the other, and after each checks that every node agrees on every
// block and app hash the load saw, that every setup account's funds on
// every node equal what the committed txs make them, and that the
// invariants hold. It returns one Result per scenario; err is for the
// harness itself failing (the network did not start).
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if cfg.Binary == "" {
		return nil, errors.New("fault: Config.Binary (custodyd) is required: faults kill real processes")
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.KeysPerParticipant <= 0 {
		cfg.KeysPerParticipant = 4
	}
	if cfg.Custody.Accounts <= 0 {
		cfg.Custody.Accounts = 32
	}
	if cfg.Load.InFlight == 0 {
		cfg.Load = load.DefaultConfig()
		cfg.Load.InFlight = 1000
	}
	cfg.Load.Duration = 24 * time.Hour // bounded by the scenarios, not by time
	var todo []scenario
	all := scenarios()
	if len(cfg.Scenarios) == 0 {
		todo = all
	}
	for _, name := range cfg.Scenarios {
		i := slices.IndexFunc(all, func(s scenario) bool { return s.name == name })
		if i < 0 {
			return nil, fmt.Errorf("fault: no scenario %q (have %s)", name, strings.Join(Names(), ", "))
		}
		todo = append(todo, all[i])
	}

	// The crash and Byzantine scenarios share one network on 127.0.0.1;
	// the partitions need every node in a network namespace of its own,
	// so they run after, on a second network.
	var onLoopback, inNetns []scenario
	for _, s := range todo {
		if s.netns {
			inNetns = append(inNetns, s)
		} else {
			onLoopback = append(onLoopback, s)
		}
	}
	var results []Result
	if len(onLoopback) > 0 {
		res, err := runPhase(ctx, cfg, onLoopback, false)
		results = append(results, res...)
		if err != nil || ctx.Err() != nil {
			return results, err
		}
	}
	if len(inNetns) > 0 {
		if why := netnsUsable(); why != "" {
			for _, s := range inNetns {
				res := Result{Name: s.name, Skipped: true, Evidence: why}
				fmt.Fprintln(cfg.Out, res.Line())
				results = append(results, res)
			}
			return results, nil
		}
		res, err := runPhase(ctx, cfg, inNetns, true)
		results = append(results, res...)
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

// runPhase starts a network (in namespaces or not), runs the scenarios on
// it one after the other with the checks after each, and stops it.
func runPhase(ctx context.Context, cfg Config, todo []scenario, inNetns bool) ([]Result, error) {
	h, err := start(ctx, cfg, inNetns)
	if err != nil {
		return nil, err
	}
	defer h.stop()
	var results []Result
	for _, s := range todo {
		res := Result{Name: s.name}
		t0 := time.Now()
		if s.skip != nil {
			if why := s.skip(h); why != "" {
				res.Skipped, res.Evidence = true, why
				fmt.Fprintln(cfg.Out, res.Line())
				results = append(results, res)
				continue
			}
		}
		sctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		ev, err := s.run(h, sctx)
		if err == nil {
			var checked string
			checked, err = h.check(sctx)
			ev = strings.TrimSuffix(ev, "; ") + "; after: " + checked
		}
		cancel()
		res.Evidence, res.Err, res.Pass, res.Took = ev, err, err == nil, time.Since(t0)
		fmt.Fprintln(cfg.Out, res.Line())
		results = append(results, res)
		if ctx.Err() != nil {
			break
		}
	}
	h.finish(ctx)
	return results, nil
}

func needRootMount(h *harness) string {
	if os.Geteuid() != 0 {
		return "needs root to mount a small tmpfs as the full disk; run as root to include it"
	}
	return ""
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// waitNode waits until n reports height h, for at most d.
func waitNode(ctx context.Context, n *testnet.Node, h int64, d time.Duration) (int64, error) {
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return testnet.WaitForHeight(wctx, n, h)
}
