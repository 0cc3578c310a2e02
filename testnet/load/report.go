package load

import (
	"fmt"
	"io"
	"strings"
)

// Ratios are the custody figures divided by the kvstore's.
type Ratios struct {
	Throughput, P50, P90, P99 float64
}

// Ratios of the report (0 where the kvstore's figure is 0).
func (r *BenchReport) Ratios() Ratios {
	div := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	o, k := r.Custody.Result, r.KVStore.Result
	return Ratios{
		Throughput: div(o.TPS, k.TPS),
		P50:        div(float64(o.P50), float64(k.P50)),
		P90:        div(float64(o.P90), float64(k.P90)),
		P99:        div(float64(o.P99), float64(k.P99)),
	}
}

// Write prints the settings, the table and the closing ratio line:
//
//	vs kvstore: throughput X.XX, p99 latency Y.YY
func (r *BenchReport) Write(w io.Writer) {
	c := r.Config
	mode := "each node a child process (custodyd start; the kvstore through custodynet bench node)"
	if c.Binary == "" {
		mode = "every node in the load tool's process"
	}
	fmt.Fprintf(w, "\nLoad benchmark: 4 validators on 127.0.0.1, %s\n", mode)
	fmt.Fprintf(w, "machine: %s; shared with other jobs, so single figures are noisy: compare the same-run ratios\n", r.Machine)
	fmt.Fprintf(w, "tuned on both: %s\n", c.Tuning)
	fmt.Fprintf(w, "custody app.toml: snapshots off, periodic invariant checks off, pruning keep_recent 1000 (production defaults)\n")
	o := c.Custody.withDefaults()
	fmt.Fprintf(w, "load: %d signers pinned round-robin to the 4 nodes (%d bank, %d broker, 1 regulator, 1 clearing-house key, %d client accounts "+
		"signing their withdrawals; %d trading accounts whose clients sign orders and cancels), at most %d txs in flight, warmup %s, window %s, seed %d; "+
		"latency = BFT commit time (next header) - submit time\n",
		r.Custody.Signers, c.KeysPerParticipant, c.KeysPerParticipant, o.Accounts, o.TradingAccounts,
		c.Load.InFlight, c.Load.Warmup, c.Load.Duration, c.Load.Seed)
	fmt.Fprintf(w, "kvstore txs: key=value padded to %d bytes, the custody run's median committed tx\n\n", r.KVStore.Result.MedianTxBytes)

	fmt.Fprintln(w, "| app | tx/s | p50 | p90 | p99 | committed | blocks | txs/block | mempool | refused | failed | lost | node CPU % | node RSS MiB | load CPU % |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |")
	for _, run := range []AppRun{r.Custody, r.KVStore} {
		res := run.Result
		loadCPU := "-"
		if run.Load != nil {
			loadCPU = fmt.Sprintf("%.0f", run.Load.CPUPercent)
		}
		fmt.Fprintf(w, "| %s | %.0f | %s | %s | %s | %d | %d | %.0f | %.0f | %d | %d | %d | %s | %s | %s |\n",
			res.App, res.TPS, ms(res.P50), ms(res.P90), ms(res.P99), res.Committed, res.Blocks, res.TxsPerBlock, run.Mempool.Mean,
			sum(res.Refused), sum(res.Failed), res.Lost, usageList(run.Nodes, func(u Usage) string { return fmt.Sprintf("%.0f", u.CPUPercent) }),
			usageList(run.Nodes, func(u Usage) string { return fmt.Sprintf("%d", u.RSS>>20) }), loadCPU)
	}
	ra := r.Ratios()
	fmt.Fprintf(w, "| custody / kvstore | %.2f | %.2f | %.2f | %.2f | | | | | | | | | | |\n\n", ra.Throughput, ra.P50, ra.P90, ra.P99)

	fmt.Fprintf(w, "custody mix (committed / failed in block / refused at check / lost):")
	for _, k := range sortedKeys(r.Custody.Result.ByKind) {
		v := r.Custody.Result.ByKind[k]
		fmt.Fprintf(w, " %s %d/%d/%d/%d;", k, v[0], v[1], v[2], v[3])
	}
	fmt.Fprintln(w)
	for _, run := range []AppRun{r.Custody, r.KVStore} {
		for _, p := range run.Profiles {
			fmt.Fprintf(w, "profile: %s (go tool pprof -top %s)\n", p, p)
		}
	}
	fmt.Fprintf(w, "vs kvstore: throughput %.2f, p99 latency %.2f\n", ra.Throughput, ra.P99)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func usageList(us []Usage, f func(Usage) string) string {
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = f(u)
	}
	return strings.Join(parts, " / ")
}
