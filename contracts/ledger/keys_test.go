package ledger_test

import (
	"errors"
	"testing"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/participants"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Institution key lifecycle (rotate_key, revoke_key, add_operator) and the
// key history. Signers here come from the key records, as auth.Authenticate
// builds them, so a disabled key is refused as the abci package refuses it.

// keySigner is the Signer of the registered key pubKey(name), or the error
// auth.Authenticate would give (unknown or disabled key).
func (e *env) keySigner(name string) (contracts.Signer, error) {
	rec, err := auth.Get(e.mem, auth.Address(pubKey(name)))
	if err != nil {
		return contracts.Signer{}, err
	}
	if rec.Disabled {
		return contracts.Signer{}, contracts.ErrSignerDisabled.Wrapf("key %s", name)
	}
	return contracts.Signer{Address: auth.Address(rec.PubKey), Role: rec.Role, Owner: rec.Owner, Operator: rec.Operator}, nil
}

func (e *env) signerOf(name string) contracts.Signer {
	e.t.Helper()
	s, err := e.keySigner(name)
	if err != nil {
		e.t.Fatalf("key %s: %v", name, err)
	}
	return s
}

func rotateMsg(newKey string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_RotateKey{RotateKey: &custodyv1.MsgRotateKey{NewPubKey: pubKey(newKey), Reason: "scheduled"}}}
}

func revokeMsg(name, reason string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_RevokeKey{RevokeKey: &custodyv1.MsgRevokeKey{Address: auth.Address(pubKey(name)), Reason: reason}}}
}

func addOperatorMsg(name string, limit int64, types ...string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_AddOperator{AddOperator: &custodyv1.MsgAddOperator{
		PubKey: pubKey(name), Grant: &custodyv1.OperatorGrant{MsgTypes: types, AmountLimit: limit, Label: name},
	}}}
}

func wantCode(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
}

func history(e *env, id string) []*custodyv1.KeyEvent { return participants.History(e.mem, id, 1, 0) }

func TestRotateKey(t *testing.T) {
	e := world(t)
	old := e.signerOf(bankA)
	e.must(old, rotateMsg("bank-a v2"))

	// The rotation was the old key's last tx.
	if _, err := e.keySigner(bankA); !errors.Is(err, contracts.ErrSignerDisabled) {
		t.Fatalf("old key after rotation: %v", err)
	}
	rec, _ := auth.Get(e.mem, old.Address)
	if rec.DisabledReason != custodyv1.KeyDisableReason_KEY_DISABLE_REASON_ROTATED || rec.ReplacedBy != auth.Address(pubKey("bank-a v2")) || rec.DisabledHeight == 0 {
		t.Fatalf("old key record %v", rec)
	}
	// The new key has the same owner and role and works.
	nk := e.signerOf("bank-a v2")
	if nk.Owner != bankA || nk.Role != custodyv1.Role_ROLE_BANK || nk.Operator != nil {
		t.Fatalf("new key signer %+v", nk)
	}
	e.must(nk, depositMsg("T9", "C1", 5))
	wantFunds(t, e, "C1", 10_005, 1_000)

	h := history(e, bankA)
	if len(h) != 1 || h[0].Kind != custodyv1.KeyEventKind_KEY_EVENT_KIND_ROTATED || h[0].Address != old.Address ||
		h[0].NewAddress != nk.Address || h[0].By != old.Address || h[0].Seq != 1 || len(h[0].TxHash) != 32 {
		t.Fatalf("history %v", h)
	}
	p, _ := participants.Get(e.mem, bankA)
	if len(p.PubKeys) != 2 {
		t.Fatalf("participant keys %d, want 2", len(p.PubKeys))
	}
	// A key rotated twice keeps the first key as its lineage.
	e.must(nk, rotateMsg("bank-a v3"))
	r3, _ := auth.Get(e.mem, auth.Address(pubKey("bank-a v3")))
	if r3.Lineage != old.Address {
		t.Fatalf("lineage %q, want %q", r3.Lineage, old.Address)
	}
	if h := history(e, bankA); len(h) != 2 || h[1].Seq != 2 {
		t.Fatalf("history %v", h)
	}
	e.checkInvariants()
}

func TestRotateKey_Refusals(t *testing.T) {
	e := world(t)
	// Rotating into a key already registered (its own, another
	// institution's, a client's).
	for _, name := range []string{bankA, brokerX, "client C1"} {
		_, err := e.exec(e.signerOf(bankA), rotateMsg(name))
		wantCode(t, err, auth.ErrKeyExists)
	}
	// Bad key length (stateless).
	bad := &custodyv1.Msg{Sum: &custodyv1.Msg_RotateKey{RotateKey: &custodyv1.MsgRotateKey{NewPubKey: []byte{1, 2}}}}
	_, err := e.exec(e.signerOf(bankA), bad)
	wantCode(t, err, auth.ErrBadPubKey)
	// A client key may not rotate here (the accounts contract owns client keys).
	_, err = e.exec(client("C1"), rotateMsg("client C1 v2"))
	wantCode(t, err, contracts.ErrUnauthorizedRole)
	// Reason too long.
	long := rotateMsg("x")
	long.GetRotateKey().Reason = string(make([]byte, 257))
	_, err = e.exec(e.signerOf(bankA), long)
	wantCode(t, err, participants.ErrBadKeyMessage)
}

func TestRevokeKey(t *testing.T) {
	e := world(t)
	admin := e.signerOf(bankA)
	e.must(admin, rotateMsg("bank-a v2")) // bank-a: old disabled, v2 active
	e.must(e.signerOf("bank-a v2"), addOperatorMsg("bank-a op1", 100, "bank_to_broker"))
	// bank-a gets a second admin-free key set: only v2 is unrestricted. The
	// regulator revokes the operator at once.
	e.must(sRegulator, revokeMsg("bank-a op1", "laptop stolen"))
	if _, err := e.keySigner("bank-a op1"); !errors.Is(err, contracts.ErrSignerDisabled) {
		t.Fatalf("revoked key signs: %v", err)
	}
	rec, _ := auth.Get(e.mem, auth.Address(pubKey("bank-a op1")))
	if rec.DisabledReason != custodyv1.KeyDisableReason_KEY_DISABLE_REASON_REVOKED {
		t.Fatalf("record %v", rec)
	}
	h := history(e, bankA)
	if len(h) != 3 || h[2].Kind != custodyv1.KeyEventKind_KEY_EVENT_KIND_REVOKED || h[2].ByOwner != regulator || h[2].Reason != "laptop stolen" {
		t.Fatalf("history %v", h)
	}
	for _, ev := range e.events {
		if ev.Type == "key_revoked" {
			goto found
		}
	}
	t.Fatalf("no key_revoked event in %v", e.events)
found:
	// The regulator may revoke an admin key when another remains.
	e.must(sBrokerX, rotateMsg("broker-x v2"))
	bx := e.signerOf("broker-x v2")
	e.must(bx, addOperatorMsg("broker-x op", 0, "open_account"))
	// broker-x's only unrestricted key cannot go, even by the regulator.
	_, err := e.exec(sRegulator, revokeMsg("broker-x v2", "test"))
	wantCode(t, err, participants.ErrLastKey)
	e.checkInvariants()
}

func TestRevokeKey_Refusals(t *testing.T) {
	e := world(t)
	e.must(sBankA, addOperatorMsg("bank-a op1", 100, "bank_to_broker"))
	e.must(sBankB, addOperatorMsg("bank-b op1", 100, "bank_to_broker"))
	cases := []struct {
		name   string
		signer contracts.Signer
		msg    *custodyv1.Msg
		want   error
	}{
		{"unknown key", sRegulator, revokeMsg("nobody", "x"), participants.ErrUnknownKey},
		{"client key", sRegulator, revokeMsg("client C1", "x"), participants.ErrNotInstitutionKey},
		{"other institution", sBankB, revokeMsg("bank-a op1", "x"), participants.ErrWrongSigner},
		{"broker of another", sBrokerX, revokeMsg("bank-a op1", "x"), participants.ErrWrongSigner},
		{"operator revoking", e.signerOf("bank-b op1"), revokeMsg("bank-b op1", "x"), contracts.ErrNotGranted},
		{"last admin key", sRegulator, revokeMsg(bankA, "x"), participants.ErrLastKey},
		{"own last admin key", sBankA, revokeMsg(bankA, "x"), participants.ErrLastKey},
		{"no reason", sRegulator, revokeMsg("bank-a op1", ""), participants.ErrBadKeyMessage},
		{"bad address", sRegulator, &custodyv1.Msg{Sum: &custodyv1.Msg_RevokeKey{RevokeKey: &custodyv1.MsgRevokeKey{Address: "XYZ", Reason: "x"}}}, participants.ErrBadKeyMessage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.exec(tc.signer, tc.msg)
			wantCode(t, err, tc.want)
		})
	}
	// The institution's admin key revokes its own operator; twice is refused.
	e.must(sBankA, revokeMsg("bank-a op1", "left the bank"))
	_, err := e.exec(sRegulator, revokeMsg("bank-a op1", "again"))
	wantCode(t, err, participants.ErrKeyNotActive)
	// A rotated key cannot be revoked either: it is already inactive.
	e.must(sBankB, rotateMsg("bank-b v2"))
	_, err = e.exec(sRegulator, revokeMsg(bankB, "x"))
	wantCode(t, err, participants.ErrKeyNotActive)
}

func TestAddOperator(t *testing.T) {
	e := world(t)
	e.must(sBankA, addOperatorMsg("bank-a op1", 2_000, "approve_pending", "bank_to_broker", "confirm_withdrawal"))
	op := e.signerOf("bank-a op1")
	if op.Owner != bankA || op.Role != custodyv1.Role_ROLE_BANK || op.Operator.AmountLimit != 2_000 {
		t.Fatalf("operator signer %+v", op)
	}
	h := history(e, bankA)
	if len(h) != 1 || h[0].Kind != custodyv1.KeyEventKind_KEY_EVENT_KIND_OPERATOR_ADDED || h[0].Operator.AmountLimit != 2_000 {
		t.Fatalf("history %v", h)
	}
	// Within its grant and limit the operator acts as the bank.
	e.must(op, depositMsg("T9", "C1", 2_000))
	wantFunds(t, e, "C1", 12_000, 1_000)
	// Outside its grant it is refused before execution.
	_, err := e.exec(op, freezeMsg("C1", "x"))
	wantCode(t, err, contracts.ErrUnauthorizedRole) // the role check comes first
	_, err = e.exec(op, confirmMsg("P1", true, ""))
	wantCode(t, err, contracts.ErrNotGranted)
	// Rotating needs rotate_key in the grant, like any message.
	_, err = e.exec(op, rotateMsg("y"))
	wantCode(t, err, contracts.ErrNotGranted)
	e.checkInvariants()
}

func TestAddOperator_RotationNeedsGrant(t *testing.T) {
	e := world(t)
	e.must(sBankA, addOperatorMsg("op", 10, "bank_to_broker", "rotate_key"))
	op := e.signerOf("op")
	e.must(op, rotateMsg("op v2"))
	nk := e.signerOf("op v2")
	if nk.Operator == nil || nk.Operator.AmountLimit != 10 || len(nk.Operator.MsgTypes) != 2 {
		t.Fatalf("rotated operator grant %+v", nk.Operator)
	}
	rec, _ := auth.Get(e.mem, nk.Address)
	if rec.Lineage != op.Address {
		t.Fatalf("lineage %q", rec.Lineage)
	}
}

func TestAddOperator_Refusals(t *testing.T) {
	e := world(t)
	e.must(sBankA, addOperatorMsg("op", 10, "bank_to_broker"))
	cases := []struct {
		name   string
		signer contracts.Signer
		msg    *custodyv1.Msg
		want   error
	}{
		{"regulator", sRegulator, addOperatorMsg("n1", 1, "bank_to_broker"), contracts.ErrUnauthorizedRole},
		{"clearing house", sClearing, addOperatorMsg("n1", 1, "bank_to_broker"), contracts.ErrUnauthorizedRole},
		{"operator adds operator", e.signerOf("op"), addOperatorMsg("n1", 1, "bank_to_broker"), contracts.ErrNotGranted},
		{"key exists", sBankA, addOperatorMsg("op", 1, "bank_to_broker"), auth.ErrKeyExists},
		{"key of another", sBankA, addOperatorMsg(brokerX, 1, "bank_to_broker"), auth.ErrKeyExists},
		{"no types", sBankA, addOperatorMsg("n1", 1), participants.ErrBadGrant},
		{"unknown type", sBankA, addOperatorMsg("n1", 1, "send_money"), participants.ErrBadGrant},
		{"key management", sBankA, addOperatorMsg("n1", 1, "add_operator"), participants.ErrBadGrant},
		{"revoke", sBankA, addOperatorMsg("n1", 1, "revoke_key"), participants.ErrBadGrant},
		{"unsorted", sBankA, addOperatorMsg("n1", 1, "confirm_withdrawal", "bank_to_broker"), participants.ErrBadGrant},
		{"repeated", sBankA, addOperatorMsg("n1", 1, "bank_to_broker", "bank_to_broker"), participants.ErrBadGrant},
		{"negative limit", sBankA, addOperatorMsg("n1", -1, "bank_to_broker"), participants.ErrBadGrant},
		{"no grant", sBankA, &custodyv1.Msg{Sum: &custodyv1.Msg_AddOperator{AddOperator: &custodyv1.MsgAddOperator{PubKey: pubKey("n1")}}}, participants.ErrBadGrant},
		{"bad key", sBankA, &custodyv1.Msg{Sum: &custodyv1.Msg_AddOperator{AddOperator: &custodyv1.MsgAddOperator{PubKey: []byte{1}}}}, auth.ErrBadPubKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.exec(tc.signer, tc.msg)
			wantCode(t, err, tc.want)
		})
	}
}

func TestKeyHistory_ReadPolicy(t *testing.T) {
	for _, r := range []custodyv1.Role{custodyv1.Role_ROLE_BANK, custodyv1.Role_ROLE_BROKER, custodyv1.Role_ROLE_REGULATOR,
		custodyv1.Role_ROLE_CLEARING_HOUSE, custodyv1.Role_ROLE_RISK_OPERATOR} {
		if !participants.MayReadKeyHistory(r) {
			t.Errorf("%s may not read key history", r)
		}
	}
	if participants.MayReadKeyHistory(custodyv1.Role_ROLE_CLIENT) || participants.MayReadKeyHistory(custodyv1.Role_ROLE_UNSPECIFIED) {
		t.Error("a client reads key history")
	}
}
