package risk

import (
	"fmt"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk/window"
)

// maxEvidence caps the event ids an alert carries for window-count rules; the
// newest are kept (the ones that crossed the threshold).
const maxEvidence = 32

func timeOf(ns int64) time.Time { return time.Unix(0, ns).UTC() }

func refs(seqs []uint64) []string {
	out := make([]string, len(seqs))
	for i, s := range seqs {
		out[i] = EventRef(s)
	}
	return out
}

// countFlow feeds the order-rate rule: orders plus cancels per second and
// per day. The per-second alert is quiet for one window after it fires, so a
// sustained burst raises one alert per second, not one per order; the day
// alert fires once a day.
func (c *Core) countFlow(s *step, a *AccountState, e *capture.Event, t int64) {
	p := c.st.Params.OrderRate
	a.DayFlow++
	a.Flow.Span = int64(time.Second)
	a.Flow.Add(window.Entry{T: t, V: 1, Ref: e.Seq})
	if !p.Enabled {
		return
	}
	if int64(a.Flow.Count()) >= p.PerSecond && t >= a.FlowQuiet {
		a.FlowQuiet = t + int64(time.Second)
		s.fire(c, RuleOrderRate, SeverityMedium, []string{e.Account}, "", t, refs(a.Flow.Refs(maxEvidence)),
			fmt.Sprintf("%d orders and cancels within 1s (limit %d)", a.Flow.Count(), p.PerSecond))
	}
	if a.DayFlow >= p.PerDay && !a.DayRateHit {
		a.DayRateHit = true
		s.fire(c, RuleOrderRate, SeverityMedium, []string{e.Account}, "", t, []string{EventRef(e.Seq)},
			fmt.Sprintf("%d orders and cancels today (limit %d)", a.DayFlow, p.PerDay))
	}
}

// offHoursRule fires on an account's first order or cancel of the day sent
// outside the sessions or on a weekend. Exchange holidays need the trading
// calendar from base data and are not yet known to the core.
func (c *Core) offHoursRule(s *step, a *AccountState, e *capture.Event, t int64) {
	if !c.st.Params.OffHours.Enabled || a.OffHit {
		return
	}
	day := window.DayOf(t)
	weekday := (day + 4) % 7 // 1970-01-01 was a Thursday; 0 = Sunday
	clock := window.ClockOf(t)
	if weekday != 0 && weekday != 6 && inSessions(c.offHours, clock) {
		return
	}
	a.OffHit = true
	s.fire(c, RuleOffHours, SeverityLow, []string{e.Account}, e.Security, t, []string{EventRef(e.Seq)},
		fmt.Sprintf("%s at %02d:%02d:%02d China time outside trading sessions", e.Kind, clock/3600, clock/60%60, clock%60))
}

// largeOrderRule fires on every order at or above the size or value line.
func (c *Core) largeOrderRule(s *step, e *capture.Event, price, t int64) {
	p := c.st.Params.LargeOrder
	if !p.Enabled {
		return
	}
	value := price * e.Qty
	if e.Qty < p.MinQty && value < p.MinValueCNY*capture.PriceScale {
		return
	}
	s.fire(c, RuleLargeOrder, SeverityLow, []string{e.Account}, e.Security, t, []string{EventRef(e.Seq)},
		fmt.Sprintf("%s %d shares, value %d CNY", e.Side, e.Qty, value/capture.PriceScale))
}

// priceDeviationRule fires on an aggressive limit order far from the last
// price: a buy above, or a sell below, by MaxBps or more. Passive orders far
// from the market are not flagged.
func (c *Core) priceDeviationRule(s *step, e *capture.Event, t int64) {
	p := c.st.Params.PriceDeviation
	sec, ok := c.st.Secs[e.Security]
	if !p.Enabled || !ok || sec.Last.Last <= 0 || e.Price <= 0 {
		return
	}
	last := sec.Last.Last
	var dev int64
	switch e.Side {
	case capture.SideBuy:
		dev = e.Price - last
	case capture.SideSell:
		dev = last - e.Price
	}
	if dev <= 0 || dev*10_000 < p.MaxBps*last {
		return
	}
	s.fire(c, RulePriceDeviation, SeverityLow, []string{e.Account}, e.Security, t, []string{EventRef(e.Seq)},
		fmt.Sprintf("%s at %d vs last %d: %d bps (limit %d)", e.Side, e.Price, last, dev*10_000/last, p.MaxBps))
}

// limitHoldRule fires when an account's open orders at the limit price
// (buys at limit-up, sells at limit-down) reach MinQty shares or MinQueuePct
// of the queue shown at that price, once per security per day.
func (c *Core) limitHoldRule(s *step, a *AccountState, e *capture.Event, t int64) {
	p := c.st.Params.LimitHold
	sec, ok := c.st.Secs[e.Security]
	if !p.Enabled || !ok || a.LimitHit[e.Security] {
		return
	}
	var limit, queue int64
	switch e.Side {
	case capture.SideBuy:
		limit = sec.Last.LimitUp
		if len(sec.Last.Bids) > 0 && sec.Last.Bids[0].Price == limit {
			queue = sec.Last.Bids[0].Qty
		}
	case capture.SideSell:
		limit = sec.Last.LimitDown
		if len(sec.Last.Asks) > 0 && sec.Last.Asks[0].Price == limit {
			queue = sec.Last.Asks[0].Qty
		}
	}
	if limit <= 0 || e.Price != limit {
		return
	}
	// Sum the account's open orders at the limit. Open orders are few per
	// account; collect them in ClOrdID order only for the evidence list.
	var held int64
	var ev []string
	for _, id := range sortedKeys(a.Open) {
		o := a.Open[id]
		if o.Security == e.Security && o.Side == e.Side && o.Price == limit {
			held += o.Qty
			ev = append(ev, EventRef(o.Seq))
		}
	}
	if held < p.MinQty && (queue <= 0 || held*100 < p.MinQueuePct*queue) {
		return
	}
	if a.LimitHit == nil {
		a.LimitHit = map[string]bool{}
	}
	a.LimitHit[e.Security] = true
	s.fire(c, RuleLimitHold, SeverityMedium, []string{e.Account}, e.Security, t, ev,
		fmt.Sprintf("%d shares open at limit %d, queue %d", held, limit, queue))
}

// instantCancelRule counts order-then-cancel pairs within Within; Pairs of
// them in Window with a day cancel ratio ≥ MinCancelRatioPct fire, then the
// rule is quiet for one Window.
func (c *Core) instantCancelRule(s *step, a *AccountState, e *capture.Event, o *OpenOrder, t int64) {
	p := c.st.Params.InstantCancel
	if t-o.T > int64(p.Within) {
		return
	}
	a.Pairs.Span = int64(p.Window)
	a.Pairs.Add(window.Entry{T: t, V: 1, Ref: o.Seq})
	a.Pairs.Add(window.Entry{T: t, V: 0, Ref: e.Seq})
	if !p.Enabled || t < a.PairsQuiet {
		return
	}
	pairs := a.Pairs.Sum
	if pairs < p.Pairs || a.DayCancels*100 < p.MinCancelRatioPct*a.DayOrders {
		return
	}
	a.PairsQuiet = t + int64(p.Window)
	s.fire(c, RuleInstantCancel, SeverityMedium, []string{e.Account}, "", t, refs(a.Pairs.Refs(maxEvidence)),
		fmt.Sprintf("%d order-cancel pairs within %s in %s; day cancels %d of %d orders", pairs, p.Within.D(), p.Window.D(), a.DayCancels, a.DayOrders))
}

// spoofingRule counts large orders cancelled within CancelWithin; the
// PerDay-th of the day fires, once a day, with every such pair as evidence.
func (c *Core) spoofingRule(s *step, a *AccountState, e *capture.Event, o *OpenOrder, t int64) {
	p := c.st.Params.Spoofing
	if !o.Large || t-o.T > int64(p.CancelWithin) {
		return
	}
	a.SpoofN++
	if len(a.SpoofEv) < maxEvidence {
		a.SpoofEv = append(a.SpoofEv, EventRef(o.Seq), EventRef(e.Seq))
	}
	if !p.Enabled || a.SpoofHit || a.SpoofN < p.PerDay {
		return
	}
	a.SpoofHit = true
	s.fire(c, RuleSpoofing, SeverityHigh, []string{e.Account}, e.Security, t, append([]string(nil), a.SpoofEv...),
		fmt.Sprintf("%d large orders cancelled within %s today", a.SpoofN, p.CancelWithin.D()))
}
