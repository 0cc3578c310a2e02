package daemon

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk"
)

// metrics are riskd's Prometheus metrics, on a registry of the daemon's own
// (several daemons may run in one test process), served at GET /metrics.
type metrics struct {
	reg *prometheus.Registry

	inputs     *prometheus.CounterVec // by kind
	replays    prometheus.Counter     // captured events dropped as replays of stored ones
	alerts     *prometheus.CounterVec // by rule
	alertLag   prometheus.Histogram   // alert stored − its event time
	storeWrite prometheus.Histogram   // one batch of inputs into badger
	storeErrs  prometheus.Counter     // failed input writes
	capture    *prometheus.GaugeVec   // the capture's counters (Stats), by counter
	lastEvent  prometheus.Gauge       // capture time of the last event submitted (Unix seconds)
	inputLag   prometheus.Histogram   // submission − capture time, per captured event
	kindNames  map[risk.InputKind]string

	mu   sync.Mutex
	last capture.Stats // the newest counters the capture reported
	seen bool
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	lat := prometheus.ExponentialBuckets(0.0005, 2, 16) // 0.5ms … 16s
	m.inputs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riskd_inputs_total",
		Help: "Inputs submitted to the risk core, by kind (event: captured order flow)."}, []string{"kind"})
	m.replays = prometheus.NewCounter(prometheus.CounterOpts{Name: "riskd_capture_replays_dropped_total",
		Help: "Captured events dropped as replays of stored ones (a restarted capture)."})
	m.alerts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riskd_alerts_total",
		Help: "New alerts stored, by rule."}, []string{"rule"})
	m.alertLag = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "riskd_alert_lag_seconds",
		Help: "Wall time when an alert was stored minus the event time it fired at: capture-to-alert for live capture.", Buckets: lat})
	m.storeWrite = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "riskd_store_write_seconds",
		Help: "Time to write one batch of inputs to badger.", Buckets: lat})
	m.storeErrs = prometheus.NewCounter(prometheus.CounterOpts{Name: "riskd_store_write_errors_total",
		Help: "Input batches badger failed to write."})
	m.capture = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "riskd_capture",
		Help: "The capture's counters (capture.Stats) as last reported: packets, events, kernel_drops, gaps, lost_bytes, cut_messages ..."}, []string{"counter"})
	m.lastEvent = prometheus.NewGauge(prometheus.GaugeOpts{Name: "riskd_last_event_capture_time_seconds",
		Help: "Capture time of the last event submitted (Unix seconds)."})
	m.inputLag = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "riskd_event_lag_seconds",
		Help: "Wall time a captured event was submitted to the core minus its capture time (live capture).", Buckets: lat})
	m.reg.MustRegister(m.inputs, m.replays, m.alerts, m.alertLag, m.storeWrite, m.storeErrs, m.capture, m.lastEvent, m.inputLag,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	m.kindNames = map[risk.InputKind]string{risk.InputEvent: "event", risk.InputSnapshot: "snapshot", risk.InputLedger: "ledger",
		risk.InputTick: "tick", risk.InputParams: "params", risk.InputHolding: "holding", risk.InputSecurity: "security"}
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// submitted counts an input the pump gives the runner.
func (m *metrics) submitted(in *risk.Input) {
	m.inputs.WithLabelValues(m.kindNames[in.Kind]).Inc()
	if in.Kind == risk.InputEvent && !in.Event.CaptureTime.IsZero() {
		m.lastEvent.Set(float64(in.Event.CaptureTime.UnixNano()) / 1e9)
		m.inputLag.Observe(time.Since(in.Event.CaptureTime).Seconds())
	}
}

// alerted is the runner's OnAlert.
func (m *metrics) alerted(a risk.Alert) {
	m.alerts.WithLabelValues(a.Rule).Inc()
	if !a.Time.IsZero() {
		m.alertLag.Observe(time.Since(a.Time).Seconds())
	}
}

// storeWrote is the runner's OnStoreWrite.
func (m *metrics) storeWrote(_ int, took time.Duration, err error) {
	m.storeWrite.Observe(took.Seconds())
	if err != nil {
		m.storeErrs.Inc()
	}
}

// captured is the capture's Observe: the newest counters, for status and
// metrics.
func (m *metrics) captured(st capture.Stats) {
	m.mu.Lock()
	m.last, m.seen = st, true
	m.mu.Unlock()
	for name, v := range map[string]uint64{
		"packets": st.Packets, "bytes": st.Bytes, "events": st.Events, "messages": st.MessagesTotal(),
		"kernel_packets": st.KernelPackets, "kernel_drops": st.KernelDrops,
		"gaps": st.Gaps, "lost_bytes": st.LostBytes, "malformed": st.Malformed, "undecodable": st.Undecodable,
		"duplicates": st.Duplicates, "cut_messages": st.CutMessages, "cut_bytes": st.CutBytes,
		"refused_streams": st.RefusedStreams, "dedup_aged": st.DedupAged, "panics": st.Panics,
	} {
		m.capture.WithLabelValues(name).Set(float64(v))
	}
}

// captureStats returns the newest counters the capture reported.
func (m *metrics) captureStats() (capture.Stats, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last, m.seen
}

// CaptureStatus is the capture's part of GET /v1/status: what it decoded
// and what it lost, so that a caller can tell a quiet link from a lossy one.
type CaptureStatus struct {
	Packets uint64 `json:"packets"`
	Events  uint64 `json:"events"` // events the decoder produced (before the replay guard)
	// KernelDrops are packets the kernel dropped because the capture did
	// not read fast enough (live capture); Gaps and LostBytes are what
	// reassembly never saw (drops upstream, on the mirror, or in the kernel).
	KernelPackets uint64 `json:"kernel_packets"`
	KernelDrops   uint64 `json:"kernel_drops"`
	Gaps          uint64 `json:"gaps"`
	LostBytes     uint64 `json:"lost_bytes"`
	CutMessages   uint64 `json:"cut_messages"`
	// Taken says every event the decoder produced has been submitted to
	// the core (counted or dropped as a replay).
	Taken bool `json:"taken"`
}

// Lossy says whether the capture saw loss of any kind.
func (c *CaptureStatus) Lossy() bool {
	return c.KernelDrops > 0 || c.Gaps > 0 || c.LostBytes > 0 || c.CutMessages > 0
}
