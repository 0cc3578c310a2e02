package ledger_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/interest"
	"github.com/custody-ledger/custody/contracts/transfers"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

func reverseMsg(transferID, reason string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_ReverseTransfer{ReverseTransfer: &custodyv1.MsgReverseTransfer{TransferId: transferID, Reason: reason}}}
}

func wantOwed(t *testing.T, e *env, id string, owed int64) {
	t.Helper()
	f, r := funds.Get(e.mem, id), funds.GetReceivable(e.mem, id)
	switch {
	case f.Owed != owed:
		t.Fatalf("account %s owes %d, want %d", id, f.Owed, owed)
	case owed == 0 && r != nil:
		t.Fatalf("account %s owes nothing but has a receivable %v", id, r)
	case owed != 0 && (r == nil || r.Owed != owed):
		t.Fatalf("account %s: receivable %v, want %d owed", id, r, owed)
	}
}

func wantSupply(t *testing.T, e *env, total int64) {
	t.Helper()
	if s := funds.GetSupply(e.mem); s.Total != total {
		t.Fatalf("supply %v, want total %d", s, total)
	}
}

// In world: C1 (bank-a) has 10 000 from deposit T1 and a pending
// withdrawal C1/p of 1 000 (so 9 000 available); F1 (bank-a, frozen) has
// 500 from T2.
func TestReverseTransfer(t *testing.T) {
	runCases(t, []msgCase{
		{name: "deposit, all still available", signer: sBankA, msg: reverseMsg("T2", "booked twice"), check: func(t *testing.T, e *env) {
			wantFunds(t, e, "F1", 0, 0) // a regulator's freeze does not stop the bank's own correction
			wantOwed(t, e, "F1", 0)
			wantSupply(t, e, 10_000)
			rev, err := transfers.Get(e.mem, bankA, "T2#R")
			if err != nil || rev.Reverses != "T2" || rev.TakenBack != 500 || rev.Owed != 0 || rev.Reason != "booked twice" ||
				rev.Direction != custodyv1.TransferDirection_TRANSFER_DIRECTION_BROKER_TO_BANK {
				t.Fatalf("reversal %v %v", rev, err)
			}
			if orig, _ := transfers.Get(e.mem, bankA, "T2"); orig.ReversedBy != "T2#R" || orig.Status != custodyv1.TransferStatus_TRANSFER_STATUS_COMPLETED {
				t.Fatalf("original %v", orig)
			}
			last := funds.LastEntry(e.mem, "F1")
			if last.Reason != custodyv1.LedgerReason_LEDGER_REASON_DEPOSIT_REVERSED || last.Amount != -500 || last.RefId != "bank-a/T2#R" {
				t.Fatalf("ledger entry %v", last)
			}
			if got := funds.GetCustodyTotal(e.mem, bankA, brokerX); got != 10_000 {
				t.Fatalf("custody total %d", got)
			}
		}},
		{name: "deposit partly spent: the rest is owed", signer: sBankA, msg: reverseMsg("T1", "timed out at the bank"), check: func(t *testing.T, e *env) {
			// 9 000 was available; the 1 000 frozen for C1/p stays frozen.
			wantFunds(t, e, "C1", 1_000, 1_000)
			wantOwed(t, e, "C1", 1_000)
			wantSupply(t, e, 1_500)
			if rev, _ := transfers.Get(e.mem, bankA, "T1#R"); rev.TakenBack != 9_000 || rev.Owed != 1_000 {
				t.Fatalf("reversal %v", rev)
			}
		}},
		{name: "completed withdrawal", signer: sBankA, msg: reverseMsg("C1/p", "card closed after payment"),
			setup: func(e *env) { e.must(sBankA, confirmWithdrawalMsg("C1/p", true, "")) },
			check: func(t *testing.T, e *env) {
				wantFunds(t, e, "C1", 10_000, 0)
				wantSupply(t, e, 10_500)
				rev, _ := transfers.Get(e.mem, bankA, "C1/p#R")
				if rev.Direction != custodyv1.TransferDirection_TRANSFER_DIRECTION_BANK_TO_BROKER || rev.Amount != 1_000 {
					t.Fatalf("reversal %v", rev)
				}
				if s := funds.GetSupply(e.mem); s.Deposited != 11_500 || s.Withdrawn != 1_000 {
					t.Fatalf("supply %v: a withdrawal reversal counts as money paid in", s)
				}
			}},
		{name: "pending withdrawal", signer: sBankA, msg: reverseMsg("C1/p", "x"), want: transfers.ErrNotReversible},
		{name: "refused withdrawal", signer: sBankA, msg: reverseMsg("C1/p", "x"), want: transfers.ErrNotReversible,
			setup: func(e *env) { e.must(sBankA, confirmWithdrawalMsg("C1/p", false, "no")) }},
		{name: "unknown transfer", signer: sBankA, msg: reverseMsg("T9", "x"), want: transfers.ErrUnknownTransfer},
		{name: "another bank's transfer", signer: sBankB, msg: reverseMsg("T1", "x"), want: transfers.ErrUnknownTransfer},
		{name: "no reason", signer: sBankA, msg: reverseMsg("T1", ""), want: transfers.ErrBadReason},
		{name: "reason too long", signer: sBankA, msg: reverseMsg("T1", string(bytes.Repeat([]byte{'x'}, 257))), want: transfers.ErrBadReason},
		{name: "a reversal's id", signer: sBankA, msg: reverseMsg("T1#R", "x"), want: transfers.ErrBadTransferID},
		{name: "bad withdrawal id", signer: sBankA, msg: reverseMsg("C1/", "x"), want: transfers.ErrBadTransferID},
		{name: "broker may not reverse", signer: sBrokerX, msg: reverseMsg("T1", "x"), want: contracts.ErrUnauthorizedRole},
		{name: "client may not reverse", signer: client("C1"), msg: reverseMsg("T1", "x"), want: contracts.ErrUnauthorizedRole},
		{name: "after the business day", signer: sBankA, msg: reverseMsg("T1", "x"), want: transfers.ErrReversalWindowOver,
			setup: func(e *env) { e.must(sClearing, eodMsg(0, day1, nil)) }},
		{name: "closed account", signer: sBankA, msg: reverseMsg("TE", "x"), want: accounts.ErrNotActive,
			setup: func(e *env) {
				e.active("E1", bankA, sBrokerX, sBankA)
				e.must(sBankA, depositMsg("TE", "E1", 100))
				e.must(client("E1"), withdrawMsg("E1/w", "E1", 100))
				e.must(sBankA, confirmWithdrawalMsg("E1/w", true, ""))
				e.must(sBrokerX, closeMsg("E1"))
			}},
	})
}

// TestReverseTransfer_ReceivablePaidFirst follows a deposit reversal that
// leaves money owed: no withdrawal until it is paid, the next deposit pays
// it first, and the account cannot close while it owes.
func TestReverseTransfer_ReceivablePaidFirst(t *testing.T) {
	e := world(t)
	e.must(sBankA, reverseMsg("T1", "booked in error"))
	wantOwed(t, e, "C1", 1_000)
	if _, err := e.exec(client("C1"), withdrawMsg("C1/w2", "C1", 1)); !errors.Is(err, transfers.ErrReceivableOpen) {
		t.Fatalf("withdrawal while owing: %v", err)
	}
	// The bank refuses the pending withdrawal: its 1 000 is free again, but
	// only incoming money or end of day collects.
	e.must(sBankA, confirmWithdrawalMsg("C1/p", false, "reversed"))
	wantFunds(t, e, "C1", 1_000, 0)
	if _, err := e.exec(sBrokerX, closeMsg("C1")); !errors.Is(err, accounts.ErrNotEmpty) {
		t.Fatalf("close while owing: %v", err)
	}
	e.must(sBankA, depositMsg("T5", "C1", 300))
	// 1 300 available pays the whole 1 000 owed.
	wantFunds(t, e, "C1", 300, 0)
	wantOwed(t, e, "C1", 0)
	last := funds.LastEntry(e.mem, "C1")
	if last.Reason != custodyv1.LedgerReason_LEDGER_REASON_RECEIVABLE_PAID || last.Amount != -1_000 || last.RefId != "bank-a/T5" {
		t.Fatalf("ledger entry %v", last)
	}
	wantSupply(t, e, 300+500)
	e.must(client("C1"), withdrawMsg("C1/w2", "C1", 300))
	e.checkInvariants()

	// The journal shows the pair: T1 and its reversal, then T5.
	list, _ := transfers.ByAccount(e.mem, "C1", 0, 0)
	var ids []string
	for _, tr := range list {
		ids = append(ids, tr.Id)
	}
	if got := join(ids); got != "T1,C1/p,T1#R,T5,C1/w2" {
		t.Fatalf("journal %s", got)
	}
}

// TestReverseTransfer_EndOfDaySweeps: what the next deposit does not pay,
// end-of-day clearing collects from whatever became available.
func TestReverseTransfer_EndOfDaySweeps(t *testing.T) {
	e := world(t)
	e.must(sClearing, eodMsg(0, day1, nil)) // day1 opens
	e.must(sBankB, depositMsg("T7", "C2", 4_000))
	e.must(client("C2"), withdrawMsg("C2/w", "C2", 3_000))
	e.must(sBankB, reverseMsg("T7", "duplicate"))
	wantFunds(t, e, "C2", 3_000, 3_000)
	wantOwed(t, e, "C2", 3_000)
	e.must(sBankB, confirmWithdrawalMsg("C2/w", false, "reversed deposit"))
	wantOwed(t, e, "C2", 3_000) // a release is not incoming money
	e.must(sClearing, eodMsg(day1, day2, nil))
	wantFunds(t, e, "C2", 0, 0)
	wantOwed(t, e, "C2", 0)
	if last := funds.LastEntry(e.mem, "C2"); last.Reason != custodyv1.LedgerReason_LEDGER_REASON_RECEIVABLE_PAID || last.RefId != "settle/20250102" {
		t.Fatalf("ledger entry %v", last)
	}
	e.checkInvariants()
}

func join(xs []string) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

// TestResend: a bank (or client) that lost a response sends the same
// message again and gets the first outcome, byte for byte, with nothing
// changed; the same id with other details is refused.
func TestResend(t *testing.T) {
	e := world(t)
	first := e.must(sBankA, depositMsg("T9", "C1", 700))
	check := func(name string, s contracts.Signer, msg *custodyv1.Msg, want []byte) {
		t.Helper()
		before := e.hash()
		got, err := e.exec(s, msg)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: resend answered %x, %v; first answer %x", name, got, err, want)
		}
		if !bytes.Equal(before, e.hash()) {
			t.Fatalf("%s: resend changed the state", name)
		}
		if len(e.events) != 1 || e.events[0].Type != "transfer_resent" {
			t.Fatalf("%s: events %v", name, e.events)
		}
	}
	check("deposit", sBankA, depositMsg("T9", "C1", 700), first)
	if _, err := e.exec(sBankA, depositMsg("T9", "C2", 700)); !errors.Is(err, transfers.ErrDuplicateTransfer) {
		t.Fatalf("same id, other account: %v", err)
	}

	req := e.must(client("C1"), withdrawMsg("C1/w", "C1", 200))
	paid := e.must(sBankA, confirmWithdrawalMsg("C1/w", true, ""))
	check("withdrawal request after payment", client("C1"), withdrawMsg("C1/w", "C1", 200), req)
	check("confirmation", sBankA, confirmWithdrawalMsg("C1/w", true, ""), paid)

	rev := e.must(sBankA, reverseMsg("T9", "booked twice"))
	check("reversal", sBankA, reverseMsg("T9", "booked twice"), rev)
	// The deposit's first outcome does not change when it is reversed.
	check("deposit after its reversal", sBankA, depositMsg("T9", "C1", 700), first)
	e.checkInvariants()
}

// TestReverseTransfer_InTheDayJournal: the chain's transfer journal of the
// day (reconciliation check 3) lists a reversal beside its original.
func TestReverseTransfer_InTheDayJournal(t *testing.T) {
	e := world(t)
	e.must(sClearing, eodMsg(0, day1, nil))
	e.must(sBankA, depositMsg("T9", "C1", 700))
	e.must(sBankA, reverseMsg("T9", "keyed twice"))
	e.must(sClearing, eodMsg(day1, day2, nil))
	for _, item := range []string{"T9", "T9/reversal"} {
		if !e.mem.Has(interest.JournalKey(day1, bankA, brokerX, item)) {
			t.Errorf("the day's journal lacks %s", item)
		}
	}
}
