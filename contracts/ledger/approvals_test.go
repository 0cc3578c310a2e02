package ledger_test

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/approvals"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/contracts/transfers"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Dual control: an operator's money movement above its limit is held until
// a second operator of the same bank approves it.

func approveMsg(id uint64) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_ApprovePending{ApprovePending: &custodyv1.MsgApprovePending{Id: id}}}
}

func rejectMsg(id uint64, reason string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_RejectPending{RejectPending: &custodyv1.MsgRejectPending{Id: id, Reason: reason}}}
}

// makerChecker is world with bank-a operators:
//
//	maker    bank_to_broker, confirm_withdrawal, approve_pending, reject_pending; limit 1 000
//	checker  the same; limit 100 000
//	small    the same; limit 500 (too small to approve 5 000)
//	depositor bank_to_broker, approve_pending only; limit 100 000
//	and bank-b's operator "b-checker", limit 100 000.
func makerChecker(t *testing.T) *env {
	e := world(t)
	all := []string{"approve_pending", "bank_to_broker", "confirm_withdrawal", "reject_pending"}
	e.must(sBankA, addOperatorMsg("maker", 1_000, all...))
	e.must(sBankA, addOperatorMsg("checker", 100_000, all...))
	e.must(sBankA, addOperatorMsg("small", 500, all...))
	e.must(sBankA, addOperatorMsg("depositor", 100_000, "approve_pending", "bank_to_broker"))
	e.must(sBankB, addOperatorMsg("b-checker", 100_000, all...))
	return e
}

func held(t *testing.T, data []byte) *custodyv1.PendingApproval {
	t.Helper()
	var p custodyv1.PendingApproval
	if err := proto.Unmarshal(data, &p); err != nil || p.Status != custodyv1.ApprovalStatus_APPROVAL_STATUS_PENDING {
		t.Fatalf("result is not a pending approval: %v %v", &p, err)
	}
	return &p
}

func TestApprovals_DepositAboveLimit(t *testing.T) {
	e := makerChecker(t)
	maker, checker := e.signerOf("maker"), e.signerOf("checker")

	// Within the limit it executes at once.
	e.must(maker, depositMsg("T10", "C1", 1_000))
	wantFunds(t, e, "C1", 11_000, 1_000)

	// Above it: held, no money moves, no transfer exists.
	before := e.hash()
	p := held(t, e.must(maker, depositMsg("T11", "C1", 5_000)))
	if p.Id != 1 || p.Amount != 5_000 || p.MsgType != "bank_to_broker" || p.Maker != maker.Address || p.ParticipantId != bankA {
		t.Fatalf("pending %v", p)
	}
	if bytes.Equal(before, e.hash()) {
		t.Fatal("holding wrote nothing")
	}
	wantFunds(t, e, "C1", 11_000, 1_000)
	if _, err := transfers.Get(e.mem, bankA, "T11"); err == nil {
		t.Fatal("held deposit created its transfer")
	}
	// The same message again is not held twice.
	_, err := e.exec(maker, depositMsg("T11", "C1", 5_000))
	wantCode(t, err, approvals.ErrDuplicatePending)

	// The maker cannot approve its own; nor can another bank, nor an
	// operator whose limit is too small.
	_, err = e.exec(maker, approveMsg(1))
	wantCode(t, err, approvals.ErrMakerMayNot)
	_, err = e.exec(e.signerOf("b-checker"), approveMsg(1))
	wantCode(t, err, approvals.ErrUnknownApproval)
	_, err = e.exec(e.signerOf("small"), approveMsg(1))
	wantCode(t, err, approvals.ErrCheckerNotGrant)

	// A second operator approves: the deposit executes, once.
	data := e.must(checker, approveMsg(1))
	var done custodyv1.PendingApproval
	if err := proto.Unmarshal(data, &done); err != nil || done.Status != custodyv1.ApprovalStatus_APPROVAL_STATUS_EXECUTED || done.Checker != checker.Address || len(done.Result) == 0 {
		t.Fatalf("executed approval %v %v", &done, err)
	}
	wantFunds(t, e, "C1", 16_000, 1_000)
	tr, err := transfers.Get(e.mem, bankA, "T11")
	if err != nil || tr.Amount != 5_000 {
		t.Fatalf("transfer %v %v", tr, err)
	}
	var types []string
	for _, ev := range e.events {
		types = append(types, ev.Type)
	}
	if !contains(types, "bank_to_broker") || !contains(types, "approval_executed") {
		t.Fatalf("events %v", types)
	}
	// Approving again is refused and changes nothing (exec checks the tree).
	_, err = e.exec(checker, approveMsg(1))
	wantCode(t, err, approvals.ErrAlreadyDecided)
	_, err = e.exec(e.signerOf("depositor"), approveMsg(1))
	wantCode(t, err, approvals.ErrAlreadyDecided)
	wantFunds(t, e, "C1", 16_000, 1_000)
	// Now the same transfer is a resend, answered with the first outcome
	// and not held again; the same id with another amount is a duplicate.
	if _, err = e.exec(maker, depositMsg("T11", "C1", 5_000)); err != nil {
		t.Fatalf("resend: %v", err)
	}
	wantFunds(t, e, "C1", 16_000, 1_000)
	_, err = e.exec(maker, depositMsg("T11", "C1", 4_999))
	wantCode(t, err, transfers.ErrDuplicateTransfer)
	e.checkInvariants()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestApprovals_WithdrawalConfirmation(t *testing.T) {
	e := makerChecker(t)
	maker := e.signerOf("maker")
	e.must(client("C1"), withdrawMsg("C1/big", "C1", 3_000))
	wantFunds(t, e, "C1", 10_000, 4_000)
	p := held(t, e.must(maker, confirmWithdrawalMsg("C1/big", true, "")))
	if p.Amount != 3_000 {
		t.Fatalf("held amount %d", p.Amount)
	}
	wantFunds(t, e, "C1", 10_000, 4_000) // still frozen, not paid
	// A refusal moves no money out: within any limit.
	e.must(maker, confirmWithdrawalMsg("C1/p", false, "card closed"))
	wantFunds(t, e, "C1", 10_000, 3_000)
	// An operator not granted confirm_withdrawal cannot approve it.
	_, err := e.exec(e.signerOf("depositor"), approveMsg(p.Id))
	wantCode(t, err, approvals.ErrCheckerNotGrant)
	// The bank's unrestricted key may be the checker.
	e.must(sBankA, approveMsg(p.Id))
	wantFunds(t, e, "C1", 7_000, 0)
	tr, _ := transfers.Get(e.mem, bankA, "C1/big")
	if tr.Status != custodyv1.TransferStatus_TRANSFER_STATUS_COMPLETED {
		t.Fatalf("transfer %v", tr)
	}
	// A settled withdrawal answered again is a resend (the first outcome,
	// not held); the other answer and an unknown one are refused, not held.
	if _, err = e.exec(maker, confirmWithdrawalMsg("C1/big", true, "")); err != nil {
		t.Fatalf("resend: %v", err)
	}
	wantFunds(t, e, "C1", 7_000, 0)
	_, err = e.exec(maker, confirmWithdrawalMsg("C1/big", false, "late"))
	wantCode(t, err, transfers.ErrNotPending)
	_, err = e.exec(maker, confirmWithdrawalMsg("C1/none", true, ""))
	wantCode(t, err, transfers.ErrUnknownTransfer)
	e.checkInvariants()
}

func TestApprovals_Reject(t *testing.T) {
	e := makerChecker(t)
	maker, checker := e.signerOf("maker"), e.signerOf("checker")
	p1 := held(t, e.must(maker, depositMsg("T20", "C1", 5_000)))
	p2 := held(t, e.must(maker, depositMsg("T21", "C1", 6_000)))
	if p2.Id != p1.Id+1 {
		t.Fatalf("ids %d, %d", p1.Id, p2.Id)
	}
	// A checker rejects p1; the maker withdraws p2.
	e.must(checker, rejectMsg(p1.Id, "no bank statement"))
	e.must(maker, rejectMsg(p2.Id, "typo"))
	wantFunds(t, e, "C1", 10_000, 1_000)
	for _, id := range []uint64{p1.Id, p2.Id} {
		_, err := e.exec(checker, approveMsg(id))
		wantCode(t, err, approvals.ErrAlreadyDecided)
		_, err = e.exec(checker, rejectMsg(id, ""))
		wantCode(t, err, approvals.ErrAlreadyDecided)
	}
	got, _ := approvals.Get(e.mem, bankA, p1.Id)
	if got.Status != custodyv1.ApprovalStatus_APPROVAL_STATUS_REJECTED || got.Reason != "no bank statement" || got.Checker != checker.Address {
		t.Fatalf("rejected %v", got)
	}
	// Once rejected, the same message may be sent (and held) again.
	p3 := held(t, e.must(maker, depositMsg("T20", "C1", 5_000)))
	if p3.Id != 3 {
		t.Fatalf("id %d", p3.Id)
	}
	if l := approvals.List(e.mem, bankA, 1, 0, true); len(l) != 1 || l[0].Id != 3 {
		t.Fatalf("pending list %v", l)
	}
	if l := approvals.List(e.mem, bankA, 1, 0, false); len(l) != 3 {
		t.Fatalf("full list %d", len(l))
	}
	// An operator not granted the held type may not reject it.
	e.must(sBankA, addOperatorMsg("viewer", 0, "approve_pending", "reject_pending"))
	_, err := e.exec(e.signerOf("viewer"), rejectMsg(p3.Id, ""))
	wantCode(t, err, approvals.ErrCheckerNotGrant)
	_, err = e.exec(e.signerOf("viewer"), approveMsg(p3.Id))
	wantCode(t, err, approvals.ErrCheckerNotGrant)
	// Bad ids and reasons.
	_, err = e.exec(checker, approveMsg(0))
	wantCode(t, err, approvals.ErrBadApproval)
	_, err = e.exec(checker, rejectMsg(1, string(make([]byte, 300))))
	wantCode(t, err, approvals.ErrBadApproval)
	_, err = e.exec(checker, approveMsg(99))
	wantCode(t, err, approvals.ErrUnknownApproval)
	// Clients and the regulator have no approvals.
	_, err = e.exec(sRegulator, approveMsg(p3.Id))
	wantCode(t, err, contracts.ErrUnauthorizedRole)
	e.checkInvariants()
}

func TestApprovals_FailedExecutionStaysPending(t *testing.T) {
	e := makerChecker(t)
	maker, checker := e.signerOf("maker"), e.signerOf("checker")
	e.must(client("C1"), withdrawMsg("C1/w", "C1", 2_000))
	p := held(t, e.must(maker, confirmWithdrawalMsg("C1/w", true, "")))
	// The regulator freezes the account: paying out is refused, the
	// approval stays pending.
	e.must(sRegulator, freezeMsg("C1", "inquiry"))
	_, err := e.exec(checker, approveMsg(p.Id))
	wantCode(t, err, transfers.ErrSenderFrozen)
	got, _ := approvals.Get(e.mem, bankA, p.Id)
	if got.Status != custodyv1.ApprovalStatus_APPROVAL_STATUS_PENDING {
		t.Fatalf("status %s", got.Status)
	}
	e.must(sRegulator, unfreezeMsg("C1", "cleared"))
	e.must(checker, approveMsg(p.Id))
	wantFunds(t, e, "C1", 8_000, 1_000)
	e.checkInvariants()
}

func TestApprovals_MakerLineageAndRevocation(t *testing.T) {
	e := makerChecker(t)
	e.must(sBankA, addOperatorMsg("rotator", 1_000, "approve_pending", "bank_to_broker", "rotate_key"))
	rot := e.signerOf("rotator")
	p := held(t, e.must(rot, depositMsg("T30", "C1", 50_000)))
	// The maker rotates its key: the new key is still the maker.
	e.must(rot, rotateMsg("rotator v2"))
	_, err := e.exec(e.signerOf("rotator v2"), approveMsg(p.Id))
	wantCode(t, err, approvals.ErrMakerMayNot)

	// A revoked maker's pending work can only be rejected.
	maker := e.signerOf("maker")
	q := held(t, e.must(maker, depositMsg("T31", "C1", 7_000)))
	e.must(sRegulator, revokeMsg("maker", "compromised"))
	_, err = e.exec(e.signerOf("checker"), approveMsg(q.Id))
	wantCode(t, err, approvals.ErrMakerRevoked)
	e.must(e.signerOf("checker"), rejectMsg(q.Id, "maker revoked"))
	wantFunds(t, e, "C1", 10_000, 1_000)
	// The rotated maker's item is approved by a real second operator.
	e.must(e.signerOf("checker"), approveMsg(p.Id))
	wantFunds(t, e, "C1", 60_000, 1_000)
	e.checkInvariants()
}

func TestApprovals_UnrestrictedKeysUnchanged(t *testing.T) {
	e := makerChecker(t)
	// The bank's genesis key moves any amount alone, as before.
	e.must(sBankA, depositMsg("T40", "C1", 90_000_000))
	wantFunds(t, e, "C1", 90_010_000, 1_000)
	if l := approvals.List(e.mem, bankA, 1, 0, false); len(l) != 0 {
		t.Fatalf("approvals %v", l)
	}
}

func TestApprovals_ZeroLimitHoldsEverything(t *testing.T) {
	e := makerChecker(t)
	e.must(sBankA, addOperatorMsg("zero", 0, "bank_to_broker"))
	held(t, e.must(e.signerOf("zero"), depositMsg("T50", "C1", 1)))
	wantFunds(t, e, "C1", 10_000, 1_000)
}

func TestApprovals_GuardWiring(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a money movement without a route did not panic")
		}
	}()
	approvals.Guard(nil, map[string]contracts.AmountFunc{"bank_to_broker": nil})
}

// The invariants see a held message lost from the index or an admin-less
// participant: state no message can produce, written here directly.
func TestApprovals_InvariantsCatchCorruptState(t *testing.T) {
	e := makerChecker(t)
	p := held(t, e.must(e.signerOf("maker"), depositMsg("T60", "C1", 5_000)))
	e.checkInvariants()
	broken := func() []string {
		var names []string
		for _, r := range contracts.CheckInvariants(e.mem, ledger.Invariants()) {
			if r.Broken {
				names = append(names, r.Name)
			}
		}
		return names
	}
	rec, _ := approvals.Get(e.mem, bankA, p.Id)
	rec.Status = custodyv1.ApprovalStatus_APPROVAL_STATUS_EXECUTED
	e.mem.Set(approvals.Key(bankA, p.Id), contracts.Marshal(rec))
	if got := broken(); len(got) != 1 || got[0] != "approvals/pending-index" {
		t.Fatalf("broken invariants %v", got)
	}
}

func TestParticipants_InvariantCatchesNoAdminKey(t *testing.T) {
	e := world(t)
	k, _ := auth.Get(e.mem, sBankA.Address)
	auth.DisableRecord(e.mem, k, custodyv1.KeyDisableReason_KEY_DISABLE_REASON_REVOKED, 1, "")
	for _, r := range contracts.CheckInvariants(e.mem, ledger.Invariants()) {
		if r.Name == "participants/active-admin-key" && r.Broken {
			return
		}
	}
	t.Fatal("a bank without an active unrestricted key passes the invariants")
}

// A message that would be refused now is refused, not held: only what
// would execute is ever put before a checker.
func TestApprovals_RefusedNotHeld(t *testing.T) {
	e := makerChecker(t)
	maker := e.signerOf("maker")
	cases := []struct {
		name string
		msg  *custodyv1.Msg
		want error
	}{
		{"used transfer id", depositMsg("T1", "C1", 5_000), transfers.ErrDuplicateTransfer},
		{"account of another bank", depositMsg("T70", "C2", 5_000), accounts.ErrWrongBank},
		{"pending account", depositMsg("T71", "P1", 5_000), accounts.ErrNotActive},
		{"unknown account", depositMsg("T72", "ZZ", 5_000), accounts.ErrUnknownAccount},
		{"bad amount (stateless)", depositMsg("T73", "C1", 0), transfers.ErrBadAmount},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.exec(maker, tc.msg)
			wantCode(t, err, tc.want)
		})
	}
	if l := approvals.List(e.mem, bankA, 1, 0, false); len(l) != 0 {
		t.Fatalf("refused messages were held: %v", l)
	}
}
