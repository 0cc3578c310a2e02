package accounts_test

import (
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
	f.Add(contracts.Marshal(&custodyv1.MsgOpenAccount{AccountId: "C1", ClientPubKey: make([]byte, 32), IdentityHash: []byte("0123456789abcdef0123456789abcdef"), BankCardHash: []byte("0123456789abcdef0123456789abcdef"), BankId: "bank-a", ShareholderAccounts: []string{"A123456789"}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgOpenAccount{}, accounts.ValidateOpen)
		if ok && (len(m.AccountId) == 0 || len(m.AccountId) > 32 || len(m.IdentityHash) != 32 || len(m.BankCardHash) != 32 || len(m.ClientPubKey) != 32) {
			t.Fatalf("accepted %v", m)
		}
	})
}

func FuzzValidateConfirm(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgConfirmAccount{AccountId: "C1", Approve: true}))
	f.Add(contracts.Marshal(&custodyv1.MsgConfirmAccount{AccountId: "C1", Reason: "identity mismatch"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgConfirmAccount{}, accounts.ValidateConfirm)
		if ok && (!m.Approve && m.Reason == "" || len(m.Reason) > accounts.MaxReasonLen) {
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
