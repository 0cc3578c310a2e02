package accounts_test

import (
	"crypto/ed25519"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// fuzzValidate decodes fuzz bytes into a message and validates it. A
// validator must never panic, must refuse with a registered error only,
// and must be a function of the message: its re-encoding validates the
// same way.
func fuzzValidate[M proto.Message](t *testing.T, data []byte, m M, validate func(M) error) (M, bool) {
	if proto.Unmarshal(data, m) != nil {
		return m, false
	}
	err := validate(m)
	var coded *contracts.Error
	if err != nil && !errors.As(err, &coded) {
		t.Fatalf("unregistered refusal %v", err)
	}
	again := m.ProtoReflect().New().Interface().(M)
	if proto.Unmarshal(contracts.Marshal(m), again) != nil || (validate(again) == nil) != (err == nil) {
		t.Fatalf("re-encoded message validates differently: %v", err)
	}
	return m, err == nil
}

func FuzzValidateOpen(f *testing.F) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	r := &custodyv1.OpeningRequest{ChainId: "test", AccountId: "C1", BrokerId: "broker-x", BankId: "bank-a",
		ClientPubKey: key.Public().(ed25519.PublicKey), IdentityHash: []byte("0123456789abcdef0123456789abcdef"),
		BankCardHash: []byte("0123456789abcdef0123456789abcdef"), ShareholderAccounts: []string{"A123456789"}}
	f.Add(contracts.Marshal(&custodyv1.MsgOpenAccount{Request: r, ClientSignature: accounts.SignOpening(key, r)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgOpenAccount{}, accounts.ValidateOpen)
		if !ok {
			return
		}
		r := m.Request
		if len(r.AccountId) == 0 || len(r.AccountId) > 32 || len(r.IdentityHash) != 32 || len(r.BankCardHash) != 32 ||
			len(r.ClientPubKey) != 32 || !ed25519.Verify(r.ClientPubKey, accounts.OpeningSignBytes(r), m.ClientSignature) {
			t.Fatalf("accepted %v", m)
		}
	})
}

func FuzzValidateProposeKey(f *testing.F) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	r := &custodyv1.ClientKeyRequest{ChainId: "test", AccountId: "C1", BrokerId: "broker-x", BankId: "bank-a",
		NewClientPubKey: key.Public().(ed25519.PublicKey)}
	f.Add(contracts.Marshal(&custodyv1.MsgProposeClientKey{Request: r, ClientSignature: accounts.SignClientKey(key, r), Reason: "lost phone"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgProposeClientKey{}, accounts.ValidateProposeKey)
		if ok && !ed25519.Verify(m.Request.NewClientPubKey, accounts.ClientKeySignBytes(m.Request), m.ClientSignature) {
			t.Fatalf("accepted %v", m)
		}
	})
}

func FuzzValidateConfirm(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgConfirmAccount{AccountId: "C1", Approve: true, ClientPubKey: make([]byte, 32)}))
	f.Add(contracts.Marshal(&custodyv1.MsgConfirmAccount{AccountId: "C1", Reason: "identity mismatch"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgConfirmAccount{}, accounts.ValidateConfirm)
		if ok && (!m.Approve && m.Reason == "" || m.Approve && len(m.ClientPubKey) != 32 || len(m.Reason) > accounts.MaxReasonLen) {
			t.Fatalf("accepted %v", m)
		}
	})
}

func FuzzValidateClose(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgCloseAccount{AccountId: "C1"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgCloseAccount{}, accounts.ValidateClose)
		if ok && accounts.ValidateAccountID(m.AccountId) != nil {
			t.Fatalf("accepted %v", m)
		}
	})
}
