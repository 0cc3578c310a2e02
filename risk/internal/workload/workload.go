// Package workload generates a deterministic, seeded input stream for the
// risk core's recovery, partitioning and benchmark tests: ordinary order
// flow across many accounts with market snapshots and chain echoes of
// fills, sprinkled with the patterns the rules look for (quick-cancelled
// large orders, wash trades between associated accounts, order bursts,
// fills that never reach the chain).
package workload

import (
	"fmt"
	"math/rand"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/market"
)

// Config sizes a workload.
type Config struct {
	Accounts   int       // ordinary accounts (default 1000)
	Events     int       // order-flow events to generate (default 100 000)
	Seed       int64     // random seed (log it in tests)
	Start      time.Time // first event time (default 2025-07-08 09:30 China time)
	Securities int       // default 20
	// Rate is order-flow events per second of event time (default 2000).
	Rate int
}

// Groups returns the associated-account groups the workload trades wash
// trades between.
func Groups() [][]string {
	return [][]string{{"W000000001", "W000000002"}, {"W000000003", "W000000004", "W000000005"}}
}

func account(i int) string { return fmt.Sprintf("A%09d", i) }

type open struct {
	acct, id, sec string
	side          capture.Side
	px, qty       int64
}

// Generate calls emit with the inputs in stream order (Seq left 0: the
// runner numbers them). Capture events carry their own increasing Seq.
func Generate(cfg Config, emit func(risk.Input) error) error {
	if cfg.Accounts <= 0 {
		cfg.Accounts = 1000
	}
	if cfg.Events <= 0 {
		cfg.Events = 100_000
	}
	if cfg.Securities <= 0 {
		cfg.Securities = 20
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 2000
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2025, 7, 8, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	}
	rng := rand.New(rand.NewSource(cfg.Seed))
	secs := make([]string, cfg.Securities)
	last := make([]int64, cfg.Securities)
	vol := make([]int64, cfg.Securities)
	for i := range secs {
		secs[i] = fmt.Sprintf("%06d", i+1)
		last[i] = int64(5+rng.Intn(50)) * capture.PriceScale
	}
	var seq uint64
	var opens []open
	step := time.Second / time.Duration(cfg.Rate)
	t := cfg.Start
	nextSnap := t
	ledgerN := 0
	ev := func(e *capture.Event) error {
		seq++
		e.Seq, e.CaptureTime, e.Market = seq, t, capture.MarketSZSE
		return emit(risk.Input{Kind: risk.InputEvent, Event: e})
	}
	fill := func(o open, qty int64) error {
		execID := fmt.Sprintf("X%d", seq+1)
		if err := ev(&capture.Event{Kind: capture.KindFill, Direction: capture.DirFromExchange, Account: o.acct,
			Security: o.sec, Side: o.side, Price: o.px, Qty: qty, ClOrdID: o.id, ExecID: execID}); err != nil {
			return err
		}
		// The chain echoes the fill a little later; one in 500 never arrives.
		if rng.Intn(500) == 0 {
			return nil
		}
		ledgerN++
		return emit(risk.Input{Kind: risk.InputLedger, Ledger: &risk.LedgerEvent{ID: fmt.Sprintf("L%d", ledgerN),
			Kind: risk.LedgerFill, Time: t.Add(time.Millisecond), Account: o.acct, Security: o.sec, Side: o.side,
			Price: o.px, Qty: qty, ExecID: execID}})
	}
	for n := 0; n < cfg.Events; {
		t = t.Add(step)
		if !t.Before(nextSnap) {
			for i, s := range secs {
				last[i] += int64(rng.Intn(21)-10) * 100
				vol[i] += int64(rng.Intn(50)) * 1000
				snap := market.Snapshot{Time: t, Market: capture.MarketSZSE, Security: s, Last: last[i],
					LimitUp: last[i] * 11 / 10, LimitDown: last[i] * 9 / 10, Volume: vol[i],
					Bids: []market.Level{{Price: last[i] - 100, Qty: 10_000}}, Asks: []market.Level{{Price: last[i] + 100, Qty: 10_000}}}
				if err := emit(risk.Input{Kind: risk.InputSnapshot, Snapshot: &snap}); err != nil {
					return err
				}
			}
			nextSnap = t.Add(3 * time.Second)
		}
		r := rng.Intn(1000)
		switch {
		case r < 2: // spoofing: a large order cancelled at once
			si := rng.Intn(len(secs))
			o := open{acct: fmt.Sprintf("S%09d", rng.Intn(10)), id: fmt.Sprintf("sp%d", seq+1), sec: secs[si], side: capture.SideBuy, px: last[si], qty: 300_000}
			if err := ev(&capture.Event{Kind: capture.KindOrder, Direction: capture.DirToExchange, Account: o.acct, Security: o.sec, Side: o.side, Price: o.px, Qty: o.qty, ClOrdID: o.id}); err != nil {
				return err
			}
			if err := ev(&capture.Event{Kind: capture.KindCancel, Direction: capture.DirToExchange, Account: o.acct, Security: o.sec, OrigClOrdID: o.id, ClOrdID: o.id + "c"}); err != nil {
				return err
			}
			n += 2
		case r < 4: // wash trade between associated accounts
			g := Groups()[rng.Intn(2)]
			si := rng.Intn(len(secs))
			q := int64(1+rng.Intn(20)) * 100
			b := open{acct: g[0], id: fmt.Sprintf("wb%d", seq), sec: secs[si], side: capture.SideBuy, px: last[si], qty: q}
			s := b
			s.acct, s.id, s.side = g[len(g)-1], fmt.Sprintf("ws%d", seq), capture.SideSell
			if err := fill(b, q); err != nil {
				return err
			}
			if err := fill(s, q); err != nil {
				return err
			}
			n += 2
		case r < 5 && n+310 < cfg.Events: // a burst of 310 orders from one account in ~0.3 s
			acct := fmt.Sprintf("H%09d", rng.Intn(5))
			for k := 0; k < 310; k++ {
				t = t.Add(time.Millisecond)
				if err := ev(&capture.Event{Kind: capture.KindOrder, Direction: capture.DirToExchange, Account: acct,
					Security: secs[0], Side: capture.SideSell, Price: last[0], Qty: 100, ClOrdID: fmt.Sprintf("h%d", seq+1)}); err != nil {
					return err
				}
			}
			n += 310
		case r < 600 || len(opens) == 0: // new order
			si := rng.Intn(len(secs))
			o := open{acct: account(rng.Intn(cfg.Accounts)), id: fmt.Sprintf("o%d", seq+1), sec: secs[si],
				side: capture.Side(1 + rng.Intn(2)), px: last[si] + int64(rng.Intn(5)-2)*100, qty: int64(1+rng.Intn(50)) * 100}
			if err := ev(&capture.Event{Kind: capture.KindOrder, Direction: capture.DirToExchange, Account: o.acct, Security: o.sec, Side: o.side, Price: o.px, Qty: o.qty, ClOrdID: o.id}); err != nil {
				return err
			}
			if len(opens) < 4096 {
				opens = append(opens, o)
			} else {
				opens[rng.Intn(len(opens))] = o
			}
			n++
		case r < 850: // cancel an open order
			i := rng.Intn(len(opens))
			o := opens[i]
			opens[i] = opens[len(opens)-1]
			opens = opens[:len(opens)-1]
			if err := ev(&capture.Event{Kind: capture.KindCancel, Direction: capture.DirToExchange, Account: o.acct, Security: o.sec, OrigClOrdID: o.id, ClOrdID: o.id + "c"}); err != nil {
				return err
			}
			n++
		default: // fill an open order
			i := rng.Intn(len(opens))
			o := opens[i]
			opens[i] = opens[len(opens)-1]
			opens = opens[:len(opens)-1]
			if err := fill(o, o.qty); err != nil {
				return err
			}
			n++
		}
	}
	return nil
}
