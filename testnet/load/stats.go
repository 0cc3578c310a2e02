package load

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// stats accumulates what the load saw. Guarded by Runner.mu. Setup txs are
// never recorded.
type stats struct {
	start, end time.Time // the measured window; end zero while open

	acked      int
	byKind     map[string]*[4]int // by Status
	refused    map[string]int
	failed     map[string]int
	rpcErrors  map[string]int
	latencies  []time.Duration // submitted in the window, committed
	committedW int             // committed with code 0 in the window
	// awaiting holds the submit times of the txs committed at a height
	// until the next block gives that height's commit time.
	awaiting map[int64][]time.Time
	// blockTxs is the number of txs of heights awaiting their commit time.
	blockTxs    map[int64]int
	blocksW     int
	txsW        int
	laterRounds int           // heights in the window that needed more than one round
	fetchW      time.Duration // total time the watcher spent reading blocks in the window
	sinceTimeW  time.Duration // total of (seen - header time) over blocks in the window
	sizes       []int         // bytes of every committed tx
	lostDetail  []string
	anomalies   []string
	lateCommits []string
	foreign     int
	uncertain   int // refusals after a failed attempt, left to the watcher
	// foreignDetail describes the first foreign txs; settled records the
	// outcome of each signer/sequence the runner resolved otherwise than
	// by a block, to explain them.
	foreignDetail []string
	settled       map[string]string
	badSeqInBlock int      // txs that failed in a block with a bad sequence (at first)
	reincluded    []string // ... and were committed in a later block
}

func (s *stats) init() {
	s.byKind = map[string]*[4]int{}
	s.refused, s.failed, s.rpcErrors = map[string]int{}, map[string]int{}, map[string]int{}
	s.awaiting, s.blockTxs = map[int64][]time.Time{}, map[int64]int{}
	s.settled = map[string]string{}
}

func (s *stats) inWindow(t time.Time) bool {
	return !s.start.IsZero() && !t.Before(s.start) && (s.end.IsZero() || t.Before(s.end))
}

func (s *stats) record(a *Action, o Outcome, at time.Time) {
	k := s.byKind[a.Kind]
	if k == nil {
		k = &[4]int{}
		s.byKind[a.Kind] = k
	}
	k[o.Status]++
	switch o.Status {
	case StatusCommitted:
		s.awaiting[o.Height] = append(s.awaiting[o.Height], a.sent)
		s.sizes = append(s.sizes, a.size)
	case StatusFailed:
		s.failed[o.Code]++
	case StatusRefused:
		s.refused[o.Code]++
	}
	key := fmt.Sprintf("%s/%d", a.Signer.Name, a.seq)
	s.settled[key] += fmt.Sprintf("[%s %X %s %s at %d] ", a.Kind, a.hash[:4], o.Status, o.Code, o.Height)
}

// block takes block h's header. Its time is the BFT time of the commit of
// height h-1 (the median of the timestamps of the precommits that decided
// it; every validator runs on this machine's clock), which is the commit
// time of h-1's txs: their latency is that time minus their submit time,
// independent of how long the watcher took to read the block. laterRound
// says h-1 needed more than one round.
func (s *stats) block(h int64, header time.Time, txs int, laterRound bool) {
	s.blockTxs[h] = txs
	prev := h - 1
	if n, ok := s.blockTxs[prev]; ok && s.inWindow(header) {
		s.blocksW++
		s.txsW += n
		if laterRound {
			s.laterRounds++
		}
	}
	for _, sent := range s.awaiting[prev] {
		if s.inWindow(header) {
			s.committedW++
		}
		if s.inWindow(sent) {
			s.latencies = append(s.latencies, header.Sub(sent))
		}
	}
	delete(s.awaiting, prev)
	delete(s.blockTxs, prev)
}

func (s *stats) fetch(seen time.Time, took, sinceHeader time.Duration) {
	if s.inWindow(seen) {
		s.fetchW += took
		s.sinceTimeW += sinceHeader
	}
}

// rpcError counts an RPC failure by its kind, not its full text (which
// names ports and hashes).
func (s *stats) rpcError(setup bool, err error) {
	if setup {
		return
	}
	msg := err.Error()
	kind := "other: " + msg[:min(len(msg), 60)]
	for _, k := range []string{"mempool is full", "connection refused", "connection reset", "EOF", "timeout", "deadline exceeded", "recheck"} {
		if strings.Contains(msg, k) {
			kind = k
			break
		}
	}
	s.rpcErrors[kind]++
}

// OpenWindow starts the measured window now.
func (r *Runner) OpenWindow() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.start = time.Now()
}

// CloseWindow ends the measured window now.
func (r *Runner) CloseWindow() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.end = time.Now()
}

// Result is what one load run measured.
type Result struct {
	App string
	// Window is the measured window's length.
	Window time.Duration
	// Committed is the txs committed with code 0 within the window (by
	// their height's commit time); TPS is Committed per second of it.
	Committed int
	TPS       float64
	// P50, P90, P99 are submit-to-commit latencies of the txs submitted in
	// the window (nearest rank); Samples is how many there were. Commit
	// time is the BFT time in the next block's header (see stats.block).
	P50, P90, P99 time.Duration
	Samples       int
	// Blocks and TxsPerBlock describe the blocks seen in the window.
	Blocks      int
	TxsPerBlock float64
	// LaterRounds is how many of those heights took more than one round.
	LaterRounds int
	// Fetch is the watcher's mean time to read one block and its results;
	// SinceHeader the mean time from a block's header time to the watcher
	// having applied it (about a block interval plus Fetch when it keeps up).
	Fetch, SinceHeader time.Duration
	// Acked is every tx CheckTx accepted (setup excluded, whole run).
	Acked int
	// ByKind counts outcomes per action kind, indexed by Status.
	ByKind map[string][4]int
	// Refused and Failed count refusals at CheckTx and failures in blocks by
	// code; RPCErrors counts broadcast errors (retried) by kind.
	Refused, Failed, RPCErrors map[string]int
	// Lost is the txs CheckTx accepted that no block held by the end;
	// LostDetail describes the first ones.
	Lost       int
	LostDetail []string
	// Anomalies are bad-sequence refusals (never expected without faults).
	Anomalies []string
	// LateCommits are txs declared lost that a block held later.
	LateCommits []string
	// Foreign counts txs in blocks the load did not send, or had stopped
	// watching for: none, when every tx is accounted for.
	Foreign int
	// ForeignDetail describes the first foreign txs.
	ForeignDetail []string
	// BadSeqInBlock counts txs that failed in a block with a bad sequence;
	// Reincluded lists those of them a later block committed after all.
	BadSeqInBlock int
	Reincluded    []string
	// Uncertain counts CheckTx refusals of a tx whose earlier attempt
	// failed in transit (a node restarting): the tx stays watched.
	Uncertain int
	// MedianTxBytes is the median size of the committed txs.
	MedianTxBytes int
}

// Result summarises the run so far.
func (r *Runner) Result() Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &r.stats
	end := s.end
	if end.IsZero() {
		end = time.Now()
	}
	res := Result{
		App: r.wl.Name(), Committed: s.committedW, Samples: len(s.latencies), Blocks: s.blocksW, LaterRounds: s.laterRounds,
		Acked: s.acked, ByKind: map[string][4]int{}, Refused: clone(s.refused), Failed: clone(s.failed),
		RPCErrors: clone(s.rpcErrors), LostDetail: s.lostDetail[:min(len(s.lostDetail), 20)],
		Anomalies: slices.Clone(s.anomalies), LateCommits: slices.Clone(s.lateCommits), Foreign: s.foreign, Uncertain: s.uncertain, ForeignDetail: slices.Clone(s.foreignDetail),
		BadSeqInBlock: s.badSeqInBlock, Reincluded: slices.Clone(s.reincluded),
	}
	if !s.start.IsZero() {
		res.Window = end.Sub(s.start)
		res.TPS = float64(s.committedW) / res.Window.Seconds()
	}
	if s.blocksW > 0 {
		res.TxsPerBlock = float64(s.txsW) / float64(s.blocksW)
		res.Fetch = s.fetchW / time.Duration(s.blocksW)
		res.SinceHeader = s.sinceTimeW / time.Duration(s.blocksW)
	}
	for k, v := range s.byKind {
		res.ByKind[k] = *v
		res.Lost += v[StatusLost]
	}
	lat := slices.Clone(s.latencies)
	slices.Sort(lat)
	res.P50, res.P90, res.P99 = Percentile(lat, 0.50), Percentile(lat, 0.90), Percentile(lat, 0.99)
	sizes := slices.Clone(s.sizes)
	slices.Sort(sizes)
	if len(sizes) > 0 {
		res.MedianTxBytes = sizes[(len(sizes)-1)/2]
	}
	return res
}

// Percentile is the nearest-rank p-quantile of sorted (0 when empty).
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func clone(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Summary is a few lines for people: throughput, latency, outcomes.
func (res Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d txs committed in %.1fs = %.0f tx/s; latency p50 %s p90 %s p99 %s (%d samples); %d blocks (%d needed a second round), %.0f txs/block; median tx %d bytes\n",
		res.App, res.Committed, res.Window.Seconds(), res.TPS, ms(res.P50), ms(res.P90), ms(res.P99), res.Samples,
		res.Blocks, res.LaterRounds, res.TxsPerBlock, res.MedianTxBytes)
	fmt.Fprintf(&b, "  watcher: %s per block read, blocks applied %s after their header time on average\n", ms(res.Fetch), ms(res.SinceHeader))
	for _, k := range sortedKeys(res.ByKind) {
		v := res.ByKind[k]
		fmt.Fprintf(&b, "  %-20s committed %7d  failed %5d  refused %5d  lost %3d\n", k, v[0], v[1], v[2], v[3])
	}
	for _, sec := range []struct {
		name string
		m    map[string]int
	}{{"refused at check", res.Refused}, {"failed in block", res.Failed}, {"rpc errors (retried)", res.RPCErrors}} {
		for _, k := range sortedKeys(sec.m) {
			fmt.Fprintf(&b, "  %s: %s: %d\n", sec.name, k, sec.m[k])
		}
	}
	if res.Lost > 0 {
		fmt.Fprintf(&b, "  LOST (accepted by CheckTx, in no block): %d\n", res.Lost)
		for _, l := range res.LostDetail {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	for _, l := range res.Anomalies[:min(len(res.Anomalies), 20)] {
		fmt.Fprintf(&b, "  anomaly: %s\n", l)
	}
	if res.BadSeqInBlock > 0 {
		fmt.Fprintf(&b, "  failed in a block with a bad sequence: %d, of which a later block committed %d\n", res.BadSeqInBlock, len(res.Reincluded))
	}
	for _, l := range res.Reincluded[:min(len(res.Reincluded), 10)] {
		fmt.Fprintf(&b, "    re-included: %s\n", l)
	}
	for _, l := range res.LateCommits[:min(len(res.LateCommits), 20)] {
		fmt.Fprintf(&b, "  late commit: %s\n", l)
	}
	if res.Foreign > 0 {
		fmt.Fprintf(&b, "  txs in blocks not sent by this load, or no longer watched: %d\n", res.Foreign)
		for _, l := range res.ForeignDetail {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond)) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
