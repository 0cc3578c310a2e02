package risk

import (
	"context"
	"errors"
	"fmt"
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
	// checkpoints (default 50 000).
	CheckpointEvery int
	// TickEvery is the event-time interval of the ticks broadcast to every
	// partition, so timers fire in partitions without traffic (default 1s).
	TickEvery time.Duration
	// OnAlert is called for each new alert, from the worker goroutines
	// (concurrently: it must synchronise). Alerts are already stored.
	OnAlert func(Alert)
}

// Runner is the shell around the cores, like raft's Node around RawNode:
// it numbers and persists inputs, routes them by associated-account group
// to worker goroutines (broadcasting market data, ticks and parameters),
// stores what the cores return, and checkpoints them.
type Runner struct {
	cfg     RunnerConfig
	workers []*worker
	next    uint64 // Seq of the next input
	buf     []Input
	maxT    time.Time
	lastTk  time.Time
	closed  bool
	aborted bool
	wg      sync.WaitGroup
	errMu   sync.Mutex
	err     error
}

type worker struct {
	id      string
	core    *Core
	in      chan []Input
	since   int
	applied uint64
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
	if cfg.TickEvery <= 0 {
		cfg.TickEvery = time.Second
	}
	if err := cfg.Params.Validate(); err != nil {
		return nil, err
	}
	r := &Runner{cfg: cfg, next: 1}
	for i := 0; i < cfg.Workers; i++ {
		r.workers = append(r.workers, &worker{
			id:   fmt.Sprintf("owner-%d-of-%d/worker-%d-of-%d", cfg.Owner.Index, max(cfg.Owner.Of, 1), i, cfg.Workers),
			core: NewCore(cfg.Params, cfg.Groups),
			in:   make(chan []Input, 4),
		})
	}
	if cfg.Store != nil {
		if err := r.recover(ctx); err != nil {
			return nil, err
		}
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
	// Replay synchronously, before the workers start.
	var pending [][]Alert = make([][]Alert, len(r.workers))
	err = st.InputsAfter(from, func(in Input) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.noteTime(in)
		for i, w := range r.workers {
			if r.routes(&in, i) {
				pending[i] = append(pending[i], w.core.Step(in)...)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("risk: replay: %w", err)
	}
	for i, w := range r.workers {
		if err := r.emit(w, pending[i]); err != nil {
			return err
		}
	}
	return nil
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
	if len(r.buf) >= r.cfg.FlushEvery {
		return r.Flush()
	}
	return nil
}

func (r *Runner) add(in Input) {
	in.Seq = r.next
	r.next++
	r.noteTime(in)
	r.buf = append(r.buf, in)
}

// Flush persists and dispatches the buffered inputs.
func (r *Runner) Flush() error {
	if len(r.buf) == 0 {
		return nil
	}
	if r.cfg.Store != nil {
		if err := r.cfg.Store.PutInputs(r.buf); err != nil {
			return err
		}
	}
	per := make([][]Input, len(r.workers))
	for _, in := range r.buf {
		for i := range r.workers {
			if r.routes(&in, i) {
				per[i] = append(per[i], in)
			}
		}
	}
	for i, w := range r.workers {
		if len(per[i]) > 0 {
			w.in <- per[i]
		}
	}
	r.buf = nil
	return nil
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
	r.closed = true
	for _, w := range r.workers {
		close(w.in)
	}
	r.wg.Wait()
	return errors.Join(err, r.failed())
}

// Abort stops the workers without the final tick or checkpoint, leaving
// the store as a crash would (tests of recovery use it).
func (r *Runner) Abort() {
	if r.closed {
		return
	}
	r.closed, r.aborted = true, true
	for _, w := range r.workers {
		close(w.in)
	}
	r.wg.Wait()
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
	for batch := range w.in {
		var out []Alert
		for _, in := range batch {
			out = append(out, w.core.Step(in)...)
		}
		w.since += len(batch)
		if err := r.emit(w, out); err != nil {
			r.fail(err)
			continue
		}
		if w.since >= r.cfg.CheckpointEvery {
			if err := r.checkpoint(w); err != nil {
				r.fail(err)
			}
		}
	}
	if r.aborted || r.failed() != nil {
		return
	}
	if err := r.checkpoint(w); err != nil {
		r.fail(err)
	}
}

// emit stores alerts before anything else sees them; a checkpoint is only
// taken after its alerts are stored, so recovery never loses one. Only the
// alerts new to the store go on to OnAlert: a replay forwards nothing twice.
func (r *Runner) emit(w *worker, out []Alert) error {
	if len(out) == 0 {
		return nil
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
