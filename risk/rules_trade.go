package risk

import (
	"fmt"
	"maps"
	"slices"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk/window"
)

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// pumpDumpRule: in the variant's window of continuous trading, the account's
// volume on one side is ≥ MinQty and ≥ MinSharePct of the market volume,
// and the price moved ≥ MinMoveBps that side's way (up for buys, down for
// sells). Market volume and the move are measured between the first
// snapshot inside the window and the latest one. Quiet for one window after
// firing, per account and security.
func (c *Core) pumpDumpRule(s *step, a *AccountState, e *capture.Event, t int64) {
	if e.Side != capture.SideBuy && e.Side != capture.SideSell {
		return
	}
	if a.Trades == nil {
		a.Trades = map[string]*TradeState{}
	}
	ts, ok := a.Trades[e.Security]
	if !ok {
		ts = &TradeState{}
		a.Trades[e.Security] = ts
	}
	sec := c.st.Secs[e.Security]
	for i, p := range []PumpDumpParams{c.st.Params.PumpDump, c.st.Params.PumpDump1m} {
		rule := RulePumpDump
		if i == 1 {
			rule = RulePumpDump1m
		}
		side := &ts.Buy[i]
		if e.Side == capture.SideSell {
			side = &ts.Sell[i]
		}
		side.Span = int64(p.Window)
		side.Add(window.Entry{T: t, V: e.Qty, Ref: e.Seq})
		if !p.Enabled || t < ts.Quiet[i] || sec == nil || !inSessions(c.pumpSess[i], window.ClockOf(t)) {
			continue
		}
		tape := &sec.Tape[i]
		tape.Span = int64(p.Window)
		tape.Advance(t)
		first, ok := tape.Oldest()
		if !ok || tape.Count() < 2 {
			continue
		}
		lastE := tape.At(tape.Count() - 1)
		mktVol := lastE.V - first.V
		p0, p1 := int64(first.Ref), int64(lastE.Ref)
		if mktVol <= 0 || p0 <= 0 {
			continue
		}
		move := p1 - p0
		if e.Side == capture.SideSell {
			move = -move
		}
		vol := side.Sum
		if vol < p.MinQty || vol*100 < p.MinSharePct*mktVol || move*10_000 < p.MinMoveBps*p0 {
			continue
		}
		ts.Quiet[i] = t + int64(p.Window)
		what := "pump"
		if e.Side == capture.SideSell {
			what = "dump"
		}
		s.fire(c, rule, SeverityHigh, []string{e.Account}, e.Security, t, refs(side.Refs(maxEvidence)),
			fmt.Sprintf("%s: %s %d of market %d shares (%d%%) in %s, price %d → %d (%d bps)",
				what, e.Side, vol, mktVol, vol*100/mktVol, p.Window.D(), p0, p1, move*10_000/p0))
	}
}

// selfTradeRule matches a fill against the opposite-side fills of the same
// group (the account itself or an associated account) in the same security
// with the same price and quantity within MatchWithin. Each match is a
// self-trade: one ≥ MinQty fires on its own, and the PerDay-th of the day
// fires once with all the day's matches as evidence.
func (c *Core) selfTradeRule(s *step, e *capture.Event, t int64) {
	if e.Side != capture.SideBuy && e.Side != capture.SideSell {
		return
	}
	p := c.st.Params.SelfTrade
	key := c.groups.Key(e.Account)
	g := c.group(key, e.Account)
	g.rollDay(window.DayOf(t))
	if g.Recent == nil {
		g.Recent = map[string][]FillMark{}
	}
	rec := g.Recent[e.Security]
	// Drop fills too old to match (they are in time order).
	cut := 0
	for cut < len(rec) && rec[cut].T < t-int64(p.MatchWithin) {
		cut++
	}
	rec = rec[cut:]
	for i, f := range rec {
		if f.Side != e.Side && f.Price == e.Price && f.Qty == e.Qty {
			rec = slices.Delete(rec, i, i+1)
			g.Recent[e.Security] = rec
			c.selfTradeMatch(s, g, p, f, e, t)
			return
		}
	}
	g.Recent[e.Security] = append(rec, FillMark{T: t, Account: e.Account, Side: e.Side, Price: e.Price, Qty: e.Qty, Seq: e.Seq})
	if len(g.Recent[e.Security]) == 0 {
		delete(g.Recent, e.Security)
	}
}

func (c *Core) selfTradeMatch(s *step, g *GroupState, p SelfTradeParams, f FillMark, e *capture.Event, t int64) {
	g.SelfN++
	ev := []string{EventRef(f.Seq), EventRef(e.Seq)}
	if len(g.SelfEv) < maxEvidence {
		g.SelfEv = append(g.SelfEv, ev...)
	}
	accounts := []string{f.Account}
	if e.Account != f.Account {
		accounts = append(accounts, e.Account)
		slices.Sort(accounts)
	}
	if !p.Enabled {
		return
	}
	if e.Qty >= p.MinQty {
		s.fire(c, RuleSelfTrade, SeverityHigh, accounts, e.Security, t, ev,
			fmt.Sprintf("matched buy and sell of %d shares at %d between associated accounts", e.Qty, e.Price))
	}
	if g.SelfN >= p.PerDay && !g.SelfHit {
		g.SelfHit = true
		s.fire(c, RuleSelfTrade, SeverityHigh, slices.Clone(g.Accounts), e.Security, t, slices.Clone(g.SelfEv),
			fmt.Sprintf("%d self-trades today in the group (limit %d)", g.SelfN, p.PerDay))
	}
}

// concentrationRule fires when the group's position in a security reaches
// MaxBps of its float shares, once per group, security and day. Without
// float shares in base data it is silent.
func (c *Core) concentrationRule(s *step, e *capture.Event, t int64) {
	p := c.st.Params.Concentration
	sec, ok := c.st.Secs[e.Security]
	if !p.Enabled || !ok || sec.Float <= 0 {
		return
	}
	key := c.groups.Key(e.Account)
	g := c.group(key, e.Account)
	g.rollDay(window.DayOf(t))
	if g.ConcHit[e.Security] {
		return
	}
	var pos int64
	for _, acct := range g.Accounts {
		if a, ok := c.st.Accounts[acct]; ok {
			pos += a.Pos[e.Security]
		}
	}
	if pos*10_000 < p.MaxBps*sec.Float {
		return
	}
	if g.ConcHit == nil {
		g.ConcHit = map[string]bool{}
	}
	g.ConcHit[e.Security] = true
	s.fire(c, RuleConcentration, SeverityMedium, slices.Clone(g.Accounts), e.Security, t, []string{EventRef(e.Seq)},
		fmt.Sprintf("group holds %d of %d float shares (%d bps, limit %d)", pos, sec.Float, pos*10_000/sec.Float, p.MaxBps))
}
