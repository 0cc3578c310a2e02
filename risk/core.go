package risk

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"slices"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk/market"
	"github.com/custody-ledger/custody/risk/window"
)

// ErrCheckpoint is returned (wrapped) by Core.Restore for a checkpoint that
// does not decode.
var ErrCheckpoint = errors.New("risk: bad checkpoint")

// Core is the deterministic rule engine of one partition, in the style of
// raft's RawNode: Step applies one input and returns the alerts it caused.
// It never reads a clock, starts a goroutine or ranges over a map to produce
// output; the same inputs give the same alerts in the same order.
// A Core is not safe for concurrent use: the Runner gives each partition one.
type Core struct {
	st     coreState
	groups *Groups
	// derived from st.Params, rebuilt when they change
	offHours []session
	pumpSess [2][]session
}

// coreState is everything a checkpoint must hold. All fields are exported
// for encoding/gob; map iteration never decides output (maps are for lookup).
type coreState struct {
	Applied  uint64 // last input Seq applied
	Clock    int64  // newest event time seen, ns
	Params   Params
	Version  int64 // parameter version in force
	Accounts map[string]*AccountState
	Groups   map[string]*GroupState
	Secs     map[string]*SecState
	Wire     wireState
}

// AccountState is the per-account rule state.
type AccountState struct {
	Day        int64 // trading day the day counters belong to
	Flow       window.Time
	FlowQuiet  int64 // no per-second rate alert before this time
	DayFlow    int64 // orders + cancels today
	DayOrders  int64
	DayCancels int64
	DayRateHit bool
	OffHit     bool
	Open       map[string]*OpenOrder // by ClOrdID
	Pairs      window.Time           // instantaneous-cancel pairs
	PairsQuiet int64
	SpoofN     int64
	SpoofEv    []string
	SpoofHit   bool
	LimitHit   map[string]bool // security → alerted today
	Trades     map[string]*TradeState
	Pos        map[string]int64 // security → shares held
}

// OpenOrder is an order not yet known to be finished.
type OpenOrder struct {
	Security string
	Side     capture.Side
	Price    int64
	Qty      int64
	T        int64
	Seq      uint64
	Large    bool // large by the spoofing rule's thresholds
}

// TradeState is an account's fills in one security, per pump/dump variant.
type TradeState struct {
	Buy, Sell [2]window.Time
	Quiet     [2]int64
}

// LedgerMark is a ledger fill remembered by the fund-outflow rule.
type LedgerMark struct {
	T     int64
	Value int64 // CNY × 10 000
	Ref   string
}

// GroupState is the state of an associated-account group.
type GroupState struct {
	Day      int64
	Recent   map[string][]FillMark // security → fills awaiting a self-trade match
	SelfN    int64
	SelfEv   []string
	SelfHit  bool
	ConcHit  map[string]bool // security → alerted today
	Accounts []string        // accounts of the group seen so far, sorted
	// Sells are the group's large sells reported on chain, for the fund
	// outflow rule: a client's fills arrive under its shareholder accounts
	// and its withdrawals under its fund account, which onboarding puts in
	// one group.
	Sells []LedgerMark
}

// FillMark is a fill awaiting a self-trade counterpart.
type FillMark struct {
	T       int64
	Account string
	Side    capture.Side
	Price   int64
	Qty     int64
	Seq     uint64
}

// SecState is the market state of one security.
type SecState struct {
	Last   market.Snapshot
	Tape   [2]window.Time // snapshots per pump variant: V = cum volume, Ref = last price
	Float  int64
	HasSnp bool
}

// NewCore returns a core with parameters p (validated by the caller) and
// associated-account groups g (nil for none).
func NewCore(p Params, g *Groups) *Core {
	c := &Core{groups: g, st: coreState{
		Params:   p.Clone(),
		Accounts: map[string]*AccountState{},
		Groups:   map[string]*GroupState{},
		Secs:     map[string]*SecState{},
		Wire:     newWireState(),
	}}
	c.derive()
	return c
}

func (c *Core) derive() {
	// Params were validated on their way in; a failure here leaves the
	// session list empty, which makes the rule conservative (all off-hours).
	c.offHours, _ = parseSessions(c.st.Params.OffHours.Sessions)
	c.pumpSess[0], _ = parseSessions(c.st.Params.PumpDump.Sessions)
	c.pumpSess[1], _ = parseSessions(c.st.Params.PumpDump1m.Sessions)
}

// Applied returns the Seq of the last input applied.
func (c *Core) Applied() uint64 { return c.st.Applied }

// Params returns the parameter set in force and its version.
func (c *Core) Params() (Params, int64) { return c.st.Params.Clone(), c.st.Version }

// Accounts returns how many accounts the core holds state for.
func (c *Core) Accounts() int { return len(c.st.Accounts) }

// step carries what one Step produces.
type step struct {
	in  *Input
	out []Alert
}

func (s *step) fire(c *Core, rule string, sev Severity, accounts []string, security string, t int64, evidence []string, detail string) {
	a := Alert{
		Rule: rule, Severity: sev, Accounts: accounts, Security: security,
		Time: timeOf(t), Evidence: evidence, Detail: detail,
		TriggerSeq: s.in.Seq, Status: StatusOpen,
	}
	a.ID = AlertID(rule, accounts, security, evidence)
	s.out = append(s.out, a)
}

// Step applies one input and returns the alerts it raised, in a fixed
// order. Inputs at or below Applied are ignored (replay after a checkpoint
// is idempotent); Seq 0 is always applied (tests and tools that do not
// number their stream).
func (c *Core) Step(in Input) []Alert {
	if in.Seq != 0 && in.Seq <= c.st.Applied {
		return nil
	}
	s := &step{in: &in}
	if t := in.Time(); !t.IsZero() {
		c.advance(s, t.UnixNano())
	}
	switch in.Kind {
	case InputEvent:
		if in.Event != nil {
			c.onEvent(s, in.Event)
		}
	case InputSnapshot:
		if in.Snapshot != nil {
			c.onSnapshot(in.Snapshot)
		}
	case InputLedger:
		if in.Ledger != nil {
			c.onLedger(s, in.Ledger)
		}
	case InputParams:
		if in.Params != nil && in.Params.Params.Validate() == nil {
			c.st.Params = in.Params.Params.Clone()
			c.st.Version = in.Params.Version
			c.derive()
		}
	case InputHolding:
		if h := in.Holding; h != nil && h.Account != "" {
			a := c.account(h.Account)
			if a.Pos == nil {
				a.Pos = map[string]int64{}
			}
			a.Pos[h.Security] = h.Qty
			c.group(c.groups.Key(h.Account), h.Account)
		}
	case InputSecurity:
		if sb := in.Security; sb != nil {
			c.sec(sb.Security).Float = sb.FloatShares
		}
	}
	if in.Seq > c.st.Applied {
		c.st.Applied = in.Seq
	}
	return s.out
}

// advance moves the clock to t (never backwards) and fires the timers that
// fall due: wire-vs-ledger bounds.
func (c *Core) advance(s *step, t int64) {
	if t <= c.st.Clock {
		return
	}
	c.st.Clock = t
	c.expireWire(s)
}

func (c *Core) account(id string) *AccountState {
	a, ok := c.st.Accounts[id]
	if !ok {
		a = &AccountState{}
		c.st.Accounts[id] = a
	}
	return a
}

func (c *Core) group(key, account string) *GroupState {
	g, ok := c.st.Groups[key]
	if !ok {
		g = &GroupState{}
		c.st.Groups[key] = g
	}
	if i, found := slices.BinarySearch(g.Accounts, account); !found {
		g.Accounts = slices.Insert(g.Accounts, i, account)
	}
	return g
}

func (c *Core) sec(code string) *SecState {
	s, ok := c.st.Secs[code]
	if !ok {
		s = &SecState{}
		c.st.Secs[code] = s
	}
	return s
}

// rollDay resets an account's day counters when t is on a new trading day.
// A-share orders are day orders, so yesterday's open orders are dropped too.
func (a *AccountState) rollDay(day int64) {
	if a.Day == day {
		return
	}
	a.Day = day
	a.DayFlow, a.DayOrders, a.DayCancels = 0, 0, 0
	a.DayRateHit, a.OffHit, a.SpoofHit = false, false, false
	a.SpoofN, a.SpoofEv = 0, nil
	a.Open = nil
	a.LimitHit = nil
}

func (g *GroupState) rollDay(day int64) {
	if g.Day == day {
		return
	}
	g.Day = day
	g.SelfN, g.SelfEv, g.SelfHit = 0, nil, false
	g.ConcHit = nil
}

func (c *Core) onEvent(s *step, e *capture.Event) {
	if e.Account == "" {
		return
	}
	t := e.CaptureTime.UnixNano()
	a := c.account(e.Account)
	a.rollDay(window.DayOf(t))
	switch e.Kind {
	case capture.KindOrder:
		c.onOrder(s, a, e, t)
	case capture.KindCancel:
		c.onCancel(s, a, e, t)
	case capture.KindReject:
		delete(a.Open, e.ClOrdID)
	case capture.KindFill:
		c.onFill(s, a, e, t)
	}
}

func (c *Core) onOrder(s *step, a *AccountState, e *capture.Event, t int64) {
	a.DayOrders++
	c.countFlow(s, a, e, t)
	c.offHoursRule(s, a, e, t)
	price := e.Price
	if price == 0 { // a market order: value it at the last price
		if sec, ok := c.st.Secs[e.Security]; ok {
			price = sec.Last.Last
		}
	}
	sp := c.st.Params.Spoofing
	large := e.Qty >= sp.MinQty || price*e.Qty >= sp.MinValueCNY*capture.PriceScale
	if k := orderKey(e); k != "" {
		if a.Open == nil {
			a.Open = map[string]*OpenOrder{}
		}
		a.Open[k] = &OpenOrder{Security: e.Security, Side: e.Side, Price: e.Price, Qty: e.Qty, T: t, Seq: e.Seq, Large: large}
	}
	c.largeOrderRule(s, e, price, t)
	c.priceDeviationRule(s, e, t)
	c.limitHoldRule(s, a, e, t)
}

// orderKey is the key an order is remembered by: its ClOrdID, or on SSE
// (whose order table links a cancel to the order's record number, ordrec)
// its rec_num.
func orderKey(e *capture.Event) string {
	if e.RecNum != 0 {
		return fmt.Sprintf("rec:%d", e.RecNum)
	}
	return e.ClOrdID
}

// cancelKey is the orderKey of the order a cancel refers to.
func cancelKey(e *capture.Event) string {
	if e.OrigRecNum != 0 {
		return fmt.Sprintf("rec:%d", e.OrigRecNum)
	}
	return e.OrigClOrdID
}

func (c *Core) onCancel(s *step, a *AccountState, e *capture.Event, t int64) {
	a.DayCancels++
	c.countFlow(s, a, e, t)
	c.offHoursRule(s, a, e, t)
	k := cancelKey(e)
	o, ok := a.Open[k]
	if !ok {
		return
	}
	delete(a.Open, k)
	c.instantCancelRule(s, a, e, o, t)
	c.spoofingRule(s, a, e, o, t)
}

func (c *Core) onFill(s *step, a *AccountState, e *capture.Event, t int64) {
	if o, ok := a.Open[e.ClOrdID]; ok && e.ClOrdID != "" {
		if e.LeavesQty <= 0 && (e.CumQty >= o.Qty || e.CumQty == 0) {
			delete(a.Open, e.ClOrdID)
		}
	}
	if a.Pos == nil {
		a.Pos = map[string]int64{}
	}
	if e.Side == capture.SideBuy {
		a.Pos[e.Security] += e.Qty
	} else if e.Side == capture.SideSell {
		a.Pos[e.Security] -= e.Qty
	}
	c.pumpDumpRule(s, a, e, t)
	c.selfTradeRule(s, e, t)
	c.concentrationRule(s, e, t)
	c.wireFill(s, e, t)
}

func (c *Core) onSnapshot(sn *market.Snapshot) {
	sec := c.sec(sn.Security)
	if sec.HasSnp && sn.Time.Before(sec.Last.Time) {
		return
	}
	sec.Last, sec.HasSnp = *sn, true
	sec.Last.Bids = slices.Clone(sn.Bids[:min(1, len(sn.Bids))])
	sec.Last.Asks = slices.Clone(sn.Asks[:min(1, len(sn.Asks))])
	t := sn.Time.UnixNano()
	for i, p := range []PumpDumpParams{c.st.Params.PumpDump, c.st.Params.PumpDump1m} {
		w := &sec.Tape[i]
		w.Span = int64(p.Window)
		w.Add(window.Entry{T: t, V: sn.Volume, Ref: uint64(sn.Last)})
	}
}

func (c *Core) onLedger(s *step, l *LedgerEvent) {
	if l.Account == "" {
		return
	}
	t := l.Time.UnixNano()
	switch l.Kind {
	case LedgerFill:
		c.ledgerFill(s, l, t)
		c.fundSell(l, t)
	case LedgerWithdrawal:
		c.fundOutflowRule(s, l, t)
	}
}

// Checkpoint encodes the core's whole state (rule windows, open orders,
// pending timers, parameters, Applied) for the store.
func (c *Core) Checkpoint() ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(&c.st); err != nil {
		return nil, fmt.Errorf("risk: encode checkpoint: %w", err)
	}
	return b.Bytes(), nil
}

// Restore replaces the core's state with a checkpoint from Checkpoint.
func (c *Core) Restore(b []byte) error {
	var st coreState
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&st); err != nil {
		return fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	if st.Accounts == nil {
		st.Accounts = map[string]*AccountState{}
	}
	if st.Groups == nil {
		st.Groups = map[string]*GroupState{}
	}
	if st.Secs == nil {
		st.Secs = map[string]*SecState{}
	}
	if st.Wire.Pending == nil {
		st.Wire = newWireState()
	}
	c.st = st
	c.derive()
	return nil
}
