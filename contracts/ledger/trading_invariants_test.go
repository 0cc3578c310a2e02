package ledger_test

import (
	"testing"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/contracts/reconcile"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// TestTradingInvariants_DetectCorruption breaks trading state behind the
// contracts' back, one way per invariant, and checks that the invariant
// notices (and that the world was clean before).
func TestTradingInvariants_DetectCorruption(t *testing.T) {
	setHolding := func(e *env, acct, sec string, edit func(*custodyv1.Holding)) {
		h := trading.GetHolding(e.mem, acct, sec)
		edit(h)
		e.mem.Set(trading.HoldingKey(acct, sec), contracts.Marshal(h))
	}
	setFunds := func(e *env, id string, edit func(*custodyv1.Funds)) {
		f := funds.Get(e.mem, id)
		edit(f)
		e.mem.Set(funds.FundsKey(id), contracts.Marshal(f))
	}
	setSystem := func(e *env, k funds.SystemKey, edit func(*custodyv1.SystemAccount)) {
		a := funds.GetSystem(e.mem, k)
		edit(a)
		e.mem.Set(funds.SystemAccountKey(k), contracts.Marshal(a))
	}
	cases := []struct {
		invariant string
		corrupt   func(e *env)
	}{
		{"funds/system-accounts", func(e *env) {
			setSystem(e, funds.Commission(brokerX), func(a *custodyv1.SystemAccount) { a.Balance++ })
		}},
		{"funds/system-accounts", func(e *env) {
			setSystem(e, funds.StampDuty(), func(a *custodyv1.SystemAccount) { a.Balance, a.Debited = -1, 1 })
		}},
		{"funds/money-conserved", func(e *env) {
			setSystem(e, funds.RegulatorLevy(), func(a *custodyv1.SystemAccount) { a.Balance, a.Credited = 7, 7 })
		}},
		{"trading/open-orders", func(e *env) { e.mem.Delete(trading.OrderKey("C1/o1")) }},
		{"trading/open-orders", func(e *env) {
			o := e.order("C1/o1")
			o.FilledQuantity++
			e.mem.Set(trading.OrderKey(o.Id), contracts.Marshal(o))
		}},
		{"trading/holdings", func(e *env) {
			// T+1 broken: today's purchase made sellable.
			setHolding(e, "C1", secMain, func(h *custodyv1.Holding) { h.Unsettled -= 100; h.Sellable += 100 })
		}},
		{"trading/holdings", func(e *env) {
			setHolding(e, "C1", secMain, func(h *custodyv1.Holding) { h.Frozen += 100; h.Sellable -= 100 })
		}},
		{"trading/securities-conserved", func(e *env) {
			p := trading.GetPosition(e.mem, secMain)
			p.Quantity--
			e.mem.Set(trading.PositionKey(secMain), contracts.Marshal(p))
		}},
		{"trading/frozen-funds", func(e *env) {
			setFunds(e, "C1", func(f *custodyv1.Funds) { f.Frozen++; f.Available--; f.Withdrawable-- })
			l := funds.LastEntry(e.mem, "C1")
			l.Frozen++
			e.mem.Set(funds.EntryKey("C1", l.Seq), contracts.Marshal(l))
		}},
		{"trading/day-cash", func(e *env) {
			setSystem(e, funds.BrokerSettlement(brokerX), func(a *custodyv1.SystemAccount) { a.Balance++; a.Credited++ })
		}},
		{"trading/day-cash", func(e *env) {
			setFunds(e, "C1", func(f *custodyv1.Funds) { f.Unsettled = 1; f.Withdrawable-- })
			l := funds.LastEntry(e.mem, "C1")
			l.Unsettled = 1
			e.mem.Set(funds.EntryKey("C1", l.Seq), contracts.Marshal(l))
		}},
		{"reconcile/breaks-indexed", func(e *env) { e.mem.Delete(reconcile.BreakKey(day1, bankA, brokerX)) }},
		{"reconcile/breaks-indexed", func(e *env) { e.mem.Set(reconcile.BreakKey(day1, bankB, brokerX), []byte{1}) }},
	}
	for _, tc := range cases {
		t.Run(tc.invariant, func(t *testing.T) {
			e := clearingWorld(t)
			if tc.invariant == "reconcile/breaks-indexed" {
				e.must(sClearing, eodMsg(day1, day2, nil))
				e.must(sBankA, statementMsg(day1, brokerX, 1, 1, sha("x")))
			}
			e.checkInvariants()
			tc.corrupt(e)
			for _, r := range contracts.CheckInvariants(e.mem, ledger.Invariants()) {
				if r.Name == tc.invariant && !r.Broken {
					t.Fatalf("%s did not notice: %s", r.Name, r.Msg)
				}
			}
		})
	}
}
