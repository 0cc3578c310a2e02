package ledger_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/contracts/supervision"
	"github.com/custody-ledger/custody/contracts/trading"
	"github.com/custody-ledger/custody/contracts/transfers"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// world is the state every case starts from:
//
//	C1  active  broker-x / bank-a, balance 10 000, one pending withdrawal C1/p of 1 000
//	C2  active  broker-y / bank-b, balance 0
//	P1  pending broker-x / bank-a
//	F1  active  broker-x / bank-a, balance 500, frozen by the regulator
func world(t *testing.T) *env {
	e := newEnv(t)
	e.active("C1", bankA, sBrokerX, sBankA)
	e.must(sBankA, depositMsg("T1", "C1", 10_000))
	e.must(client("C1"), withdrawMsg("C1/p", "C1", 1_000))
	e.active("C2", bankB, sBrokerY, sBankB)
	e.must(sBrokerX, openMsg("P1", bankA))
	e.active("F1", bankA, sBrokerX, sBankA)
	e.must(sBankA, depositMsg("T2", "F1", 500))
	e.must(sRegulator, freezeMsg("F1", "court order 1"))
	e.checkInvariants()
	return e
}

func msgWith[M any](m *custodyv1.Msg, get func(*custodyv1.Msg) M, edit func(M)) *custodyv1.Msg {
	edit(get(m))
	return m
}

func open(id, bank string, edit func(*custodyv1.OpeningRequest)) *custodyv1.Msg {
	m := openMsg(id, bank)
	edit(m.GetOpenAccount().Request)
	return m
}

type msgCase struct {
	name   string
	setup  func(e *env)
	signer contracts.Signer
	msg    *custodyv1.Msg
	want   error // nil: must succeed
	check  func(t *testing.T, e *env)
}

func runCases(t *testing.T, cases []msgCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := world(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			before := e.hash()
			_, err := e.exec(tc.signer, tc.msg)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("got error %v, want %v", err, tc.want)
			case tc.want == nil && bytes.Equal(before, e.hash()):
				t.Fatalf("accepted message changed nothing")
			case tc.want == nil && len(e.events) == 0:
				t.Fatalf("accepted message emitted no event")
			}
			if tc.want != nil {
				// exec checked the tree; the error must map to its own code.
				space, code, _ := contracts.ABCIInfo(err)
				if want := tc.want.(*contracts.Error); space != want.Codespace || code != want.Code {
					t.Fatalf("ABCI code %s/%d, want %s/%d", space, code, want.Codespace, want.Code)
				}
			}
			if tc.check != nil {
				tc.check(t, e)
			}
			e.checkInvariants()
		})
	}
}

func wantFunds(t *testing.T, e *env, id string, balance, frozen int64) {
	t.Helper()
	f := funds.Get(e.mem, id)
	if f == nil || f.Balance != balance || f.Frozen != frozen || f.Available != balance-frozen {
		t.Fatalf("funds of %s = %v, want balance %d frozen %d", id, f, balance, frozen)
	}
}

func wantStatus(t *testing.T, e *env, id string, s custodyv1.AccountStatus) *custodyv1.Account {
	t.Helper()
	a, err := accounts.Get(e.mem, id)
	if err != nil || a.Status != s {
		t.Fatalf("account %s: %v %v, want %s", id, a, err, s)
	}
	return a
}

func TestOpenAccount(t *testing.T) {
	runCases(t, []msgCase{
		{name: "ok", signer: sBrokerX, msg: openMsg("N1", bankA), check: func(t *testing.T, e *env) {
			a := wantStatus(t, e, "N1", custodyv1.AccountStatus_ACCOUNT_STATUS_PENDING)
			if a.BrokerId != brokerX || funds.Get(e.mem, "N1") != nil {
				t.Fatalf("account %v", a)
			}
			if _, err := auth.Get(e.mem, auth.Address(pubKey("client N1"))); err == nil {
				t.Fatal("client key registered before the bank confirmed")
			}
		}},
		{name: "same identity at another broker", signer: sBrokerY,
			msg: open("N1", bankA, func(m *custodyv1.OpeningRequest) { m.IdentityHash = hash32("identity C1") })},
		{name: "identity free again after rejection", signer: sBrokerX,
			setup: func(e *env) { e.must(sBankA, confirmMsg("P1", false, "card mismatch")) },
			msg:   open("N1", bankA, func(m *custodyv1.OpeningRequest) { m.IdentityHash = hash32("identity P1") })},
		{name: "wrong role", signer: sBankA, msg: openMsg("N1", bankA), want: contracts.ErrUnauthorizedRole},
		{name: "client may not open", signer: client("C1"), msg: openMsg("N1", bankA), want: contracts.ErrUnauthorizedRole},
		{name: "empty account id", signer: sBrokerX, msg: openMsg("", bankA), want: accounts.ErrBadAccountID},
		{name: "account id with space", signer: sBrokerX, msg: openMsg("N 1", bankA), want: accounts.ErrBadAccountID},
		{name: "account id too long", signer: sBrokerX, msg: openMsg(strings.Repeat("9", 33), bankA), want: accounts.ErrBadAccountID},
		{name: "short pub key", signer: sBrokerX, want: accounts.ErrBadPubKey,
			msg: open("N1", bankA, func(m *custodyv1.OpeningRequest) { m.ClientPubKey = m.ClientPubKey[:31] })},
		{name: "short identity hash", signer: sBrokerX, want: accounts.ErrBadHash,
			msg: open("N1", bankA, func(m *custodyv1.OpeningRequest) { m.IdentityHash = m.IdentityHash[:16] })},
		{name: "zero card hash", signer: sBrokerX, want: accounts.ErrBadHash,
			msg: open("N1", bankA, func(m *custodyv1.OpeningRequest) { m.BankCardHash = make([]byte, 32) })},
		{name: "bad bank id", signer: sBrokerX, msg: openMsg("N1", "Bank_A"), want: accounts.ErrBadParticipantID},
		{name: "bad shareholder account", signer: sBrokerX, want: accounts.ErrBadShareholder,
			msg: open("N1", bankA, func(m *custodyv1.OpeningRequest) { m.ShareholderAccounts = []string{"a123456789"} })},
		{name: "repeated shareholder account", signer: sBrokerX, want: accounts.ErrBadShareholder,
			msg: open("N1", bankA, func(m *custodyv1.OpeningRequest) { m.ShareholderAccounts = []string{"A123456789", "A123456789"} })},
		{name: "account id taken", signer: sBrokerY, msg: openMsg("C1", bankA), want: accounts.ErrAccountExists},
		{name: "unknown bank", signer: sBrokerX, msg: openMsg("N1", "bank-z"), want: accounts.ErrUnknownBank},
		{name: "bank is a broker", signer: sBrokerX, msg: openMsg("N1", brokerY), want: accounts.ErrUnknownBank},
		{name: "duplicate identity at the broker", signer: sBrokerX, want: accounts.ErrDuplicateIdentity,
			msg: open("N1", bankB, func(m *custodyv1.OpeningRequest) { m.IdentityHash = hash32("identity C1") })},
		{name: "duplicate identity of a pending account", signer: sBrokerX, want: accounts.ErrDuplicateIdentity,
			msg: open("N1", bankA, func(m *custodyv1.OpeningRequest) { m.IdentityHash = hash32("identity P1") })},
		{name: "client key taken", signer: sBrokerX, want: accounts.ErrClientKeyTaken,
			msg: open("N1", bankA, func(m *custodyv1.OpeningRequest) { m.ClientPubKey = pubKey("client C2") })},
		{name: "participant key as client key", signer: sBrokerX, want: accounts.ErrClientKeyTaken,
			msg: open("N1", bankA, func(m *custodyv1.OpeningRequest) { m.ClientPubKey = pubKey(bankA) })},
		{name: "key of a pending opening", signer: sBrokerY, want: accounts.ErrClientKeyTaken,
			msg: open("N1", bankA, func(m *custodyv1.OpeningRequest) { m.ClientPubKey = pubKey("client P1") })},
		{name: "key of a closed account", signer: sBrokerX, want: accounts.ErrClientKeyTaken,
			setup: func(e *env) { e.active("E1", bankA, sBrokerX, sBankA); e.must(sBrokerX, closeMsg("E1")) },
			msg:   open("N1", bankA, func(m *custodyv1.OpeningRequest) { m.ClientPubKey = pubKey("client E1") })},
		{name: "key free again after rejection", signer: sBrokerX,
			setup: func(e *env) { e.must(sBankA, confirmMsg("P1", false, "card mismatch")) },
			msg:   open("N1", bankA, func(m *custodyv1.OpeningRequest) { m.ClientPubKey = pubKey("client P1") })},
		{name: "no opening request", signer: sBrokerX, want: accounts.ErrNoClientRequest,
			msg: &custodyv1.Msg{Sum: &custodyv1.Msg_OpenAccount{OpenAccount: &custodyv1.MsgOpenAccount{}}}},
		{name: "bad broker id in the request", signer: sBrokerX, want: accounts.ErrBadParticipantID,
			msg: open("N1", bankA, func(m *custodyv1.OpeningRequest) { m.BrokerId = "Broker X" })},
		{name: "no client signature", signer: sBrokerX, want: accounts.ErrBadClientSignature,
			msg: msgWith(openMsg("N1", bankA), (*custodyv1.Msg).GetOpenAccount, func(m *custodyv1.MsgOpenAccount) {
				m.Request.BrokerId, m.ClientSignature = brokerX, []byte{}
			})},
		{name: "signed by another key", signer: sBrokerX, want: accounts.ErrBadClientSignature,
			msg: msgWith(openMsg("N1", bankA), (*custodyv1.Msg).GetOpenAccount, func(m *custodyv1.MsgOpenAccount) {
				m.Request.BrokerId = brokerX
				m.ClientSignature = accounts.SignOpening(privKey("broker's own key"), m.Request)
			})},
		{name: "request changed after signing", signer: sBrokerX, want: accounts.ErrBadClientSignature,
			msg: msgWith(openMsg("N1", bankA), (*custodyv1.Msg).GetOpenAccount, func(m *custodyv1.MsgOpenAccount) {
				m.Request.BrokerId = brokerX
				m.ClientSignature = accounts.SignOpening(privKey("client N1"), m.Request)
				m.Request.BankId = bankB
			})},
		{name: "request for another chain", signer: sBrokerX, want: accounts.ErrRequestChain,
			msg: open("N1", bankA, func(m *custodyv1.OpeningRequest) { m.ChainId = "other-chain" })},
		{name: "request for another broker", signer: sBrokerY, want: accounts.ErrRequestBroker,
			msg: open("N1", bankA, func(m *custodyv1.OpeningRequest) { m.BrokerId = brokerX })},
	})
}

func TestConfirmAccount(t *testing.T) {
	runCases(t, []msgCase{
		{name: "approve", signer: sBankA, msg: confirmMsg("P1", true, ""), check: func(t *testing.T, e *env) {
			wantStatus(t, e, "P1", custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE)
			wantFunds(t, e, "P1", 0, 0)
			rec, err := auth.Get(e.mem, auth.Address(pubKey("client P1")))
			if err != nil || rec.Role != custodyv1.Role_ROLE_CLIENT || rec.Owner != "P1" {
				t.Fatalf("client key %v %v", rec, err)
			}
		}},
		{name: "reject", signer: sBankA, msg: confirmMsg("P1", false, "identity mismatch"), check: func(t *testing.T, e *env) {
			a := wantStatus(t, e, "P1", custodyv1.AccountStatus_ACCOUNT_STATUS_REJECTED)
			if a.StatusReason != "identity mismatch" || funds.Get(e.mem, "P1") != nil || e.mem.Has(accounts.IdentityKey(brokerX, a.IdentityHash)) {
				t.Fatalf("rejected account %v", a)
			}
		}},
		{name: "wrong role", signer: sBrokerX, msg: confirmMsg("P1", true, ""), want: contracts.ErrUnauthorizedRole},
		{name: "another bank", signer: sBankB, msg: confirmMsg("P1", true, ""), want: accounts.ErrWrongBank},
		{name: "unknown account", signer: sBankA, msg: confirmMsg("N9", true, ""), want: accounts.ErrUnknownAccount},
		{name: "already active", signer: sBankA, msg: confirmMsg("C1", true, ""), want: accounts.ErrNotPending},
		{name: "reject an active account", signer: sBankA, msg: confirmMsg("C1", false, "late"), want: accounts.ErrNotPending},
		{name: "reject without reason", signer: sBankA, msg: confirmMsg("P1", false, ""), want: accounts.ErrRejectWithoutReason},
		{name: "reason too long", signer: sBankA, msg: confirmMsg("P1", false, strings.Repeat("x", 257)), want: accounts.ErrBadReason},
		{name: "reason not UTF-8", signer: sBankA, msg: confirmMsg("P1", false, "\xff"), want: accounts.ErrBadReason},
		{name: "bad account id", signer: sBankA, msg: confirmMsg("P/1", true, ""), want: accounts.ErrBadAccountID},
		{name: "key registered to an institution since the opening", signer: sBankA, want: accounts.ErrClientKeyTaken,
			setup: func(e *env) {
				if err := auth.Register(e.mem, pubKey("client P1"), custodyv1.Role_ROLE_BROKER, brokerY); err != nil {
					t.Fatal(err)
				}
			},
			msg: confirmMsg("P1", true, "")},
		{name: "bank names another key than the client signed", signer: sBankA, want: accounts.ErrClientKeyMismatch,
			msg: confirmKeyMsg("P1", true, "", pubKey("broker's own key for P1"))},
		{name: "approve without a key", signer: sBankA, want: accounts.ErrBadPubKey,
			msg: confirmKeyMsg("P1", true, "", nil)},
		{name: "key history starts at confirmation", signer: sBankA, msg: confirmMsg("P1", true, ""), check: func(t *testing.T, e *env) {
			evs := accounts.KeyEvents(e.mem, "P1", 0, 0)
			if len(evs) != 1 || evs[0].Seq != 1 || evs[0].Kind != custodyv1.ClientKeyEventKind_CLIENT_KEY_EVENT_KIND_REGISTERED ||
				!bytes.Equal(evs[0].PubKey, pubKey("client P1")) || evs[0].Signer != bankA {
				t.Fatalf("key history %v", evs)
			}
		}},
	})
}

// TestProposeClientKey: the broker's half of a client key replacement.
// Reference: issue #11 part 2.
func TestProposeClientKey(t *testing.T) {
	newKey := pubKey("client C1 new")
	propose := func(edit func(*custodyv1.MsgProposeClientKey)) *custodyv1.Msg {
		return msgWith(proposeKeyMsg("C1", bankA, newKey, "lost phone"), (*custodyv1.Msg).GetProposeClientKey, edit)
	}
	same := func(*custodyv1.MsgProposeClientKey) {}
	runCases(t, []msgCase{
		{name: "ok", signer: sBrokerX, msg: propose(same), check: func(t *testing.T, e *env) {
			if out, err := ledger.Query(e.mem, auditor, "client-keys/C1", nil); err != nil || !strings.Contains(string(out), `"reason":"lost phone"`) {
				t.Fatalf("client-keys query %s %v", out, err)
			}
			p := accounts.GetPendingKey(e.mem, "C1")
			if p == nil || !bytes.Equal(p.NewClientPubKey, newKey) || p.BrokerId != brokerX || p.Reason != "lost phone" {
				t.Fatalf("pending %v", p)
			}
			// Nothing is in force yet: the old key still signs, the new one not.
			if rec, err := auth.Get(e.mem, client("C1").Address); err != nil || rec.Disabled {
				t.Fatalf("old key %v %v", rec, err)
			}
			if _, err := auth.Get(e.mem, auth.Address(newKey)); err == nil {
				t.Fatal("new key registered before the bank confirmed")
			}
			evs := accounts.KeyEvents(e.mem, "C1", 0, 0)
			if last := evs[len(evs)-1]; last.Kind != custodyv1.ClientKeyEventKind_CLIENT_KEY_EVENT_KIND_PROPOSED || last.Signer != brokerX {
				t.Fatalf("key history %v", evs)
			}
		}},
		{name: "of a frozen account", signer: sBrokerX,
			msg: msgWith(proposeKeyMsg("F1", bankA, newKey, "lost phone"), (*custodyv1.Msg).GetProposeClientKey, same)},
		{name: "wrong role", signer: sBankA, msg: propose(same), want: contracts.ErrUnauthorizedRole},
		{name: "client may not propose", signer: client("C1"), msg: propose(same), want: contracts.ErrUnauthorizedRole},
		{name: "no request", signer: sBrokerX, want: accounts.ErrNoClientRequest, msg: propose(func(m *custodyv1.MsgProposeClientKey) { m.Request = nil })},
		{name: "bad account id", signer: sBrokerX, want: accounts.ErrBadAccountID, msg: propose(func(m *custodyv1.MsgProposeClientKey) { m.Request.AccountId = "C 1" })},
		{name: "bad bank id", signer: sBrokerX, want: accounts.ErrBadParticipantID, msg: propose(func(m *custodyv1.MsgProposeClientKey) { m.Request.BankId = "" })},
		{name: "short key", signer: sBrokerX, want: accounts.ErrBadPubKey, msg: propose(func(m *custodyv1.MsgProposeClientKey) { m.Request.NewClientPubKey = newKey[:31] })},
		{name: "reason too long", signer: sBrokerX, want: accounts.ErrBadReason, msg: propose(func(m *custodyv1.MsgProposeClientKey) { m.Reason = strings.Repeat("x", 257) })},
		{name: "not signed by the new key", signer: sBrokerX, want: accounts.ErrBadClientSignature,
			msg: propose(func(m *custodyv1.MsgProposeClientKey) {
				m.Request.BrokerId = brokerX
				m.ClientSignature = accounts.SignClientKey(privKey("broker's own key"), m.Request)
			})},
		{name: "another chain", signer: sBrokerX, want: accounts.ErrRequestChain, msg: propose(func(m *custodyv1.MsgProposeClientKey) { m.Request.ChainId = "x" })},
		{name: "unknown account", signer: sBrokerX, want: accounts.ErrUnknownAccount, msg: propose(func(m *custodyv1.MsgProposeClientKey) { m.Request.AccountId = "N9" })},
		{name: "another broker's account", signer: sBrokerY, want: accounts.ErrWrongBroker, msg: propose(same)},
		{name: "request for another broker", signer: sBrokerX, want: accounts.ErrRequestBroker, msg: propose(func(m *custodyv1.MsgProposeClientKey) { m.Request.BrokerId = brokerY })},
		{name: "request for another bank", signer: sBrokerX, want: accounts.ErrRequestBank, msg: propose(func(m *custodyv1.MsgProposeClientKey) { m.Request.BankId = bankB })},
		{name: "pending account", signer: sBrokerX, want: accounts.ErrNotActive,
			msg: msgWith(proposeKeyMsg("P1", bankA, newKey, "x"), (*custodyv1.Msg).GetProposeClientKey, same)},
		{name: "already pending", signer: sBrokerX, want: accounts.ErrKeyChangePending,
			setup: func(e *env) { e.must(sBrokerX, proposeKeyMsg("C1", bankA, pubKey("client C1 other"), "lost")) },
			msg:   propose(same)},
		{name: "current key", signer: sBrokerX, want: accounts.ErrClientKeyTaken, msg: propose(func(m *custodyv1.MsgProposeClientKey) { m.Request.NewClientPubKey = pubKey("client C1") })},
		{name: "another account's key", signer: sBrokerX, want: accounts.ErrClientKeyTaken, msg: propose(func(m *custodyv1.MsgProposeClientKey) { m.Request.NewClientPubKey = pubKey("client P1") })},
		{name: "an institution's key", signer: sBrokerX, want: accounts.ErrClientKeyTaken, msg: propose(func(m *custodyv1.MsgProposeClientKey) { m.Request.NewClientPubKey = pubKey(brokerX) })},
	})
}

// TestConfirmClientKey: the bank's half of a client key replacement.
// Reference: issue #11 part 2.
func TestConfirmClientKey(t *testing.T) {
	newKey := pubKey("client C1 new")
	proposed := func(e *env) { e.must(sBrokerX, proposeKeyMsg("C1", bankA, newKey, "lost phone")) }
	runCases(t, []msgCase{
		{name: "approve", setup: proposed, signer: sBankA, msg: confirmNewKeyMsg("C1", true, newKey, ""), check: func(t *testing.T, e *env) {
			a := wantStatus(t, e, "C1", custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE)
			if !bytes.Equal(a.ClientPubKey, newKey) || accounts.GetPendingKey(e.mem, "C1") != nil {
				t.Fatalf("account %v", a)
			}
			if old, err := auth.Get(e.mem, client("C1").Address); err != nil || !old.Disabled {
				t.Fatalf("old key %v %v", old, err)
			}
			rec, err := auth.Get(e.mem, auth.Address(newKey))
			if err != nil || rec.Disabled || rec.Role != custodyv1.Role_ROLE_CLIENT || rec.Owner != "C1" {
				t.Fatalf("new key %v %v", rec, err)
			}
			evs := accounts.KeyEvents(e.mem, "C1", 0, 0)
			kinds := []custodyv1.ClientKeyEventKind{}
			for _, ev := range evs {
				kinds = append(kinds, ev.Kind)
			}
			last := evs[len(evs)-1]
			if len(evs) != 3 || kinds[0] != custodyv1.ClientKeyEventKind_CLIENT_KEY_EVENT_KIND_REGISTERED ||
				kinds[1] != custodyv1.ClientKeyEventKind_CLIENT_KEY_EVENT_KIND_PROPOSED ||
				last.Kind != custodyv1.ClientKeyEventKind_CLIENT_KEY_EVENT_KIND_REPLACED || last.Seq != 3 ||
				!bytes.Equal(last.PubKey, newKey) || !bytes.Equal(last.PreviousPubKey, pubKey("client C1")) ||
				last.Signer != bankA || last.Reason != "lost phone" || a.KeyEvents != 3 {
				t.Fatalf("key history %v", evs)
			}
			// The replaced account still works with its new key: orders
			// are checked against the account's key, which is the new one.
			if e.events[0].Type != "client_key_replaced" {
				t.Fatalf("events %v", e.events)
			}
			out, err := ledger.Query(e.mem, auditor, "client-keys/C1", nil)
			if err != nil || !strings.Contains(string(out), `"CLIENT_KEY_EVENT_KIND_REPLACED"`) || !strings.Contains(string(out), `"pending":null`) {
				t.Fatalf("client-keys query %s %v", out, err)
			}
		}},
		{name: "reject", setup: proposed, signer: sBankA, msg: confirmNewKeyMsg("C1", false, nil, "not the client"), check: func(t *testing.T, e *env) {
			a := wantStatus(t, e, "C1", custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE)
			if !bytes.Equal(a.ClientPubKey, pubKey("client C1")) || accounts.GetPendingKey(e.mem, "C1") != nil || e.mem.Has(accounts.ClaimKey(newKey)) {
				t.Fatalf("account %v", a)
			}
			if rec, err := auth.Get(e.mem, client("C1").Address); err != nil || rec.Disabled {
				t.Fatalf("old key %v %v", rec, err)
			}
			evs := accounts.KeyEvents(e.mem, "C1", 0, 0)
			if last := evs[len(evs)-1]; last.Kind != custodyv1.ClientKeyEventKind_CLIENT_KEY_EVENT_KIND_REJECTED || last.Reason != "not the client" {
				t.Fatalf("key history %v", evs)
			}
		}},
		{name: "the key is free again after a rejection", signer: sBrokerX, msg: proposeKeyMsg("C1", bankA, newKey, "again"),
			setup: func(e *env) { proposed(e); e.must(sBankA, confirmNewKeyMsg("C1", false, nil, "not the client")) }},
		{name: "wrong role", setup: proposed, signer: sBrokerX, msg: confirmNewKeyMsg("C1", true, newKey, ""), want: contracts.ErrUnauthorizedRole},
		{name: "another bank", setup: proposed, signer: sBankB, msg: confirmNewKeyMsg("C1", true, newKey, ""), want: accounts.ErrWrongBank},
		{name: "unknown account", signer: sBankA, msg: confirmNewKeyMsg("N9", true, newKey, ""), want: accounts.ErrUnknownAccount},
		{name: "nothing pending", signer: sBankA, msg: confirmNewKeyMsg("C1", true, newKey, ""), want: accounts.ErrNoKeyChange},
		{name: "bank names another key", setup: proposed, signer: sBankA, want: accounts.ErrClientKeyMismatch,
			msg: confirmNewKeyMsg("C1", true, pubKey("broker's own key for C1"), "")},
		{name: "approve without a key", setup: proposed, signer: sBankA, msg: confirmNewKeyMsg("C1", true, nil, ""), want: accounts.ErrBadPubKey},
		{name: "reject without reason", setup: proposed, signer: sBankA, msg: confirmNewKeyMsg("C1", false, nil, ""), want: accounts.ErrRejectWithoutReason},
		{name: "reason not UTF-8", setup: proposed, signer: sBankA, msg: confirmNewKeyMsg("C1", false, nil, "\xff"), want: accounts.ErrBadReason},
		{name: "bad account id", signer: sBankA, msg: confirmNewKeyMsg("C/1", true, newKey, ""), want: accounts.ErrBadAccountID},
		{name: "close waits for the bank's answer", setup: func(e *env) {
			e.active("E1", bankA, sBrokerX, sBankA)
			e.must(sBrokerX, proposeKeyMsg("E1", bankA, pubKey("client E1 new"), "lost"))
		}, signer: sBrokerX, msg: closeMsg("E1"), want: accounts.ErrKeyChangePending},
		{name: "closing disables the replaced key", setup: func(e *env) {
			e.active("E1", bankA, sBrokerX, sBankA)
			e.must(sBrokerX, proposeKeyMsg("E1", bankA, pubKey("client E1 new"), "lost"))
			e.must(sBankA, confirmNewKeyMsg("E1", true, pubKey("client E1 new"), ""))
		}, signer: sBrokerX, msg: closeMsg("E1"), check: func(t *testing.T, e *env) {
			for _, k := range [][]byte{pubKey("client E1"), pubKey("client E1 new")} {
				if rec, err := auth.Get(e.mem, auth.Address(k)); err != nil || !rec.Disabled {
					t.Fatalf("key %v %v", rec, err)
				}
			}
			evs := accounts.KeyEvents(e.mem, "E1", 0, 0)
			if last := evs[len(evs)-1]; last.Kind != custodyv1.ClientKeyEventKind_CLIENT_KEY_EVENT_KIND_DISABLED || !bytes.Equal(last.PubKey, pubKey("client E1 new")) {
				t.Fatalf("key history %v", evs)
			}
		}},
	})
}

func TestCloseAccount(t *testing.T) {
	empty := func(e *env) { e.active("E1", bankA, sBrokerX, sBankA) }
	runCases(t, []msgCase{
		{name: "ok", setup: empty, signer: sBrokerX, msg: closeMsg("E1"), check: func(t *testing.T, e *env) {
			a := wantStatus(t, e, "E1", custodyv1.AccountStatus_ACCOUNT_STATUS_CLOSED)
			rec, err := auth.Get(e.mem, auth.Address(pubKey("client E1")))
			if err != nil || !rec.Disabled {
				t.Fatalf("client key of a closed account %v %v", rec, err)
			}
			if e.mem.Has(accounts.IdentityKey(brokerX, a.IdentityHash)) {
				t.Fatal("identity index kept")
			}
		}},
		{name: "after paying everything out", signer: sBrokerX, msg: closeMsg("C1"), setup: func(e *env) {
			e.must(sBankA, confirmWithdrawalMsg("C1/p", true, ""))
			e.must(client("C1"), withdrawMsg("C1/all", "C1", 9_000))
			e.must(sBankA, confirmWithdrawalMsg("C1/all", true, ""))
		}},
		{name: "wrong role", setup: empty, signer: sBankA, msg: closeMsg("E1"), want: contracts.ErrUnauthorizedRole},
		{name: "another broker", setup: empty, signer: sBrokerY, msg: closeMsg("E1"), want: accounts.ErrWrongBroker},
		{name: "unknown account", signer: sBrokerX, msg: closeMsg("N9"), want: accounts.ErrUnknownAccount},
		{name: "pending", signer: sBrokerX, msg: closeMsg("P1"), want: accounts.ErrNotActive},
		{name: "already closed", setup: func(e *env) { empty(e); e.must(sBrokerX, closeMsg("E1")) },
			signer: sBrokerX, msg: closeMsg("E1"), want: accounts.ErrNotActive},
		{name: "balance left", signer: sBrokerX, msg: closeMsg("C1"), want: accounts.ErrNotEmpty,
			setup: func(e *env) { e.must(sBankA, confirmWithdrawalMsg("C1/p", false, "no")) }},
		{name: "open withdrawal", signer: sBrokerX, msg: closeMsg("C1"), want: accounts.ErrNotEmpty},
		{name: "holding left", signer: sBrokerX, msg: closeMsg("E1"), want: accounts.ErrNotEmpty,
			setup: func(e *env) {
				empty(e)
				// What a settled purchase leaves: a holding of E1 and the
				// clearing house's opposite position.
				e.mem.Set(trading.HoldingKey("E1", "600000.SH"), contracts.Marshal(&custodyv1.Holding{
					AccountId: "E1", Security: "600000.SH", Balance: 100, Sellable: 100}))
				e.mem.Set(trading.PositionKey("600000.SH"), contracts.Marshal(&custodyv1.Position{Security: "600000.SH", Quantity: -100}))
			}},
		{name: "frozen", signer: sBrokerX, msg: closeMsg("E1"), want: accounts.ErrFrozen,
			setup: func(e *env) { empty(e); e.must(sRegulator, freezeMsg("E1", "inquiry")) }},
	})
}

func TestBankToBroker(t *testing.T) {
	runCases(t, []msgCase{
		{name: "ok", signer: sBankA, msg: depositMsg("T9", "C1", 2_500), check: func(t *testing.T, e *env) {
			wantFunds(t, e, "C1", 12_500, 1_000)
			if got := funds.GetCustodyTotal(e.mem, bankA, brokerX); got != 13_000 {
				t.Fatalf("custody total %d", got)
			}
			last := funds.LastEntry(e.mem, "C1")
			if last.Reason != custodyv1.LedgerReason_LEDGER_REASON_DEPOSIT || last.Amount != 2_500 || last.RefId != "bank-a/T9" || last.Balance != 12_500 {
				t.Fatalf("ledger entry %v", last)
			}
		}},
		{name: "frozen account receives", signer: sBankA, msg: depositMsg("T9", "F1", 100),
			check: func(t *testing.T, e *env) { wantFunds(t, e, "F1", 600, 0) }},
		{name: "another bank may reuse a serial", signer: sBankB, msg: depositMsg("T1", "C2", 100)},
		{name: "largest amount", signer: sBankA, msg: depositMsg("T9", "C1", transfers.MaxAmount)},
		{name: "same id, other amount", signer: sBankA, msg: depositMsg("T1", "C1", 9_999), want: transfers.ErrDuplicateTransfer},
		{name: "duplicate id to another account", signer: sBankA, msg: depositMsg("T1", "F1", 1), want: transfers.ErrDuplicateTransfer},
		{name: "wrong role", signer: sBrokerX, msg: depositMsg("T9", "C1", 1), want: contracts.ErrUnauthorizedRole},
		{name: "another bank's account", signer: sBankB, msg: depositMsg("T9", "C1", 1), want: accounts.ErrWrongBank},
		{name: "unknown account", signer: sBankA, msg: depositMsg("T9", "N9", 1), want: accounts.ErrUnknownAccount},
		{name: "pending account", signer: sBankA, msg: depositMsg("T9", "P1", 1), want: accounts.ErrNotActive},
		{name: "zero amount", signer: sBankA, msg: depositMsg("T9", "C1", 0), want: transfers.ErrBadAmount},
		{name: "negative amount", signer: sBankA, msg: depositMsg("T9", "C1", -5), want: transfers.ErrBadAmount},
		{name: "amount above max", signer: sBankA, msg: depositMsg("T9", "C1", transfers.MaxAmount+1), want: transfers.ErrBadAmount},
		{name: "transfer id with slash", signer: sBankA, msg: depositMsg("C1/x", "C1", 1), want: transfers.ErrBadTransferID},
		{name: "empty transfer id", signer: sBankA, msg: depositMsg("", "C1", 1), want: transfers.ErrBadTransferID},
		{name: "bad account id", signer: sBankA, msg: depositMsg("T9", "", 1), want: accounts.ErrBadAccountID},
		{name: "overflow", signer: sBankA, msg: depositMsg("T9", "C1", 100), want: funds.ErrOverflow,
			setup: func(e *env) {
				// Not reachable through transfers in a test's time: put the
				// supply next to the end of int64 directly.
				e.mem.Set(funds.SupplyKey(), contracts.Marshal(&custodyv1.Supply{Total: math.MaxInt64 - 50, Deposited: math.MaxInt64 - 50}))
			},
			check: func(t *testing.T, e *env) {
				// Put the supply back so the invariants can run.
				e.mem.Set(funds.SupplyKey(), contracts.Marshal(&custodyv1.Supply{Total: 10_500, Deposited: 10_500}))
			}},
	})
}

func TestRequestWithdrawal(t *testing.T) {
	runCases(t, []msgCase{
		{name: "ok", signer: client("C1"), msg: withdrawMsg("C1/w", "C1", 9_000), check: func(t *testing.T, e *env) {
			wantFunds(t, e, "C1", 10_000, 10_000)
			tr, err := transfers.Get(e.mem, bankA, "C1/w")
			if err != nil || tr.Status != custodyv1.TransferStatus_TRANSFER_STATUS_PENDING || tr.Amount != 9_000 {
				t.Fatalf("transfer %v %v", tr, err)
			}
			if f := funds.Get(e.mem, "C1"); f.Withdrawable != 0 || f.OpenWithdrawals != 2 {
				t.Fatalf("funds %v", f)
			}
		}},
		{name: "overdraft", signer: client("C1"), msg: withdrawMsg("C1/w", "C1", 9_001), want: funds.ErrOverdraft},
		{name: "overdraft of an empty account", signer: client("C2"), msg: withdrawMsg("C2/w", "C2", 1), want: funds.ErrOverdraft},
		{name: "frozen sender", signer: client("F1"), msg: withdrawMsg("F1/w", "F1", 1), want: transfers.ErrSenderFrozen},
		{name: "duplicate transfer id", signer: client("C1"), msg: withdrawMsg("C1/p", "C1", 1), want: transfers.ErrDuplicateTransfer},
		{name: "another client's account", signer: client("C2"), msg: withdrawMsg("C1/w", "C1", 1), want: accounts.ErrNotOwner},
		{name: "wrong role", signer: sBrokerX, msg: withdrawMsg("C1/w", "C1", 1), want: contracts.ErrUnauthorizedRole},
		{name: "bank may not withdraw", signer: sBankA, msg: withdrawMsg("C1/w", "C1", 1), want: contracts.ErrUnauthorizedRole},
		{name: "id of another account", signer: client("C1"), msg: withdrawMsg("C2/w", "C1", 1), want: transfers.ErrBadTransferID},
		{name: "id without suffix", signer: client("C1"), msg: withdrawMsg("C1/", "C1", 1), want: transfers.ErrBadTransferID},
		{name: "bank-style id", signer: client("C1"), msg: withdrawMsg("T1", "C1", 1), want: transfers.ErrBadTransferID},
		{name: "zero amount", signer: client("C1"), msg: withdrawMsg("C1/w", "C1", 0), want: transfers.ErrBadAmount},
		{name: "closed account", signer: client("E1"), msg: withdrawMsg("E1/w", "E1", 1), want: accounts.ErrNotActive,
			setup: func(e *env) { e.active("E1", bankA, sBrokerX, sBankA); e.must(sBrokerX, closeMsg("E1")) }},
		{name: "unknown account", signer: client("N9"), msg: withdrawMsg("N9/w", "N9", 1), want: accounts.ErrUnknownAccount},
	})
}

func TestConfirmWithdrawal(t *testing.T) {
	runCases(t, []msgCase{
		{name: "paid", signer: sBankA, msg: confirmWithdrawalMsg("C1/p", true, ""), check: func(t *testing.T, e *env) {
			wantFunds(t, e, "C1", 9_000, 0)
			if s := funds.GetSupply(e.mem); s.Total != 9_500 || s.Withdrawn != 1_000 {
				t.Fatalf("supply %v", s)
			}
			if tr, _ := transfers.Get(e.mem, bankA, "C1/p"); tr.Status != custodyv1.TransferStatus_TRANSFER_STATUS_COMPLETED {
				t.Fatalf("transfer %v", tr)
			}
		}},
		{name: "refused unfreezes", signer: sBankA, msg: confirmWithdrawalMsg("C1/p", false, "card closed"), check: func(t *testing.T, e *env) {
			wantFunds(t, e, "C1", 10_000, 0)
			if tr, _ := transfers.Get(e.mem, bankA, "C1/p"); tr.Status != custodyv1.TransferStatus_TRANSFER_STATUS_REFUSED || tr.Reason != "card closed" {
				t.Fatalf("transfer %v", tr)
			}
		}},
		{name: "frozen after the request: refusal still unfreezes", signer: sBankA, msg: confirmWithdrawalMsg("C1/p", false, "frozen"),
			setup: func(e *env) { e.must(sRegulator, freezeMsg("C1", "inquiry")) }},
		{name: "frozen after the request: no payout", signer: sBankA, msg: confirmWithdrawalMsg("C1/p", true, ""), want: transfers.ErrSenderFrozen,
			setup: func(e *env) { e.must(sRegulator, freezeMsg("C1", "inquiry")) }},
		{name: "already paid, now refused", signer: sBankA, msg: confirmWithdrawalMsg("C1/p", false, "late"), want: transfers.ErrNotPending,
			setup: func(e *env) { e.must(sBankA, confirmWithdrawalMsg("C1/p", true, "")) }},
		{name: "already refused", signer: sBankA, msg: confirmWithdrawalMsg("C1/p", true, ""), want: transfers.ErrNotPending,
			setup: func(e *env) { e.must(sBankA, confirmWithdrawalMsg("C1/p", false, "no")) }},
		{name: "another bank", signer: sBankB, msg: confirmWithdrawalMsg("C1/p", true, ""), want: accounts.ErrWrongBank},
		{name: "wrong role", signer: sBrokerX, msg: confirmWithdrawalMsg("C1/p", true, ""), want: contracts.ErrUnauthorizedRole},
		{name: "client may not confirm", signer: client("C1"), msg: confirmWithdrawalMsg("C1/p", true, ""), want: contracts.ErrUnauthorizedRole},
		{name: "unknown transfer", signer: sBankA, msg: confirmWithdrawalMsg("C1/zz", true, ""), want: transfers.ErrUnknownTransfer},
		{name: "unknown account", signer: sBankA, msg: confirmWithdrawalMsg("N9/p", true, ""), want: accounts.ErrUnknownAccount},
		{name: "a deposit is not a withdrawal", signer: sBankA, msg: confirmWithdrawalMsg("T1", true, ""), want: transfers.ErrBadTransferID},
		{name: "reason too long", signer: sBankA, msg: confirmWithdrawalMsg("C1/p", false, strings.Repeat("x", 300)), want: accounts.ErrBadReason},
	})
}

func TestFreezeUnfreeze(t *testing.T) {
	runCases(t, []msgCase{
		{name: "freeze", signer: sRegulator, msg: freezeMsg("C1", "inquiry"), check: func(t *testing.T, e *env) {
			if a := wantStatus(t, e, "C1", custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE); !a.Frozen || a.FreezeReason != "inquiry" {
				t.Fatalf("account %v", a)
			}
			wantFunds(t, e, "C1", 10_000, 1_000) // a freeze moves no money
		}},
		{name: "unfreeze", signer: sRegulator, msg: unfreezeMsg("F1", "cleared"), check: func(t *testing.T, e *env) {
			if a, _ := accounts.Get(e.mem, "F1"); a.Frozen || a.FreezeReason != "" || a.UnfreezeReason != "cleared" {
				t.Fatalf("after unfreeze: frozen %v, freeze_reason %q, unfreeze_reason %q; want false, \"\", \"cleared\"", a.Frozen, a.FreezeReason, a.UnfreezeReason)
			}
		}},
		{name: "unfrozen account can send again", signer: client("F1"), msg: withdrawMsg("F1/w", "F1", 500),
			setup: func(e *env) { e.must(sRegulator, unfreezeMsg("F1", "cleared")) }},
		{name: "already frozen", signer: sRegulator, msg: freezeMsg("F1", "again"), want: supervision.ErrAlreadyFrozen},
		{name: "not frozen", signer: sRegulator, msg: unfreezeMsg("C1", "nothing"), want: supervision.ErrNotFrozen},
		{name: "freeze without reason", signer: sRegulator, msg: freezeMsg("C1", ""), want: supervision.ErrNoReason},
		{name: "unfreeze without reason", signer: sRegulator, msg: unfreezeMsg("F1", ""), want: supervision.ErrNoReason},
		{name: "reason too long", signer: sRegulator, msg: freezeMsg("C1", strings.Repeat("x", 257)), want: accounts.ErrBadReason},
		{name: "pending account", signer: sRegulator, msg: freezeMsg("P1", "x"), want: accounts.ErrNotActive},
		{name: "unknown account", signer: sRegulator, msg: freezeMsg("N9", "x"), want: accounts.ErrUnknownAccount},
		{name: "bad account id", signer: sRegulator, msg: unfreezeMsg("", "x"), want: accounts.ErrBadAccountID},
		{name: "broker may not freeze", signer: sBrokerX, msg: freezeMsg("C1", "x"), want: contracts.ErrUnauthorizedRole},
		{name: "bank may not unfreeze", signer: sBankA, msg: unfreezeMsg("F1", "x"), want: contracts.ErrUnauthorizedRole},
		{name: "clearing house may not freeze", signer: sClearing, msg: freezeMsg("C1", "x"), want: contracts.ErrUnauthorizedRole},
	})
}

func TestRouter_EmptyMessage(t *testing.T) {
	e := world(t)
	if _, err := e.exec(sBankA, &custodyv1.Msg{}); !errors.Is(err, contracts.ErrUnknownMessage) {
		t.Fatalf("got %v", err)
	}
}
