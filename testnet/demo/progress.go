package demo

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/custody-ledger/custody/testnet"
)

// Progress is one report of the demo's progress: which phase runs, and
// the chain's and the risk core's figures at that moment.
type Progress struct {
	// Phase is the running phase, 1..Of.
	Phase, Of int
	// Name is the phase's short name, Title what it does.
	Name, Title string
	// Done reports the end of the phase; Note then says what it did.
	Done bool
	Note string
	// Elapsed is the time since Play began, PhaseElapsed since the phase
	// began.
	Elapsed, PhaseElapsed time.Duration
	// Height is the chain's latest height, Txs the transactions committed
	// in its blocks so far (all of them, the risk core's anchoring too),
	// Alerts the alerts the risk core has raised.
	Height int64
	Txs    int64
	Alerts uint64
}

// pollEvery is how often the progress figures are refreshed.
const pollEvery = 500 * time.Millisecond

// poll refreshes the figures and reports them until ctx ends.
func (d *Demo) poll(ctx context.Context) {
	defer close(d.pollDone)
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.refresh(ctx)
			d.report(false, "")
		}
	}
}

// refresh reads the chain's height and the txs of the blocks not yet
// counted (from bank-1's node), and the risk core's alert count.
func (d *Demo) refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	d.mu.Lock()
	tn, seen := d.tn, d.txsSeenH
	d.mu.Unlock()
	if tn == nil || d.l == nil || !d.l.IsRunning(tn.Nodes[0].Name) {
		return
	}
	rpc, err := testnet.NewRPC(tn.Nodes[0])
	if err != nil {
		return
	}
	st, err := rpc.Status(ctx)
	if err != nil {
		return
	}
	h := st.SyncInfo.LatestBlockHeight
	var txs int64
	for lo := seen + 1; lo <= h; lo += 20 {
		hi := min(lo+19, h)
		res, err := rpc.BlockchainInfo(ctx, lo, hi)
		if err != nil {
			break
		}
		for _, m := range res.BlockMetas {
			txs += int64(m.NumTxs)
		}
		seen = hi
	}
	var alerts uint64
	haveAlerts := false
	if r := d.riskCore(); r != nil {
		if s, err := r.status(ctx); err == nil {
			alerts, haveAlerts = s.Alerts, true
		}
	}
	d.mu.Lock()
	d.height = max(d.height, h)
	if seen > d.txsSeenH {
		d.txs += txs
		d.txsSeenH = seen
	}
	if haveAlerts {
		d.alerts = alerts
	}
	d.mu.Unlock()
}

// report hands the current progress to Config.Progress.
func (d *Demo) report(done bool, note string) {
	if d.cfg.Progress == nil {
		return
	}
	d.mu.Lock()
	i := d.phase
	p := Progress{Phase: i, Of: len(phases), Done: done, Note: note, Elapsed: time.Since(d.started),
		PhaseElapsed: time.Since(d.phaseT0), Height: d.height, Txs: d.txs, Alerts: d.alerts}
	d.mu.Unlock()
	if i < 1 || i > len(phases) {
		return
	}
	p.Name, p.Title = phases[i-1].Name, phases[i-1].Title
	d.cfg.Progress(p)
}

// Display renders progress: on a terminal, one line per finished phase
// and a status line redrawn in place; elsewhere, one plain line per
// finished phase. Node and risk core logs never reach it (they go to
// files under the demo directory).
type Display struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	width int  // the terminal's columns
	live  bool // a status line is on screen
}

// NewDisplay writes to w; width > 0 says w is a terminal that wide, 0 that
// it is not a terminal.
func NewDisplay(w io.Writer, width int) *Display { return &Display{w: w, tty: width > 0, width: width} }

// Update shows p.
func (s *Display) Update(p Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	figures := fmt.Sprintf("height %d · txs %d · alerts %d", p.Height, p.Txs, p.Alerts)
	if !s.tty {
		if p.Done {
			fmt.Fprintf(s.w, "[%2d/%d] %-15s %s (%s; %s)\n", p.Phase, p.Of, p.Name, p.Note, round(p.PhaseElapsed), figures)
		}
		return
	}
	s.clearLocked()
	if p.Done {
		fmt.Fprintf(s.w, "  \u2713 %-15s %s \033[2m(%s)\033[0m\n", p.Name, p.Note, round(p.PhaseElapsed))
		return
	}
	// One line, never as wide as the terminal: a wrapped line could not be
	// redrawn in place.
	head := fmt.Sprintf("  \u25b8 [%d/%d] %-15s %s · %s  ", p.Phase, p.Of, p.Name, clock(p.Elapsed), figures)
	room := s.width - 1 - len([]rune(head))
	if room < 10 {
		fmt.Fprint(s.w, clip(head, s.width-1))
	} else {
		fmt.Fprintf(s.w, "%s\033[2m%s\033[0m", head, clip(p.Title, room))
	}
	s.live = true
}

// Finish removes the status line.
func (s *Display) Finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clearLocked()
}

func (s *Display) clearLocked() {
	if s.live {
		fmt.Fprint(s.w, "\r\033[K")
		s.live = false
	}
}

func round(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

func clock(d time.Duration) string {
	s := int(d.Seconds())
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
