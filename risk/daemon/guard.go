package daemon

import (
	"fmt"
	"strings"
	"sync"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/store"
)

// replayGuard keeps a restarted capture from feeding what an earlier run
// already fed. An exchange link replays: an SZSE gateway resends execution
// reports after ReportSynchronization, an SSE OMS re-reads the order
// database's rows when it reconnects. The decoder drops what it has seen,
// but a new process (a restart, a standby taking over) starts with a fresh
// decoder. So each stored event input carries a mark in the store — the
// decoder's own de-duplication key, read back from the event — written in
// the same batch as the input (markingStore), and the pump drops an event
// whose mark is already there. The pump numbers events after that, so the
// trade series has no gap where a replay was dropped and evidence ids are
// those of an uninterrupted run.
type replayGuard struct {
	st *store.Store
	// eps are the configured exchange endpoints: the mark names the
	// exchange side of an event's TCP flow, whatever the client port.
	eps []string

	mu     sync.Mutex
	recent map[string]bool // admitted, not yet persisted
}

func newReplayGuard(st *store.Store, eps []string) *replayGuard {
	return &replayGuard{st: st, eps: eps, recent: map[string]bool{}}
}

// mark is the event's identity across replays, or "" for an event that is
// never replayed (what the OMS sends the SZSE gateway).
func (g *replayGuard) mark(e *capture.Event) string {
	ep := ""
	for _, side := range strings.SplitN(e.Stream, "->", 2) {
		for _, x := range g.eps {
			if side == x {
				ep = x
			}
		}
	}
	switch e.Market {
	case capture.MarketSZSE:
		if e.ReportIndex > 0 {
			return fmt.Sprintf("szse %s %d %d", ep, e.PartitionNo, e.ReportIndex)
		}
	case capture.MarketSSE:
		switch e.Kind {
		case capture.KindOrder, capture.KindCancel:
			return fmt.Sprintf("sse %s ord %d %s", ep, e.RecNum, e.ClOrdID)
		case capture.KindConfirm, capture.KindReject, capture.KindCancelReject:
			return fmt.Sprintf("sse %s cfm %d %s %d %v %d", ep, e.RecNum, e.ClOrdID, e.Kind, e.Cancelled, e.OrigRecNum)
		case capture.KindFill:
			return fmt.Sprintf("sse %s cj %s", ep, e.ExecID)
		}
	}
	return ""
}

// admit reports whether e is new to this process and its store.
func (g *replayGuard) admit(e *capture.Event) (bool, error) {
	m := g.mark(e)
	if m == "" {
		return true, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.recent[m] {
		return false, nil
	}
	seen, err := g.st.HasMark(m)
	if err != nil || seen {
		return false, err
	}
	g.recent[m] = true
	return true, nil
}

// markingStore is the runner's store: it writes each event input's mark
// with the input.
type markingStore struct {
	*store.Store
	g *replayGuard
}

func (s markingStore) PutInputs(ins []risk.Input) error {
	var marks []string
	for i := range ins {
		if ins[i].Kind == risk.InputEvent && ins[i].Event != nil {
			if m := s.g.mark(ins[i].Event); m != "" {
				marks = append(marks, m)
			}
		}
	}
	if err := s.Store.PutInputsAndMarks(ins, marks); err != nil {
		return err
	}
	s.g.mu.Lock()
	for _, m := range marks {
		delete(s.g.recent, m)
	}
	s.g.mu.Unlock()
	return nil
}
