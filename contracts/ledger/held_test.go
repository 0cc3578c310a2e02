package ledger_test

import (
	"errors"
	"testing"

	"github.com/custody-ledger/custody/contracts/adjustments"
	eod "github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// heldWorld is clearingWorld after C1 also sold 100 of its settled
// 600000.SH at 10.50, cleared with a trade file whose sell value is 1 000
// fen short: broker-x's day 1 breaks and its settlement is held.
func heldWorld(t *testing.T) (e *env, proceeds int64) {
	e = clearingWorld(t)
	e.must(sBrokerX, fillMsg("X2", "C1/s1", cny(10, 50), 100))
	proceeds = funds.Get(e.mem, "C1").Unsettled
	if proceeds <= 0 {
		t.Fatalf("no proceeds: %v", funds.Get(e.mem, "C1"))
	}
	e.must(sClearing, eodMsg(day1, day2, func(m *custodyv1.MsgEndOfDay) {
		m.TradeTotals = []*custodyv1.TradeTotals{totals(brokerX, 2, 300_000, 104_000)}
	}))
	e.checkInvariants()
	return e, proceeds
}

func settlementBreak(date uint32, broker string) *custodyv1.BreakRef {
	return &custodyv1.BreakRef{Kind: custodyv1.BreakKind_BREAK_KIND_SETTLEMENT, Date: date, BrokerId: broker}
}

func wantHeld(t *testing.T, e *env, held bool, proceeds int64) {
	t.Helper()
	// 1 000 + 300 bought − 100 sold; the 300 bought on day 1 are the T+1 part.
	unsettled := int64(0)
	if held {
		unsettled = 300
	}
	wantHolding(t, e, "C1", secMain, 1200, 0, unsettled)
	f := funds.Get(e.mem, "C1")
	if held != (f.Unsettled == proceeds) || (!held && f.Unsettled != 0) || f.Withdrawable != max(f.Available-f.Unsettled, 0) {
		t.Fatalf("funds %v, held %v, proceeds %d", f, held, proceeds)
	}
	if _, ok := trading.GetHeld(e.mem, day1, brokerX); ok != held {
		t.Fatalf("held record present %v, want %v", ok, held)
	}
}

func TestSettlementHeld_UntilCorrectedFile(t *testing.T) {
	e, proceeds := heldWorld(t)
	wantHeld(t, e, true, proceeds)
	h, _ := trading.GetHeld(e.mem, day1, brokerX)
	if len(h.Proceeds) != 1 || h.Proceeds[0].Amount != proceeds || len(h.Holdings) != 1 || h.Holdings[0].Quantity != 300 {
		t.Fatalf("held %v", h)
	}
	// Held proceeds are usable for orders but not withdrawable.
	f := funds.Get(e.mem, "C1")
	if _, err := e.exec(client("C1"), withdrawMsg("C1/w", "C1", f.Withdrawable+1)); !errors.Is(err, funds.ErrOverdraft) {
		t.Fatalf("withdrawing held proceeds: %v", err)
	}
	// The next day clears normally; the held day stays held.
	e.must(sClearing, eodMsg(day2, 20250106, nil))
	wantHeld(t, e, true, proceeds)

	if _, err := e.exec(sClearing, correctTotalsMsg(day1, totals(brokerX, 2, 300_000, 104_500))); !errors.Is(err, eod.ErrStillDiffers) {
		t.Fatalf("still wrong: %v", err)
	}
	if _, err := e.exec(sClearing, correctTotalsMsg(day1, totals(brokerY, 0, 0, 0))); !errors.Is(err, eod.ErrNoSettlementBreak) {
		t.Fatalf("no break: %v", err)
	}
	if _, err := e.exec(sBrokerX, correctTotalsMsg(day1, totals(brokerX, 2, 300_000, 105_000))); err == nil {
		t.Fatal("a broker sent the clearing house's file")
	}
	e.must(sClearing, correctTotalsMsg(day1, totals(brokerX, 2, 300_000, 105_000)))
	wantHeld(t, e, false, proceeds)
	if b, _ := eod.GetBreak(e.mem, day1, brokerX); b.ResolvedBy == "" || b.ResolvedBy[:5] != "file/" {
		t.Fatalf("break %v", b)
	}
	if last := funds.LastEntry(e.mem, "C1"); last.Reason != custodyv1.LedgerReason_LEDGER_REASON_SALE_SETTLED || last.UnsettledChange != -proceeds {
		t.Fatalf("ledger entry %v", last)
	}
	if _, err := e.exec(sClearing, correctTotalsMsg(day1, totals(brokerX, 2, 300_000, 105_000))); !errors.Is(err, eod.ErrBreakResolved) {
		t.Fatalf("twice: %v", err)
	}
	e.must(client("C1"), withdrawMsg("C1/w", "C1", funds.Get(e.mem, "C1").Withdrawable))
	e.checkInvariants()
}

func TestSettlementHeld_UntilAdjustment(t *testing.T) {
	b := settlementBreak(day1, brokerX)
	t.Run("no legs: the chain's fills stand", func(t *testing.T) {
		e, proceeds := heldWorld(t)
		e.must(sBrokerX, proposeMsg("S1", b))
		if _, err := e.exec(sBrokerX, approveAdjMsg("S1")); !errors.Is(err, adjustments.ErrOwnProposal) {
			t.Fatalf("own: %v", err)
		}
		if _, err := e.exec(sBankA, approveAdjMsg("S1")); !errors.Is(err, adjustments.ErrNotParty) {
			t.Fatalf("a bank: %v", err)
		}
		wantHeld(t, e, true, proceeds)
		e.must(sClearing, approveAdjMsg("S1"))
		wantHeld(t, e, false, proceeds)
		if br, _ := eod.GetBreak(e.mem, day1, brokerX); br.ResolvedBy != "adj/S1" {
			t.Fatalf("break %v", br)
		}
		e.checkInvariants()
	})
	t.Run("a leg against the clearing house", func(t *testing.T) {
		e, proceeds := heldWorld(t)
		supply := funds.GetSupply(e.mem)
		before := funds.Get(e.mem, "C1").Balance
		e.must(sClearing, proposeMsg("S1", b, leg("C1", -1_000)))
		e.must(sBrokerX, approveAdjMsg("S1"))
		wantHeld(t, e, false, proceeds)
		if got := funds.Get(e.mem, "C1").Balance; got != before-1_000 {
			t.Fatalf("balance %d, before %d", got, before)
		}
		if s := funds.GetSupply(e.mem); s.ToClearing != supply.ToClearing+1_000 || s.Total != supply.Total-1_000 || s.Withdrawn != supply.Withdrawn {
			t.Fatalf("supply %v, before %v", s, supply)
		}
		e.checkInvariants()
	})
	t.Run("refusals", func(t *testing.T) {
		e, _ := heldWorld(t)
		if _, err := e.exec(sBankA, proposeMsg("S1", b)); !errors.Is(err, adjustments.ErrNotParty) {
			t.Fatalf("a bank proposes: %v", err)
		}
		if _, err := e.exec(sBrokerY, proposeMsg("S1", b)); !errors.Is(err, adjustments.ErrNotParty) {
			t.Fatalf("another broker proposes: %v", err)
		}
		if _, err := e.exec(sBrokerY, proposeMsg("S1", settlementBreak(day1, brokerY))); !errors.Is(err, adjustments.ErrUnknownBreak) {
			t.Fatalf("no break: %v", err)
		}
		withBank := settlementBreak(day1, brokerX)
		withBank.BankId = bankA
		if _, err := e.exec(sBrokerX, proposeMsg("S1", withBank)); !errors.Is(err, adjustments.ErrBadBreak) {
			t.Fatalf("a bank on a settlement break: %v", err)
		}
		if _, err := e.exec(sBankA, proposeMsg("R1", reconBreak(day1, bankA, brokerX))); !errors.Is(err, adjustments.ErrBadLegs) {
			t.Fatalf("a reconciliation adjustment without legs: %v", err)
		}
		// A corrected file resolves the break under a pending adjustment:
		// the adjustment can then only be rejected.
		e.must(sBrokerX, proposeMsg("S1", b))
		e.must(sClearing, correctTotalsMsg(day1, totals(brokerX, 2, 300_000, 105_000)))
		if _, err := e.exec(sClearing, approveAdjMsg("S1")); !errors.Is(err, adjustments.ErrBreakResolved) {
			t.Fatalf("approving after the file: %v", err)
		}
		e.must(sBrokerX, rejectAdjMsg("S1", "resolved by the corrected file"))
		e.checkInvariants()
	})
}
