package client_test

import (
	"crypto/ed25519"
	"errors"
	"slices"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/participants"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

func TestTokenVerifyRecord_DisabledKey(t *testing.T) {
	key := tokenKey(t, 7)
	pub := key.Public().(ed25519.PublicKey)
	now := time.Unix(1_700_000_000, 0)
	raw, err := client.NewToken(key, "chain-a", now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := client.ParseToken(raw)
	if err != nil {
		t.Fatal(err)
	}
	rec := &custodyv1.KeyRecord{PubKey: pub, Role: custodyv1.Role_ROLE_BANK, Owner: "bank-1"}
	if err := tok.VerifyRecord(rec, "chain-a", now); err != nil {
		t.Fatalf("active key: %v", err)
	}
	for _, reason := range []custodyv1.KeyDisableReason{
		custodyv1.KeyDisableReason_KEY_DISABLE_REASON_ROTATED, custodyv1.KeyDisableReason_KEY_DISABLE_REASON_REVOKED,
		custodyv1.KeyDisableReason_KEY_DISABLE_REASON_ACCOUNT_CLOSED,
	} {
		rec.Disabled, rec.DisabledReason, rec.DisabledHeight = true, reason, 9
		if err := tok.VerifyRecord(rec, "chain-a", now); !errors.Is(err, client.ErrTokenKeyDisabled) {
			t.Fatalf("%s key: %v", reason, err)
		}
	}
	// A bad signature is still a bad signature, disabled or not.
	rec.PubKey = tokenKey(t, 8).Public().(ed25519.PublicKey)
	if err := tok.VerifyRecord(rec, "chain-a", now); !errors.Is(err, client.ErrTokenSignature) {
		t.Fatalf("other key: %v", err)
	}
}

func TestAddOperator_SortsGrant(t *testing.T) {
	m := client.AddOperator(make([]byte, 32), []string{"confirm_withdrawal", "bank_to_broker", "approve_pending", "bank_to_broker"}, 500, "desk")
	want := []string{"approve_pending", "bank_to_broker", "confirm_withdrawal"}
	if !slices.Equal(m.Grant.MsgTypes, want) || m.Grant.AmountLimit != 500 {
		t.Fatalf("grant %v", m.Grant)
	}
	// What the builder makes, the chain accepts.
	if err := participants.ValidateAddOperator(m); err != nil {
		t.Fatal(err)
	}
}

func TestHeldForApproval(t *testing.T) {
	held := &client.Result{Events: []abcitypes.Event{
		{Type: "tx", Attributes: []abcitypes.EventAttribute{{Key: "type", Value: "confirm_withdrawal"}}},
		{Type: "approval_pending", Attributes: []abcitypes.EventAttribute{{Key: "participant_id", Value: "bank-1"}, {Key: "id", Value: "42"}}},
	}}
	if id, ok := client.HeldForApproval(held); !ok || id != 42 {
		t.Fatalf("held: %d %v", id, ok)
	}
	done := &client.Result{Events: []abcitypes.Event{{Type: "withdrawal_completed"}}}
	if _, ok := client.HeldForApproval(done); ok {
		t.Fatal("an executed result reads as held")
	}
	if _, ok := client.HeldForApproval(nil); ok {
		t.Fatal("nil reads as held")
	}
}
