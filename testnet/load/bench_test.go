package load

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRunBench_Smoke is `make bench` made small: both four-validator
// networks in this process, a few seconds of load each. It checks that both
// runs committed txs with measured latencies, that the custody mix really
// went through (deposits and confirmed withdrawals committed), that the
// kvstore txs were padded to the custody median, and that the report ends
// with the ratio line.
func TestRunBench_Smoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two four-node networks")
	}
	cfg := BenchConfig{
		Dir:                t.TempDir(),
		Load:               DefaultConfig(),
		Custody:            CustodyOptions{Accounts: 8, TradingAccounts: 4},
		KeysPerParticipant: 2,
		Tuning:             DefaultTuning(),
	}
	cfg.Load.Duration, cfg.Load.Warmup, cfg.Load.InFlight, cfg.Load.Drain = 4*time.Second, time.Second, 400, 5*time.Second
	var progress bytes.Buffer
	cfg.Out = &progress
	rep, err := RunBench(t.Context(), cfg)
	require.NoError(t, err, progress.String())
	t.Log(progress.String())

	for _, run := range []AppRun{rep.Custody, rep.KVStore} {
		res := run.Result
		require.Positive(t, res.Committed, "%s committed nothing in the window", res.App)
		require.Positive(t, res.Samples, "%s: no latency samples", res.App)
		require.LessOrEqual(t, res.P50, res.P99, res.App)
		require.Positive(t, res.Blocks, res.App)
		require.Zero(t, res.Foreign, "%s: txs in blocks that the load did not send", res.App)
		require.Len(t, run.Nodes, 1, "in process, usage is the process's")
	}
	ours := rep.Custody.Result
	require.Positive(t, ours.ByKind["deposit"][StatusCommitted])
	require.Positive(t, ours.ByKind["withdraw request"][StatusCommitted])
	require.Equal(t, ours.MedianTxBytes, rep.KVStore.Result.MedianTxBytes, "kvstore txs are padded to the custody median")
	require.Equal(t, rep.Custody.Signers, rep.KVStore.Signers, "the kvstore load mirrors the custody signers")

	var out bytes.Buffer
	rep.Write(&out)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Regexp(t, regexp.MustCompile(`^vs kvstore: throughput \d+\.\d\d, p99 latency \d+\.\d\d$`), lines[len(lines)-1])
	t.Log(out.String())
}

func TestKVTx_PadsToSize(t *testing.T) {
	for _, size := range []int{1, 10, 161, 500} {
		tx := KVTx("kv007", 12345, size)
		require.Equal(t, 1, bytes.Count(tx, []byte("=")), "one '=' makes a valid kvstore tx")
		require.NotContains(t, string(tx), ":")
		if size > len("kv007.12345=") {
			require.Len(t, tx, size)
		}
	}
}

func TestWantSequence(t *testing.T) {
	for _, tc := range []struct {
		log  string
		want uint64
		ok   bool
	}{
		{"tx: sequence is not the signer's next sequence: got 468, want 286", 286, true},
		{"want 7", 7, true},
		{"tx: sequence is not the signer's next sequence", 0, false},
		{"want x", 0, false},
	} {
		got, ok := wantSequence(tc.log)
		require.Equal(t, tc.ok, ok, tc.log)
		require.Equal(t, tc.want, got, tc.log)
	}
}

func TestPercentile_NearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	require.Equal(t, 50*time.Millisecond, Percentile(d, 0.50))
	require.Equal(t, 90*time.Millisecond, Percentile(d, 0.90))
	require.Equal(t, 99*time.Millisecond, Percentile(d, 0.99))
	require.Equal(t, time.Duration(0), Percentile(nil, 0.99))
	require.Equal(t, 7*time.Millisecond, Percentile(d[6:7], 0.99))
}

func TestReadProc_Self(t *testing.T) {
	a, err := ReadProc(0)
	require.NoError(t, err)
	require.Positive(t, a.RSS)
	require.GreaterOrEqual(t, a.PeakRSS, a.RSS)
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) { // burn CPU: utime must move
	}
	b, err := ReadProc(0)
	require.NoError(t, err)
	u := UsageBetween("self", a, b)
	require.Greater(t, u.CPUPercent, 10.0, "a busy loop shows as CPU time")
}
