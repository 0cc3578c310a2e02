package risk_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/internal/workload"
	"github.com/custody-ledger/custody/risk/store"
)

// BenchmarkReplay replays one million order-flow events (plus their market
// snapshots and chain echoes) from 100 000 accounts through the runner and
// prints throughput and the wall time from submitting an alert's
// triggering input to the alert leaving the runner (stored, when a store is
// used): the capture-to-alert latency the core adds. Run with -benchtime=1x.
//
//	go test ./risk -run '^$' -bench Replay -benchtime=1x
func BenchmarkReplay(b *testing.B) {
	const seed = 1
	ins := genInputs(b, workload.Config{Accounts: 100_000, Events: 1_000_000, Seed: seed, Rate: 5000})
	events := 0
	for _, in := range ins {
		if in.Kind == risk.InputEvent {
			events++
		}
	}
	for _, tc := range []struct {
		name    string
		workers int
		badger  bool
		rate    int // events/s the source is paced at (0: as fast as possible)
	}{{"mem/workers=1", 1, false, 0}, {"mem/workers=2", 2, false, 0}, {"badger/workers=2", 2, true, 0}, {"badger/workers=2/paced=100k", 2, true, 100_000}} {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				replayOnce(b, ins, events, tc.workers, tc.badger, tc.rate)
			}
		})
	}
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func replayOnce(b *testing.B, ins []risk.Input, events, workers int, useStore bool, rate int) {
	submitted := make([]int64, len(ins)+len(ins)/100+16) // by Seq (ticks included)
	var mu sync.Mutex
	var lat []time.Duration
	cfg := baseConfig()
	cfg.Workers = workers
	// A checkpoint encodes a partition's whole state: every 500k inputs
	// (two per partition here, the final one included) rather than the
	// default 50k (docs/benchmarks.md has both).
	cfg.CheckpointEvery = 500_000
	cfg.OnAlert = func(a risk.Alert) {
		d := time.Duration(time.Now().UnixNano() - submitted[a.TriggerSeq])
		mu.Lock()
		lat = append(lat, d)
		mu.Unlock()
	}
	if useStore {
		st, err := store.Open(b.TempDir(), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		cfg.Store = st
	}
	r, err := risk.NewRunner(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	start, cpu0 := time.Now(), processCPU()
	sent := 0
	for _, in := range ins {
		if in.Kind == risk.InputEvent {
			sent++
			if rate > 0 && sent%50 == 0 {
				if due := start.Add(time.Duration(sent) * time.Second / time.Duration(rate)); time.Until(due) > 0 {
					time.Sleep(time.Until(due))
				}
			}
		}
		// The runner numbers inputs; ticks it inserts take a Seq too, so
		// stamp the next few slots.
		now := time.Now().UnixNano()
		next := r.LastSeq() + 1
		submitted[next], submitted[next+1] = now, now
		if err := r.Submit(in); err != nil {
			b.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		b.Fatal(err)
	}
	el, cpu := time.Since(start), processCPU()-cpu0
	slices.Sort(lat)
	p := func(q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(q*float64(len(lat)-1))]
	}
	b.ReportMetric(float64(events)/el.Seconds(), "events/s")
	// Per CPU-second of the whole process (submitter, workers, store,
	// badger's compactions, GC): on a shared machine the wall clock counts
	// other jobs' time.
	b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
	b.ReportMetric(float64(p(0.5).Microseconds()), "p50-µs")
	b.ReportMetric(float64(p(0.99).Microseconds()), "p99-µs")
	// b.Logf, not a print: a print would split the result line go test
	// writes around it (make bench-risk reads those lines).
	b.Logf("replay workers=%d store=%v rate=%d: %d events (%d inputs) in %s = %.0f events/s (%.0f per CPU-second); %d alerts; capture-to-alert p50 %s p99 %s",
		workers, useStore, rate, events, len(ins), el.Round(time.Millisecond), float64(events)/el.Seconds(), float64(events)/cpu.Seconds(), len(lat), p(0.5), p(0.99))
}

// BenchmarkMemoryPer100kAccounts measures the core's heap per 100 000
// active accounts: each sends orders, a cancel and a fill, so its rule
// state (windows, open orders, trade state) is populated.
func BenchmarkMemoryPer100kAccounts(b *testing.B) {
	const accounts = 100_000
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		c := risk.NewCore(risk.DefaultParams(), nil)
		t0 := time.Date(2025, 7, 8, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
		var seq uint64
		step := func(e capture.Event) {
			seq++
			e.Seq, e.Market = seq, capture.MarketSZSE
			c.Step(risk.Input{Seq: seq, Kind: risk.InputEvent, Event: &e})
		}
		for a := 0; a < accounts; a++ {
			acct := fmt.Sprintf("A%09d", a)
			t := t0.Add(time.Duration(a) * time.Millisecond)
			for k := 0; k < 3; k++ {
				step(capture.Event{Kind: capture.KindOrder, CaptureTime: t, Account: acct, Security: "000001", Side: capture.SideBuy, Price: 100000, Qty: 100, ClOrdID: fmt.Sprintf("o%d", k)})
			}
			step(capture.Event{Kind: capture.KindCancel, CaptureTime: t, Account: acct, Security: "000001", OrigClOrdID: "o0"})
			step(capture.Event{Kind: capture.KindFill, CaptureTime: t, Account: acct, Security: "000001", Side: capture.SideBuy, Price: 100000, Qty: 100, ClOrdID: "o1", ExecID: fmt.Sprintf("x%d", a)})
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		per := float64(m1.HeapAlloc-m0.HeapAlloc) / (accounts / 100_000)
		b.ReportMetric(per/(1<<20), "MiB/100k-accounts")
		fmt.Printf("memory: %.1f MiB per 100,000 accounts (%d accounts held, %.0f bytes each)\n", per/(1<<20), c.Accounts(), per/100_000)
		runtime.KeepAlive(c)
	}
}
