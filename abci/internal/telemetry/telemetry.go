// Package telemetry holds the ABCI application's Prometheus metrics.
//
// It lives apart from package abci because it reads the wall clock (to time
// Commit): that is harmless for metrics, which are not replicated, and
// forbidden on the state path. The determinism lint excludes this package.
// A nil *Metrics is valid and records nothing, so the app needs no branches.
package telemetry

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the app's own series, next to CometBFT's.
type Metrics struct {
	txs        *prometheus.CounterVec
	blockTxs   prometheus.Histogram
	invariants *prometheus.GaugeVec
	broken     prometheus.Gauge
	commit     prometheus.Histogram
	height     prometheus.Gauge
}

// New registers the metrics with reg. A nil reg returns nil (no metrics).
func New(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, nil
	}
	const ns, sub = "custody", "abci"
	m := &Metrics{
		txs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "txs_total",
			Help: "Txs executed in FinalizeBlock, by message type and result (codespace, code; code 0 is success).",
		}, []string{"type", "codespace", "code"}),
		blockTxs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "block_txs",
			Help:    "Number of txs per finalized block.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 8),
		}),
		invariants: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "invariant_broken",
			Help: "1 if the named invariant was broken at its last check, else 0.",
		}, []string{"name"}),
		broken: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "invariants_broken",
			Help: "Number of invariants broken at the last check (0 is healthy).",
		}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "commit_seconds",
			Help:    "Duration of Commit (IAVL SaveVersion, pruning, snapshot scheduling).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		height: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "committed_height",
			Help: "Last committed height (IAVL version).",
		}),
	}
	for _, c := range []prometheus.Collector{m.txs, m.blockTxs, m.invariants, m.broken, m.commit, m.height} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Tx counts one executed tx.
func (m *Metrics) Tx(msgType, codespace string, code uint32) {
	if m == nil {
		return
	}
	if msgType == "" {
		msgType = "undecoded"
	}
	m.txs.WithLabelValues(msgType, codespace, strconv.FormatUint(uint64(code), 10)).Inc()
}

// Block records the tx count of a finalized block.
func (m *Metrics) Block(txs int) {
	if m == nil {
		return
	}
	m.blockTxs.Observe(float64(txs))
}

// Invariant records the result of one invariant.
func (m *Metrics) Invariant(name string, broken bool) {
	if m == nil {
		return
	}
	v := 0.0
	if broken {
		v = 1
	}
	m.invariants.WithLabelValues(name).Set(v)
}

// InvariantsBroken records how many invariants a check found broken.
func (m *Metrics) InvariantsBroken(n int) {
	if m == nil {
		return
	}
	m.broken.Set(float64(n))
}

// StartCommit starts timing a Commit; call the returned func when it ends.
func (m *Metrics) StartCommit() func(height int64) {
	if m == nil {
		return func(int64) {}
	}
	start := time.Now()
	return func(height int64) {
		m.commit.Observe(time.Since(start).Seconds())
		m.height.Set(float64(height))
	}
}
