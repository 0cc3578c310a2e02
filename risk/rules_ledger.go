package risk

import (
	"fmt"

	"github.com/custody-ledger/custody/capture"
)

// wireState holds fills waiting for their counterpart on the other side of
// the wire/ledger comparison. Deadlines are event time + Bound and arrive in
// non-decreasing order per core, so a FIFO with lazy deletion is enough.
type wireState struct {
	Pending map[string]*WirePending // by match key
	Queue   []string                // keys in deadline order; may hold settled keys
	// Late remembers keys whose wire fill already expired, so its late
	// chain fill does not raise a second alert (until the next expiry pass
	// after twice the bound).
	Late map[string]int64
}

// WirePending is one side of a fill awaiting the other.
type WirePending struct {
	Deadline int64
	FromWire bool // true: seen on the link, waiting for the chain
	Account  string
	Security string
	Ref      string
	Seq      uint64 // input that registered it: the alert's TriggerSeq
	ExecID   string
	Side     capture.Side
	Qty      int64
	Price    int64
}

func (p *WirePending) detail(bound Duration) string {
	if p.FromWire {
		return fmt.Sprintf("wire fill %s %s %d @ %d not on chain within %s", p.ExecID, p.Side, p.Qty, p.Price, bound.D())
	}
	return fmt.Sprintf("chain fill %s %s %d @ %d never crossed the link within %s", p.ExecID, p.Side, p.Qty, p.Price, bound.D())
}

func newWireState() wireState {
	return wireState{Pending: map[string]*WirePending{}, Late: map[string]int64{}}
}

func wireKey(account, security, execID string) string {
	return account + "\x00" + security + "\x00" + execID
}

// wireFill records a fill reported by the exchange on the link.
func (c *Core) wireFill(s *step, e *capture.Event, t int64) {
	if !c.st.Params.WireLedger.Enabled || e.ExecID == "" {
		return
	}
	k := wireKey(e.Account, e.Security, e.ExecID)
	if p, ok := c.st.Wire.Pending[k]; ok && !p.FromWire {
		delete(c.st.Wire.Pending, k) // the chain had it first
		return
	}
	c.addPending(k, &WirePending{Deadline: t + int64(c.st.Params.WireLedger.Bound), FromWire: true,
		Account: e.Account, Security: e.Security, Ref: EventRef(e.Seq), Seq: s.in.Seq,
		ExecID: e.ExecID, Side: e.Side, Qty: e.Qty, Price: e.Price})
}

// ledgerFill records a fill the chain reported.
func (c *Core) ledgerFill(s *step, l *LedgerEvent, t int64) {
	if !c.st.Params.WireLedger.Enabled || l.ExecID == "" {
		return
	}
	k := wireKey(l.Account, l.Security, l.ExecID)
	if p, ok := c.st.Wire.Pending[k]; ok && p.FromWire {
		delete(c.st.Wire.Pending, k)
		return
	}
	if _, late := c.st.Wire.Late[k]; late {
		delete(c.st.Wire.Late, k)
		return
	}
	c.addPending(k, &WirePending{Deadline: t + int64(c.st.Params.WireLedger.Bound), FromWire: false,
		Account: l.Account, Security: l.Security, Ref: LedgerRef(l.ID), Seq: s.in.Seq,
		ExecID: l.ExecID, Side: l.Side, Qty: l.Qty, Price: l.Price})
}

func (c *Core) addPending(k string, p *WirePending) {
	if _, dup := c.st.Wire.Pending[k]; dup {
		return // the same fill reported twice on one side
	}
	c.st.Wire.Pending[k] = p
	c.st.Wire.Queue = append(c.st.Wire.Queue, k)
}

// expireWire fires for every pending fill whose deadline is before the
// clock. The alert carries the deadline as its time, so when the expiry is
// noticed (by which later input) does not change the alert.
func (c *Core) expireWire(s *step) {
	w := &c.st.Wire
	now := c.st.Clock
	n := 0
	for n < len(w.Queue) {
		k := w.Queue[n]
		p, ok := w.Pending[k]
		if ok && p.Deadline >= now {
			break
		}
		n++
		if !ok {
			continue // settled
		}
		delete(w.Pending, k)
		if p.FromWire {
			w.Late[k] = p.Deadline
		}
		s.fire(c, RuleWireLedger, SeverityHigh, []string{p.Account}, p.Security, p.Deadline, []string{p.Ref}, p.detail(c.st.Params.WireLedger.Bound))
		// Which input noticed the expiry depends on partitioning; the
		// alert must not, so it carries the registering input's Seq.
		s.out[len(s.out)-1].TriggerSeq = p.Seq
	}
	if n > 0 {
		w.Queue = append(w.Queue[:0:0], w.Queue[n:]...)
	}
	// Forget late keys after another bound: a chain fill later than that
	// is reported as one that never crossed the link.
	bound := int64(c.st.Params.WireLedger.Bound)
	for _, k := range sortedKeys(w.Late) {
		if w.Late[k]+bound < now {
			delete(w.Late, k)
		}
	}
}

// fundSell remembers large sells reported on chain, in the seller's
// associated-account group.
func (c *Core) fundSell(l *LedgerEvent, t int64) {
	p := c.st.Params.FundOutflow
	v := l.Price * l.Qty
	if l.Side != capture.SideSell || v < p.MinSellValueCNY*capture.PriceScale {
		return
	}
	g := c.group(c.groups.Key(l.Account), l.Account)
	g.Sells = append(g.Sells, LedgerMark{T: t, Value: v, Ref: LedgerRef(l.ID)})
}

// fundOutflowRule fires on a withdrawal of ≥ MinOutflowPct of the proceeds of
// the large sells of the account's group in the preceding Window.
func (c *Core) fundOutflowRule(s *step, l *LedgerEvent, t int64) {
	p := c.st.Params.FundOutflow
	a, ok := c.st.Groups[c.groups.Key(l.Account)]
	if !ok {
		return
	}
	cut := 0
	for cut < len(a.Sells) && a.Sells[cut].T <= t-int64(p.Window) {
		cut++
	}
	a.Sells = a.Sells[cut:]
	if len(a.Sells) == 0 {
		a.Sells = nil
		return
	}
	var proceeds int64
	ev := make([]string, 0, len(a.Sells)+1)
	for _, m := range a.Sells {
		proceeds += m.Value
		ev = append(ev, m.Ref)
	}
	ev = append(ev, LedgerRef(l.ID))
	// proceeds are CNY × 10 000, the withdrawal is in fen (CNY × 100).
	out := l.AmountFen * (capture.PriceScale / 100)
	if !p.Enabled || out*100 < p.MinOutflowPct*proceeds {
		return
	}
	s.fire(c, RuleFundOutflow, SeverityHigh, []string{l.Account}, "", t, ev,
		fmt.Sprintf("withdrawal %d fen after large sells of %d fen in %s (%d%%)", l.AmountFen, proceeds/100, p.Window.D(), out*100/proceeds))
}
