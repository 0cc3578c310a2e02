package risk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Store is what the Runner needs from persistence; risk/store implements it
// over badger.
type Store interface {
	PutInputs([]Input) error
	LastInputSeq() (uint64, error)
	InputsAfter(after uint64, fn func(Input) error) error
	// PutAlerts stores the alerts whose ids are new and returns those.
	PutAlerts([]Alert) ([]Alert, error)
	SaveCheckpoint(partition string, applied uint64, state []byte) error
	LoadCheckpoint(partition string) (applied uint64, state []byte, found bool, err error)
	// LastInputOf returns the stored input of a kind with the highest Seq.
	LastInputOf(kind InputKind) (Input, bool, error)
}

// ErrClosed is returned by Runner.Submit after Close.
var ErrClosed = errors.New("risk: runner closed")

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	Params Params
	Groups *Groups
	// Owner is this process's share of the account key space (zero: all).
	Owner Owner
	// Workers is the number of partitions, one goroutine and one Core
	// each (default 1).
	Workers int
	// Store persists inputs, alerts and checkpoints; nil runs in memory.
	Store Store
	// FlushEvery is how many inputs are persisted together before they are
	// dispatched (default 1024).
	FlushEvery int
	// CheckpointEvery is how many inputs a partition applies between
	// checkpoints (default 50 000, as riskd's engine.checkpoint_every). A
	// checkpoint encodes the partition's whole state (O(accounts)): at wire
	// rates it is the store path's largest cost, and 500 000 (recovery then
	// replays at most that many stored inputs, about two seconds) is the
	// better setting (docs/benchmarks.md).
	CheckpointEvery int
	// TickEvery is the event-time interval of the ticks broadcast to every
	// partition, so timers fire in partitions without traffic (default 1s).
	TickEvery time.Duration
	// FlushAfter bounds how long a buffered input waits for FlushEvery
	// others: the next Submit after it flushes (default 2ms). It bounds the
	// batching part of capture-to-alert latency when traffic is light.
	FlushAfter time.Duration
	// OnAlert is called for each new alert, in store order, from one
	// goroutine (the collector). Alerts are already stored.
	OnAlert func(Alert)
	// OnStoreWrite, when set, is called after each batch of inputs is
	// written (count, duration, error), from the persister goroutine: the
	// daemon's store-latency metric.
	OnStoreWrite func(inputs int, took time.Duration, err error)
}

// Runner is the shell around the cores, like raft's Node around RawNode:
// it numbers and persists inputs, routes them by associated-account group
// to worker goroutines (broadcasting market data, ticks and parameters),
// stores what the cores return, and checkpoints them.
//
// # Alert numbering
//
// The store numbers alerts in insertion order (Alert.Seq), and anchored
// batches cover ranges of those numbers, so the numbering must not depend
// on goroutine scheduling. Inputs are dispatched in flushes; each worker
// returns the alerts of its part of a flush to one collector, which waits
// for every worker of the flush, orders the union by (the Seq of the input
// being applied when the alert fired, rule, id), stores it in one
// transaction, and only then moves to the next flush. The numbering is thus
// a function of the input stream, the owner and the worker count: a
// restarted process, or a hot standby applying the same stream, numbers
// every alert as the leader did.
type Runner struct {
	cfg     RunnerConfig
	workers []*worker
	next    uint64 // Seq of the next input
	buf     []Input
	maxT    time.Time
	lastTk  time.Time
	closed  bool
	aborted bool
	flushN  uint64 // number of the last flush dispatched
	wg      sync.WaitGroup
	coll    *collector
	errMu   sync.Mutex
	err     error

	// bufSince is when the oldest buffered input was added (FlushAfter).
	bufSince time.Time
	// The persister (with a store): flushes queue in persistQ; persisted
	// is the last flush it finished.
	persistQ    chan flushJob
	persistDone chan struct{}
	persistMu   sync.Mutex
	persistCond *sync.Cond
	persisted   uint64
}

type worker struct {
	idx     int
	id      string
	core    *Core
	in      chan batch
	since   int
	applied uint64
	lastN   uint64 // last flush this worker was part of
}

// batch is a worker's part of flush n.
type batch struct {
	n   uint64
	ins []Input
}

// noticed is an alert with the Seq of the input whose Step raised it.
type noticed struct {
	at uint64
	a  Alert
}

func sortNoticed(ns []noticed) {
	slices.SortStableFunc(ns, func(x, y noticed) int {
		if x.at != y.at {
			return cmp.Compare(x.at, y.at)
		}
		if c := strings.Compare(x.a.Rule, y.a.Rule); c != 0 {
			return c
		}
		return strings.Compare(x.a.ID, y.a.ID)
	})
}

// collector stores each flush's alerts, in flush order (see Runner).
type collector struct {
	r       *Runner
	results chan result
	done    chan struct{}

	mu     sync.Mutex
	cond   *sync.Cond
	expect map[uint64]int // flush → results still awaited
	got    map[uint64][]noticed
	stored uint64 // every flush up to this one is stored
	err    error
}

type result struct {
	n      uint64
	alerts []noticed
}

func newCollector(r *Runner, stored uint64) *collector {
	c := &collector{r: r, results: make(chan result, 64), done: make(chan struct{}),
		expect: map[uint64]int{}, got: map[uint64][]noticed{}, stored: stored}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// register announces flush n with k worker results to come.
func (c *collector) register(n uint64, k int) {
	c.mu.Lock()
	c.expect[n] = k
	c.mu.Unlock()
}

func (c *collector) run() {
	defer close(c.done)
	for res := range c.results {
		c.mu.Lock()
		c.got[res.n] = append(c.got[res.n], res.alerts...)
		c.expect[res.n]--
		for {
			n := c.stored + 1
			if left, ok := c.expect[n]; !ok || left > 0 || c.err != nil {
				break
			}
			ns := c.got[n]
			delete(c.got, n)
			delete(c.expect, n)
			c.mu.Unlock()
			sortNoticed(ns)
			err := c.r.emit(ns)
			c.mu.Lock()
			if err != nil {
				c.err = err
				c.r.fail(err)
				break
			}
			c.stored = n
		}
		c.cond.Broadcast()
		c.mu.Unlock()
	}
}

// abort fails the collector: waiters return err (the persister could not
// store a flush, whose results will never come).
func (c *collector) abort(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.cond.Broadcast()
	c.mu.Unlock()
}

// wait blocks until flush n is stored (or storing failed).
func (c *collector) wait(n uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.stored < n && c.err == nil {
		c.cond.Wait()
	}
	return c.err
}

// NewRunner builds the runner and, when a store is configured, recovers:
// each partition restores its checkpoint and the stored inputs after the
// oldest checkpoint are replayed (each core skips what it already applied),
// so no alert is lost and, alert ids being derived, none is duplicated.
func NewRunner(ctx context.Context, cfg RunnerConfig) (*Runner, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = 1024
	}
	if cfg.CheckpointEvery <= 0 {
		cfg.CheckpointEvery = 50_000
	}
	if cfg.FlushAfter <= 0 {
		cfg.FlushAfter = 2 * time.Millisecond
	}
	if cfg.TickEvery <= 0 {
		cfg.TickEvery = time.Second
	}
	if err := cfg.Params.Validate(); err != nil {
		return nil, err
	}
	r := &Runner{cfg: cfg, next: 1}
	for i := 0; i < cfg.Workers; i++ {
		r.workers = append(r.workers, &worker{
			idx:  i,
			id:   fmt.Sprintf("owner-%d-of-%d/worker-%d-of-%d", cfg.Owner.Index, max(cfg.Owner.Of, 1), i, cfg.Workers),
			core: NewCore(cfg.Params, cfg.Groups),
			in:   make(chan batch, 4),
		})
	}
	if cfg.Store != nil {
		if err := r.recover(ctx); err != nil {
			return nil, err
		}
	}
	r.coll = newCollector(r, 0)
	go r.coll.run()
	if cfg.Store != nil {
		r.persistQ, r.persistDone = make(chan flushJob, 4), make(chan struct{})
		r.persistCond = sync.NewCond(&r.persistMu)
		go r.persist()
	}
	for _, w := range r.workers {
		r.wg.Add(1)
		go r.run(w)
	}
	return r, nil
}

func (r *Runner) recover(ctx context.Context) error {
	st := r.cfg.Store
	from := ^uint64(0)
	for _, w := range r.workers {
		applied, state, found, err := st.LoadCheckpoint(w.id)
		if err != nil {
			return err
		}
		if found {
			if err := w.core.Restore(state); err != nil {
				return fmt.Errorf("risk: recover %s: %w", w.id, err)
			}
		}
		from = min(from, applied)
		w.applied = applied
	}
	last, err := st.LastInputSeq()
	if err != nil {
		return err
	}
	r.next = last + 1
	// Ticks continue where the stored stream's left off, even when every
	// checkpoint is newer than the last tick: the stream after a restart is
	// numbered as an uninterrupted run would have numbered it.
	if tk, found, err := st.LastInputOf(InputTick); err != nil {
		return err
	} else if found {
		r.noteTime(tk)
	} else if last > 0 {
		// No tick yet: the schedule started at the first timed input.
		errFound := errors.New("found")
		err := st.InputsAfter(0, func(in Input) error {
			if t := in.Time(); !t.IsZero() && in.Kind != InputTick {
				r.lastTk = t.Truncate(r.cfg.TickEvery)
				return errFound
			}
			return nil
		})
		if err != nil && !errors.Is(err, errFound) {
			return err
		}
	}
	// Replay synchronously, before the workers start. The alerts are
	// stored in the collector's order (input, rule, id): what is already
	// stored is a prefix of that order, so what is new gets the numbers an
	// uninterrupted run gave it.
	var pending []noticed
	err = st.InputsAfter(from, func(in Input) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.noteTime(in)
		for i, w := range r.workers {
			if r.routes(&in, i) {
				for _, a := range w.core.Step(in) {
					pending = append(pending, noticed{at: in.Seq, a: a})
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("risk: replay: %w", err)
	}
	sortNoticed(pending)
	return r.emit(pending)
}

// routes reports whether worker i must apply in.
func (r *Runner) routes(in *Input, i int) bool {
	acct := in.Account()
	if acct == "" {
		return true
	}
	k := r.cfg.Groups.Key(acct)
	return r.cfg.Owner.Owns(k) && r.cfg.Owner.worker(k, len(r.workers)) == i
}

func (r *Runner) noteTime(in Input) {
	if t := in.Time(); t.After(r.maxT) {
		r.maxT = t
	}
	if in.Kind == InputTick && in.Tick.After(r.lastTk) {
		r.lastTk = in.Tick
	}
}

// LastSeq is the Seq of the last input accepted (persisted or buffered).
func (r *Runner) LastSeq() uint64 { return r.next - 1 }

// Submit numbers in, buffers it, and every FlushEvery inputs persists and
// dispatches the buffer. A tick is inserted whenever event time crosses a
// TickEvery boundary. Submit is not safe for concurrent use: one source
// goroutine feeds a runner, in stream order.
func (r *Runner) Submit(in Input) error {
	if r.closed {
		return ErrClosed
	}
	if err := r.failed(); err != nil {
		return err
	}
	if t := in.Time(); !t.IsZero() && in.Kind != InputTick {
		if b := t.Truncate(r.cfg.TickEvery); b.After(r.lastTk) && !r.lastTk.IsZero() {
			r.add(Input{Kind: InputTick, Tick: b})
		} else if r.lastTk.IsZero() {
			r.lastTk = b
		}
	}
	r.add(in)
	if len(r.buf) >= r.cfg.FlushEvery || time.Since(r.bufSince) >= r.cfg.FlushAfter {
		return r.flushAsync()
	}
	return nil
}

// ErrOutOfOrder is returned by SubmitNumbered for an input whose Seq is not
// the runner's next.
var ErrOutOfOrder = errors.New("risk: numbered input out of order")

// SubmitNumbered takes an input that another runner already numbered (a
// hot standby applying its leader's stored stream, ticks included): its Seq
// must be LastSeq()+1, and no tick is inserted. Same concurrency rule as
// Submit.
func (r *Runner) SubmitNumbered(in Input) error {
	if r.closed {
		return ErrClosed
	}
	if err := r.failed(); err != nil {
		return err
	}
	if in.Seq != r.next {
		return fmt.Errorf("%w: got %d, want %d", ErrOutOfOrder, in.Seq, r.next)
	}
	r.next++
	r.noteTime(in)
	if t := in.Time(); r.lastTk.IsZero() && !t.IsZero() {
		r.lastTk = t.Truncate(r.cfg.TickEvery)
	}
	r.buf = append(r.buf, in)
	if len(r.buf) == 1 {
		r.bufSince = time.Now()
	}
	if len(r.buf) >= r.cfg.FlushEvery || time.Since(r.bufSince) >= r.cfg.FlushAfter {
		return r.flushAsync()
	}
	return nil
}

func (r *Runner) add(in Input) {
	in.Seq = r.next
	r.next++
	r.noteTime(in)
	if len(r.buf) == 0 {
		r.bufSince = time.Now()
	}
	r.buf = append(r.buf, in)
}

// Flush persists and dispatches the buffered inputs, and returns once they
// (and every earlier flush) are stored: callers record what a flush made
// durable (the daemon's ledger height).
func (r *Runner) Flush() error {
	if err := r.flushAsync(); err != nil {
		return err
	}
	return r.waitPersisted(r.flushN)
}

// flushAsync hands the buffered inputs on. With a store, a persister
// goroutine writes them and only then dispatches them to the workers, so
// the submitter goes on numbering and buffering while badger writes (an
// alert never comes from an input that is not stored); without one they
// are dispatched at once.
func (r *Runner) flushAsync() error {
	if len(r.buf) == 0 {
		return r.failed()
	}
	per := make([][]Input, len(r.workers))
	k := 0
	for _, in := range r.buf {
		for i := range r.workers {
			if r.routes(&in, i) {
				per[i] = append(per[i], in)
			}
		}
	}
	for i := range r.workers {
		if len(per[i]) > 0 {
			k++
		}
	}
	r.flushN++
	job := flushJob{n: r.flushN, ins: r.buf, per: per}
	r.coll.register(job.n, max(k, 1))
	r.buf = make([]Input, 0, r.cfg.FlushEvery)
	r.bufSince = time.Time{}
	if r.persistQ == nil {
		r.dispatch(job)
		return nil
	}
	r.persistQ <- job
	return r.failed()
}

// flushJob is one flush: its number, its inputs and their parts by worker.
type flushJob struct {
	n   uint64
	ins []Input
	per [][]Input
}

// dispatch sends a flush's parts to the workers; a flush with nothing for
// any worker gets an empty result so the collector's order moves on.
func (r *Runner) dispatch(job flushJob) {
	sent := false
	for i, w := range r.workers {
		if len(job.per[i]) > 0 {
			w.in <- batch{n: job.n, ins: job.per[i]}
			sent = true
		}
	}
	if !sent {
		r.coll.results <- result{n: job.n}
	}
}

// persist is the persister goroutine (see flushAsync).
func (r *Runner) persist() {
	defer close(r.persistDone)
	for job := range r.persistQ {
		if r.failed() == nil {
			start := time.Now()
			err := r.cfg.Store.PutInputs(job.ins)
			if r.cfg.OnStoreWrite != nil {
				r.cfg.OnStoreWrite(len(job.ins), time.Since(start), err)
			}
			if err != nil {
				r.fail(err)
				r.coll.abort(err)
			}
		}
		r.persistMu.Lock()
		r.persisted = job.n
		r.persistCond.Broadcast()
		r.persistMu.Unlock()
		if r.failed() == nil {
			r.dispatch(job)
		}
	}
}

// waitPersisted blocks until flush n went through the persister.
func (r *Runner) waitPersisted(n uint64) error {
	if r.persistQ == nil {
		return r.failed()
	}
	r.persistMu.Lock()
	for r.persisted < n {
		r.persistCond.Wait()
	}
	r.persistMu.Unlock()
	return r.failed()
}

// Drain flushes and waits until every input dispatched so far has been
// applied and its alerts stored.
func (r *Runner) Drain() error {
	if err := r.Flush(); err != nil {
		return err
	}
	return r.coll.wait(r.flushN)
}

// Close ends the stream: a final tick at the newest event time brings
// every partition's clock there, the workers drain and checkpoint, and the
// first error any of them hit is returned.
func (r *Runner) Close() error {
	if r.closed {
		return r.failed()
	}
	if !r.maxT.IsZero() && r.maxT.After(r.lastTk) {
		r.add(Input{Kind: InputTick, Tick: r.maxT})
	}
	err := r.Flush()
	r.stop(false)
	return errors.Join(err, r.failed())
}

// Abort stops the workers without the final tick or checkpoint, leaving
// the store as a crash would (tests of recovery use it).
func (r *Runner) Abort() {
	if r.closed {
		return
	}
	r.stop(true)
}

func (r *Runner) stop(abort bool) {
	r.closed, r.aborted = true, abort
	if r.persistQ != nil {
		close(r.persistQ)
		<-r.persistDone
	}
	for _, w := range r.workers {
		close(w.in)
	}
	r.wg.Wait()
	close(r.coll.results)
	<-r.coll.done
}

func (r *Runner) fail(err error) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	if r.err == nil {
		r.err = err
	}
}

func (r *Runner) failed() error {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.err
}

func (r *Runner) run(w *worker) {
	defer r.wg.Done()
	for b := range w.in {
		var out []noticed
		for _, in := range b.ins {
			for _, a := range w.core.Step(in) {
				out = append(out, noticed{at: in.Seq, a: a})
			}
		}
		w.since += len(b.ins)
		w.lastN = b.n
		r.coll.results <- result{n: b.n, alerts: out}
		if w.since >= r.cfg.CheckpointEvery {
			// A checkpoint covers only what is stored: wait for this flush.
			if err := r.coll.wait(b.n); err != nil {
				continue
			}
			if err := r.checkpoint(w); err != nil {
				r.fail(err)
			}
		}
	}
	if r.aborted || r.failed() != nil {
		return
	}
	if err := r.coll.wait(w.lastN); err != nil {
		return
	}
	if err := r.checkpoint(w); err != nil {
		r.fail(err)
	}
}

// emit stores alerts (in the order given) before anything else sees them;
// a checkpoint is only taken after its alerts are stored, so recovery never
// loses one. Only the alerts new to the store go on to OnAlert: a replay
// forwards nothing twice.
func (r *Runner) emit(ns []noticed) error {
	if len(ns) == 0 {
		return nil
	}
	out := make([]Alert, len(ns))
	for i := range ns {
		out[i] = ns[i].a
	}
	if r.cfg.Store != nil {
		var err error
		if out, err = r.cfg.Store.PutAlerts(out); err != nil {
			return err
		}
	}
	if r.cfg.OnAlert != nil {
		for _, a := range out {
			r.cfg.OnAlert(a)
		}
	}
	return nil
}

func (r *Runner) checkpoint(w *worker) error {
	w.since = 0
	if r.cfg.Store == nil {
		return nil
	}
	b, err := w.core.Checkpoint()
	if err != nil {
		return err
	}
	return r.cfg.Store.SaveCheckpoint(w.id, w.core.Applied(), b)
}
