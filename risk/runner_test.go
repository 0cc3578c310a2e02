package risk_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/internal/workload"
	"github.com/custody-ledger/custody/risk/store"
)

func genInputs(t testing.TB, cfg workload.Config) []risk.Input {
	t.Helper()
	var ins []risk.Input
	require.NoError(t, workload.Generate(cfg, func(in risk.Input) error { ins = append(ins, in); return nil }))
	return ins
}

type collector struct {
	mu sync.Mutex
	as []risk.Alert
}

func (c *collector) add(a risk.Alert) { c.mu.Lock(); c.as = append(c.as, a); c.mu.Unlock() }

func (c *collector) sorted() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	risk.SortAlerts(c.as)
	out := make([]string, len(c.as))
	for i, a := range c.as {
		out[i] = a.Rule + " " + a.ID
	}
	return out
}

func runAll(t *testing.T, cfg risk.RunnerConfig, ins []risk.Input) []string {
	t.Helper()
	var c collector
	cfg.OnAlert = c.add
	r, err := risk.NewRunner(context.Background(), cfg)
	require.NoError(t, err)
	for _, in := range ins {
		require.NoError(t, r.Submit(in))
	}
	require.NoError(t, r.Close())
	return c.sorted()
}

func baseConfig() risk.RunnerConfig {
	p := risk.DefaultParams()
	// The workload spans seconds of event time; let missing chain fills
	// show up within it.
	p.WireLedger.Bound = risk.Duration(2 * time.Second)
	return risk.RunnerConfig{Params: p, Groups: risk.NewGroups(workload.Groups()), FlushEvery: 500}
}

// Two processes each owning half of the account key space (with different
// worker counts) raise, together, exactly the alerts of one process.
func TestRunner_TwoOwnersTogetherEqualOne(t *testing.T) {
	const seed = 11
	ins := genInputs(t, workload.Config{Accounts: 300, Events: 40_000, Seed: seed})
	one := runAll(t, baseConfig(), ins)
	require.NotEmpty(t, one)
	rules := map[string]bool{}
	for _, a := range one {
		rules[a[:len(a)-65]] = true
	}
	for _, want := range []string{risk.RuleSpoofing, risk.RuleSelfTrade, risk.RuleOrderRate, risk.RuleWireLedger} {
		require.True(t, rules[want], "seed %d: workload raised no %s alert: %v", seed, want, rules)
	}
	var union []string
	for i, workers := range []int{2, 3} {
		cfg := baseConfig()
		cfg.Owner, cfg.Workers = risk.Owner{Index: i, Of: 2}, workers
		union = append(union, runAll(t, cfg, ins)...)
	}
	// Compare as multisets: the halves are sorted separately.
	slices.Sort(union)
	all := slices.Clone(one)
	slices.Sort(all)
	require.Equal(t, all, union, "seed %d", seed)
	// And the same process twice gives the same alerts in the same order.
	require.Equal(t, one, runAll(t, baseConfig(), ins))
}

// A risk core killed mid-run and restarted on its badger store ends with
// exactly the alert set of an uninterrupted run: none lost, none twice.
func TestRunner_CrashRecoveryLosesAndDuplicatesNothing(t *testing.T) {
	const seed = 5
	ins := genInputs(t, workload.Config{Accounts: 200, Events: 30_000, Seed: seed})

	ref, err := store.Open(t.TempDir(), store.Options{})
	require.NoError(t, err)
	defer ref.Close()
	cfg := baseConfig()
	cfg.Workers, cfg.Store, cfg.CheckpointEvery = 2, ref, 3000
	want := runAll(t, cfg, ins)
	stored, err := ref.ListAlerts(store.Filter{})
	require.NoError(t, err)
	require.Len(t, stored, len(want))

	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	require.NoError(t, err)
	var c collector
	cfg.Store, cfg.OnAlert = st, c.add
	r, err := risk.NewRunner(context.Background(), cfg)
	require.NoError(t, err)
	cut := len(ins) * 3 / 5
	for _, in := range ins[:cut] {
		require.NoError(t, r.Submit(in))
	}
	require.NoError(t, r.Flush())
	r.Abort() // no final checkpoint: the newest inputs must be replayed
	require.NoError(t, st.Close())

	st, err = store.Open(dir, store.Options{})
	require.NoError(t, err)
	defer st.Close()
	cfg.Store = st
	r, err = risk.NewRunner(context.Background(), cfg)
	require.NoError(t, err)
	for _, in := range ins[cut:] {
		require.NoError(t, r.Submit(in))
	}
	require.NoError(t, r.Close())
	got, err := st.ListAlerts(store.Filter{})
	require.NoError(t, err)
	ids := make([]string, len(got))
	for i, a := range got {
		ids[i] = a.Rule + " " + a.ID
	}
	// The store numbers the alerts as the uninterrupted run did: anchored
	// ranges of alert numbers mean the same alerts after a crash.
	require.Equal(t, storeOrder(t, ref), ids, "seed %d: alert numbering", seed)
	slices.Sort(ids)
	w := slices.Clone(want)
	slices.Sort(w)
	require.Equal(t, w, ids, "seed %d", seed)
	// OnAlert saw each alert once across the crash.
	require.Equal(t, want, c.sorted())
}

func storeOrder(t *testing.T, st *store.Store) []string {
	t.Helper()
	as, err := st.ListAlerts(store.Filter{})
	require.NoError(t, err)
	out := make([]string, len(as))
	for i, a := range as {
		require.Equal(t, uint64(i+1), a.Seq)
		out[i] = a.Rule + " " + a.ID
	}
	return out
}

// Alert numbers are a function of the input stream (and the owner and
// worker count), not of goroutine scheduling: two runs with several
// workers store the same alerts under the same numbers. A hot standby
// relies on it to anchor the ranges its leader would have.
func TestRunner_AlertNumberingIsAFunctionOfTheStream(t *testing.T) {
	const seed = 3
	ins := genInputs(t, workload.Config{Accounts: 200, Events: 20_000, Seed: seed})
	var orders [][]string
	for range 3 {
		st, err := store.Open("", store.Options{InMemory: true})
		require.NoError(t, err)
		cfg := baseConfig()
		cfg.Workers, cfg.Store, cfg.FlushEvery = 3, st, 97
		runAll(t, cfg, ins)
		orders = append(orders, storeOrder(t, st))
		require.NoError(t, st.Close())
	}
	require.NotEmpty(t, orders[0])
	require.Equal(t, orders[0], orders[1], "seed %d", seed)
	require.Equal(t, orders[0], orders[2], "seed %d", seed)
}

// Drain returns once every submitted input is applied and its alerts are
// stored, and SubmitNumbered replays a stored stream without renumbering
// it: a standby fed the leader's stored inputs stores the same alerts
// under the same numbers.
func TestRunner_DrainAndSubmitNumbered(t *testing.T) {
	ins := genInputs(t, workload.Config{Accounts: 100, Events: 8_000, Seed: 9})
	leader, err := store.Open("", store.Options{InMemory: true})
	require.NoError(t, err)
	defer leader.Close()
	cfg := baseConfig()
	cfg.Workers, cfg.Store = 2, leader
	r, err := risk.NewRunner(context.Background(), cfg)
	require.NoError(t, err)
	for _, in := range ins {
		require.NoError(t, r.Submit(in))
	}
	require.NoError(t, r.Drain())
	last, err := leader.LastInputSeq()
	require.NoError(t, err)
	require.Equal(t, r.LastSeq(), last)
	drained := storeOrder(t, leader)
	require.NoError(t, r.Close())

	standby, err := store.Open("", store.Options{InMemory: true})
	require.NoError(t, err)
	defer standby.Close()
	cfg.Store = standby
	s, err := risk.NewRunner(context.Background(), cfg)
	require.NoError(t, err)
	require.NoError(t, leader.InputsAfter(0, s.SubmitNumbered))
	require.ErrorIs(t, s.SubmitNumbered(risk.Input{Seq: 1, Kind: risk.InputTick}), risk.ErrOutOfOrder)
	require.NoError(t, s.Close())
	require.Equal(t, storeOrder(t, leader), storeOrder(t, standby))
	require.Equal(t, drained, storeOrder(t, leader)[:len(drained)])
}

// A restart numbers the rest of the stream as an uninterrupted run would:
// the ticks the runner inserts continue from the last stored tick, even
// when every partition had checkpointed past it.
func TestRunner_RestartKeepsTheTickSchedule(t *testing.T) {
	t0 := time.Date(2025, 7, 8, 1, 30, 0, 0, time.UTC)
	ev := func(ms int) risk.Input {
		return risk.Input{Kind: risk.InputEvent, Event: &capture.Event{Kind: capture.KindOrder, Account: "A", Security: "000001",
			Side: capture.SideBuy, Price: 100000, Qty: 100, CaptureTime: t0.Add(time.Duration(ms) * time.Millisecond)}}
	}
	ins := []risk.Input{ev(100), ev(500), ev(1500), ev(2500)}
	kinds := func(st *store.Store) []risk.InputKind {
		var out []risk.InputKind
		require.NoError(t, st.InputsAfter(0, func(in risk.Input) error { out = append(out, in.Kind); return nil }))
		return out
	}
	cfg := baseConfig()
	cfg.CheckpointEvery = 1

	ref, err := store.Open("", store.Options{InMemory: true})
	require.NoError(t, err)
	defer ref.Close()
	cfg.Store = ref
	r, err := risk.NewRunner(context.Background(), cfg)
	require.NoError(t, err)
	for _, in := range ins {
		require.NoError(t, r.Submit(in))
	}
	require.NoError(t, r.Drain())
	r.Abort()

	st, err := store.Open("", store.Options{InMemory: true})
	require.NoError(t, err)
	defer st.Close()
	cfg.Store = st
	r, err = risk.NewRunner(context.Background(), cfg)
	require.NoError(t, err)
	for _, in := range ins[:2] {
		require.NoError(t, r.Submit(in))
	}
	require.NoError(t, r.Drain())
	r.Abort()
	r, err = risk.NewRunner(context.Background(), cfg)
	require.NoError(t, err)
	for _, in := range ins[2:] {
		require.NoError(t, r.Submit(in))
	}
	require.NoError(t, r.Drain())
	r.Abort()
	require.Equal(t, kinds(ref), kinds(st))
	require.Equal(t, []risk.InputKind{risk.InputEvent, risk.InputEvent, risk.InputTick, risk.InputEvent, risk.InputTick, risk.InputEvent}, kinds(st))
}
