package ledger_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/adjustments"
	eod "github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/contracts/reconcile"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

func leg(account string, amount int64) *custodyv1.AdjustmentLeg {
	return &custodyv1.AdjustmentLeg{AccountId: account, Amount: amount}
}

func reconBreak(date uint32, bank, broker string) *custodyv1.BreakRef {
	return &custodyv1.BreakRef{Kind: custodyv1.BreakKind_BREAK_KIND_RECONCILIATION, Date: date, BankId: bank, BrokerId: broker}
}

func proposeMsg(id string, b *custodyv1.BreakRef, legs ...*custodyv1.AdjustmentLeg) *custodyv1.Msg {
	var net int64
	for _, l := range legs {
		net += l.Amount
	}
	return &custodyv1.Msg{Sum: &custodyv1.Msg_ProposeAdjustment{ProposeAdjustment: &custodyv1.MsgProposeAdjustment{
		AdjustmentId: id, Break: b, Legs: legs, NetBoundary: net, Reason: "bank deposit missing on chain"}}}
}

func approveAdjMsg(id string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_ApproveAdjustment{ApproveAdjustment: &custodyv1.MsgApproveAdjustment{AdjustmentId: id}}}
}

func rejectAdjMsg(id, reason string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_RejectAdjustment{RejectAdjustment: &custodyv1.MsgRejectAdjustment{AdjustmentId: id, Reason: reason}}}
}

// breakWorld is world after day1 is cleared, with bank-a's statement for
// broker-x 300 above the chain (a deposit to C1 the chain never saw) and
// bank-b's for broker-y matching:
//
//	C1 balance 10 000 (1 000 frozen for C1/p), F1 500 frozen by the regulator
//	break (day1, bank-a, broker-x): bank 10 800, chain 10 500
func breakWorld(t *testing.T) *env {
	e := world(t)
	e.active("C3", bankA, sBrokerX, sBankA)
	e.must(sClearing, eodMsg(0, day1, nil))
	e.must(sClearing, eodMsg(day1, day2, nil))
	chain := funds.GetCustodyTotal(e.mem, bankA, brokerX)
	e.must(sBankA, statementMsg(day1, brokerX, chain+300, 3, sha("bank-a books")))
	e.must(sBankB, statementMsg(day1, brokerY, 0, 1, eod.ClientsHash([]string{"C2"}, []int64{0})))
	e.checkInvariants()
	return e
}

func wantAdjustment(t *testing.T, e *env, id string, s custodyv1.AdjustmentStatus) *custodyv1.Adjustment {
	t.Helper()
	a, err := adjustments.Get(e.mem, id)
	if err != nil || a.Status != s {
		t.Fatalf("adjustment %s: %v %v, want %s", id, a, err, s)
	}
	return a
}

func wantResolved(t *testing.T, e *env, by string) {
	t.Helper()
	r, _ := reconcile.GetResult(e.mem, day1, bankA, brokerX)
	if r.ResolvedBy != by || r.Status != custodyv1.ReconStatus_RECON_STATUS_BREAK {
		t.Fatalf("break resolved by %q, want %q (%v)", r.ResolvedBy, by, r)
	}
}

func TestAdjustment_ResolvesBreak(t *testing.T) {
	b := reconBreak(day1, bankA, brokerX)
	for _, tc := range []struct {
		name               string
		proposer, approver contracts.Signer
	}{
		{"bank proposes, broker approves", sBankA, sBrokerX},
		{"broker proposes, bank approves", sBrokerX, sBankA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := breakWorld(t)
			supply := funds.GetSupply(e.mem)
			e.must(tc.proposer, proposeMsg("A1", b, leg("C1", 300)))
			a := wantAdjustment(t, e, "A1", custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_PENDING)
			if a.Gross != 300 || a.RegulatorRequired || a.Proposer != tc.proposer.Owner || a.Counterparty != tc.approver.Owner {
				t.Fatalf("adjustment %v", a)
			}
			wantFunds(t, e, "C1", 10_000, 1_000) // nothing moves before the approval
			wantResolved(t, e, "")
			e.must(tc.approver, approveAdjMsg("A1"))
			wantAdjustment(t, e, "A1", custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_APPLIED)
			wantFunds(t, e, "C1", 10_300, 1_000)
			wantResolved(t, e, "adj/A1")
			if s := funds.GetSupply(e.mem); s.Total != supply.Total+300 || s.Deposited != supply.Deposited+300 {
				t.Fatalf("supply %v, before %v", s, supply)
			}
			last := funds.LastEntry(e.mem, "C1")
			if last.Reason != custodyv1.LedgerReason_LEDGER_REASON_ADJUSTMENT || last.Amount != 300 || last.RefId != "adj/A1" {
				t.Fatalf("ledger entry %v", last)
			}
			// The break stays in the regulator's list, resolved.
			if br := reconcile.Breaks(e.mem, 0, 0); len(br) != 1 || br[0].ResolvedBy != "adj/A1" {
				t.Fatalf("breaks %v", br)
			}
			e.checkInvariants()
		})
	}
}

// TestAdjustment_MovesBetweenClients: legs may move money between clients
// of the pair (net 0: nothing crosses the boundary) and take money back.
func TestAdjustment_MovesBetweenClients(t *testing.T) {
	e := breakWorld(t)
	supply := funds.GetSupply(e.mem).Total
	total := funds.GetCustodyTotal(e.mem, bankA, brokerX)
	e.must(sBankA, proposeMsg("A1", reconBreak(day1, bankA, brokerX), leg("C1", -2_000), leg("C3", 2_000)))
	e.must(sBrokerX, approveAdjMsg("A1"))
	wantFunds(t, e, "C1", 8_000, 1_000)
	wantFunds(t, e, "C3", 2_000, 0)
	if funds.GetSupply(e.mem).Total != supply || funds.GetCustodyTotal(e.mem, bankA, brokerX) != total {
		t.Fatal("a net-zero adjustment moved the supply or the custody total")
	}
	e.checkInvariants()
}

// TestAdjustment_Regulator: above the threshold the regulator co-signs
// (in either order); the regulator may veto any pending adjustment, and a
// vetoed or rejected one frees the break.
func TestAdjustment_Regulator(t *testing.T) {
	b := reconBreak(day1, bankA, brokerX)
	big := adjustments.DefaultRegulatorThreshold + 1
	t.Run("co-signature needed above the threshold", func(t *testing.T) {
		e := breakWorld(t)
		e.must(sBankA, proposeMsg("A1", b, leg("C1", big)))
		if a := wantAdjustment(t, e, "A1", custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_PENDING); !a.RegulatorRequired {
			t.Fatalf("adjustment %v", a)
		}
		e.must(sBrokerX, approveAdjMsg("A1"))
		wantAdjustment(t, e, "A1", custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_PENDING)
		wantFunds(t, e, "C1", 10_000, 1_000)
		e.must(sRegulator, approveAdjMsg("A1"))
		wantAdjustment(t, e, "A1", custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_APPLIED)
		wantFunds(t, e, "C1", 10_000+big, 1_000)
		e.checkInvariants()
	})
	t.Run("regulator first", func(t *testing.T) {
		e := breakWorld(t)
		e.must(sBankA, proposeMsg("A1", b, leg("C1", big)))
		e.must(sRegulator, approveAdjMsg("A1"))
		if _, err := e.exec(sRegulator, approveAdjMsg("A1")); !errors.Is(err, adjustments.ErrAlreadyApproved) {
			t.Fatalf("twice: %v", err)
		}
		e.must(sBrokerX, approveAdjMsg("A1"))
		wantResolved(t, e, "adj/A1")
	})
	t.Run("at the threshold no co-signature", func(t *testing.T) {
		e := breakWorld(t)
		e.must(sBankA, proposeMsg("A1", b, leg("C1", big-1)))
		if _, err := e.exec(sRegulator, approveAdjMsg("A1")); !errors.Is(err, adjustments.ErrRegulatorOnlyCo) {
			t.Fatalf("regulator co-signs a small one: %v", err)
		}
		e.must(sBrokerX, approveAdjMsg("A1"))
		wantResolved(t, e, "adj/A1")
	})
	t.Run("veto", func(t *testing.T) {
		e := breakWorld(t)
		e.must(sBankA, proposeMsg("A1", b, leg("C1", 300)))
		e.must(sRegulator, rejectAdjMsg("A1", "evidence missing"))
		a := wantAdjustment(t, e, "A1", custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_VETOED)
		if a.ClosedBy != regulator || a.CloseReason != "evidence missing" {
			t.Fatalf("adjustment %v", a)
		}
		if _, err := e.exec(sBrokerX, approveAdjMsg("A1")); !errors.Is(err, adjustments.ErrNotPending) {
			t.Fatalf("approving a vetoed one: %v", err)
		}
		wantFunds(t, e, "C1", 10_000, 1_000)
		wantResolved(t, e, "")
		// The break is free again.
		e.must(sBrokerX, proposeMsg("A2", b, leg("C1", 300)))
		e.must(sBankA, approveAdjMsg("A2"))
		wantResolved(t, e, "adj/A2")
		e.checkInvariants()
	})
	t.Run("counterparty rejects, proposer withdraws", func(t *testing.T) {
		e := breakWorld(t)
		e.must(sBankA, proposeMsg("A1", b, leg("C1", 300)))
		e.must(sBrokerX, rejectAdjMsg("A1", "our books agree with the chain"))
		wantAdjustment(t, e, "A1", custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_REJECTED)
		e.must(sBankA, proposeMsg("A2", b, leg("C1", 300)))
		e.must(sBankA, rejectAdjMsg("A2", "wrong account"))
		wantAdjustment(t, e, "A2", custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_REJECTED)
		e.checkInvariants()
	})
}

func TestAdjustment_Refusals(t *testing.T) {
	b := reconBreak(day1, bankA, brokerX)
	pending := func(e *env) { e.must(sBankA, proposeMsg("A1", b, leg("C1", 300))) }
	withNet := func(m *custodyv1.Msg, net int64) *custodyv1.Msg {
		m.GetProposeAdjustment().NetBoundary = net
		return m
	}
	withReason := func(m *custodyv1.Msg, r string) *custodyv1.Msg {
		m.GetProposeAdjustment().Reason = r
		return m
	}
	cases := []struct {
		name   string
		setup  func(e *env)
		signer contracts.Signer
		msg    *custodyv1.Msg
		want   error
	}{
		{"id taken", pending, sBankA, proposeMsg("A1", b, leg("C1", 1)), adjustments.ErrExists},
		{"bad id", nil, sBankA, proposeMsg("A/1", b, leg("C1", 1)), adjustments.ErrBadID},
		{"no break kind", nil, sBankA, proposeMsg("A1", &custodyv1.BreakRef{Date: day1, BankId: bankA, BrokerId: brokerX}, leg("C1", 1)), adjustments.ErrBadBreak},
		{"no legs", nil, sBankA, proposeMsg("A1", b), adjustments.ErrBadLegs},
		{"zero leg", nil, sBankA, proposeMsg("A1", b, leg("C1", 0)), adjustments.ErrBadLegs},
		{"repeated account", nil, sBankA, proposeMsg("A1", b, leg("C1", 1), leg("C1", 2)), adjustments.ErrBadLegs},
		{"unbalanced", nil, sBankA, withNet(proposeMsg("A1", b, leg("C1", 300)), 0), adjustments.ErrUnbalanced},
		{"no reason", nil, sBankA, withReason(proposeMsg("A1", b, leg("C1", 300)), ""), adjustments.ErrBadReason},
		{"another bank", nil, sBankB, proposeMsg("A1", b, leg("C1", 300)), adjustments.ErrNotParty},
		{"another broker", nil, sBrokerY, proposeMsg("A1", b, leg("C1", 300)), adjustments.ErrNotParty},
		{"regulator may not propose", nil, sRegulator, proposeMsg("A1", b, leg("C1", 300)), contracts.ErrUnauthorizedRole},
		{"client may not propose", nil, client("C1"), proposeMsg("A1", b, leg("C1", 300)), contracts.ErrUnauthorizedRole},
		{"a matching result is no break", nil, sBankB, proposeMsg("A1", reconBreak(day1, bankB, brokerY), leg("C2", 1)), adjustments.ErrUnknownBreak},
		{"no result at all", nil, sBankA, proposeMsg("A1", reconBreak(day2, bankA, brokerX), leg("C1", 1)), adjustments.ErrUnknownBreak},
		{"break has a pending adjustment", pending, sBrokerX, proposeMsg("A2", b, leg("C1", 300)), adjustments.ErrBreakTaken},
		{"break resolved", func(e *env) { pending(e); e.must(sBrokerX, approveAdjMsg("A1")) }, sBrokerX, proposeMsg("A2", b, leg("C1", 300)), adjustments.ErrBreakResolved},
		{"leg outside the pair", nil, sBankA, proposeMsg("A1", b, leg("C2", 300)), adjustments.ErrLegOutsideBreak},
		{"leg on a pending account", nil, sBankA, proposeMsg("A1", b, leg("P1", 300)), accounts.ErrNotActive},
		{"leg on an unknown account", nil, sBankA, proposeMsg("A1", b, leg("N9", 300)), accounts.ErrUnknownAccount},

		{"approve own proposal", pending, sBankA, approveAdjMsg("A1"), adjustments.ErrOwnProposal},
		{"approve by a stranger", pending, sBrokerY, approveAdjMsg("A1"), adjustments.ErrNotParty},
		{"approve unknown", nil, sBrokerX, approveAdjMsg("A9"), adjustments.ErrUnknown},
		{"approve applied", func(e *env) { pending(e); e.must(sBrokerX, approveAdjMsg("A1")) }, sBrokerX, approveAdjMsg("A1"), adjustments.ErrNotPending},
		{"clearing house is no party of a reconciliation break", pending, sClearing, approveAdjMsg("A1"), adjustments.ErrNotParty},
		{"debit above available", func(e *env) { e.must(sBankA, proposeMsg("A1", b, leg("C1", -9_001))) }, sBrokerX, approveAdjMsg("A1"), funds.ErrInsufficient},
		{"reject without reason", pending, sBrokerX, rejectAdjMsg("A1", ""), adjustments.ErrBadReason},
		{"reject by a stranger", pending, sBankB, rejectAdjMsg("A1", "no"), adjustments.ErrNotParty},
		{"reject applied", func(e *env) { pending(e); e.must(sBrokerX, approveAdjMsg("A1")) }, sRegulator, rejectAdjMsg("A1", "late"), adjustments.ErrNotPending},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := breakWorld(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			if _, err := e.exec(tc.signer, tc.msg); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			e.checkInvariants()
		})
	}
}

func correctTotalsMsg(date uint32, tt ...*custodyv1.TradeTotals) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_CorrectTradeTotals{CorrectTradeTotals: &custodyv1.MsgCorrectTradeTotals{Date: date, TradeTotals: tt}}}
}

// TestQuery_Corrections asks every corrections path.
func TestQuery_Corrections(t *testing.T) {
	e := breakWorld(t)
	e.must(sBankA, proposeMsg("A1", reconBreak(day1, bankA, brokerX), leg("C1", 300)))
	e.must(sBankA, depositMsg("T8", "C3", 100))
	e.must(client("C3"), withdrawMsg("C3/w", "C3", 60))
	e.must(sBankA, reverseMsg("T8", "duplicate"))
	for _, tc := range []struct{ path, want string }{
		{"adjustment/A1", `"status":"ADJUSTMENT_STATUS_PENDING"`},
		{"adjustments", `"id":"A1"`},
		{"adjustments?from=B", `{"adjustments":[]}`},
		{"adjustment-params", `"regulator_threshold":"10000000"`},
		{"receivable/C3", `"owed":"60"`},
		{"receivable/C1", `"owed":"0"`},
		{"held-settlements", `{"held":[]}`},
		{"calendar", `"always_open":true`},
		{"calendar/20250104", `"trading_day":true`},
		{"transfers/C3", `"id":"T8#R"`},
	} {
		out, err := ledger.Query(e.mem, auditor, tc.path, nil)
		if err != nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("%s: %s %v, want %s", tc.path, out, err, tc.want)
		}
	}
	for _, p := range []string{"adjustment/A9", "held-settlement/20250102/broker-x"} {
		if _, err := ledger.Query(e.mem, auditor, p, nil); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, p := range []string{"held-settlement/x", "calendar/2025"} {
		if _, err := ledger.Query(e.mem, auditor, p, nil); !errors.Is(err, ledger.ErrBadQuery) {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// TestAdjustment_ResolvesItemBreaks: a statement with the bank's mirror
// balances breaks check 2 per account; the applied adjustment resolves
// each of those item breaks too (and the result), naming itself.
func TestAdjustment_ResolvesItemBreaks(t *testing.T) {
	e := world(t)
	e.active("C3", bankA, sBrokerX, sBankA)
	e.must(sClearing, eodMsg(0, day1, nil))
	e.must(sClearing, eodMsg(day1, day2, nil))
	// The bank's books: 50.00 of C1's balance belongs to C3.
	ids := []string{"C1", "C3", "F1"}
	bals := []int64{funds.Get(e.mem, "C1").Balance - 5_000, 5_000, funds.Get(e.mem, "F1").Balance}
	var lines []*custodyv1.AccountAmount
	var total int64
	for i, id := range ids {
		lines = append(lines, &custodyv1.AccountAmount{AccountId: id, Amount: bals[i]})
		total += bals[i]
	}
	st := statementMsg(day1, brokerX, total, 3, eod.ClientsHash(ids, bals))
	st.GetSubmitStatement().Balances = lines
	e.must(sBankA, st)
	open := func() int {
		return len(openItemBreaks(e, day1, bankA, brokerX, custodyv1.ReconCheckKind_RECON_CHECK_CLIENTS))
	}
	if n := open(); n != 2 {
		t.Fatalf("%d open item breaks of check 2, want C1 and C3", n)
	}
	e.must(sBrokerX, proposeMsg("A1", reconBreak(day1, bankA, brokerX), leg("C1", -5_000), leg("C3", 5_000)))
	e.must(sBankA, approveAdjMsg("A1"))
	if n := open(); n != 0 {
		t.Fatalf("%d item breaks still open after the adjustment", n)
	}
	wantResolved(t, e, "adj/A1")
	e.checkInvariants()
}

func openItemBreaks(e *env, date uint32, bank, broker string, check custodyv1.ReconCheckKind) []*custodyv1.ReconBreak {
	prefix := reconcile.ItemBreaksPrefix(date, bank, broker, check)
	it := e.mem.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []*custodyv1.ReconBreak
	for ; it.Valid(); it.Next() {
		var rb custodyv1.ReconBreak
		contracts.Unmarshal(it.Key(), it.Value(), &rb)
		if !rb.Resolved {
			out = append(out, &rb)
		}
	}
	return out
}
