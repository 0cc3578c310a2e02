package supervision_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/supervision"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// fuzzValidate: see contracts/accounts/fuzz_test.go.
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

func FuzzValidateFreeze(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgFreezeAccount{AccountId: "C1", Reason: "court order"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgFreezeAccount{}, supervision.ValidateFreeze)
		if ok && (m.Reason == "" || m.AccountId == "") {
			t.Fatalf("accepted %v", m)
		}
	})
}

func FuzzValidateUnfreeze(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgUnfreezeAccount{AccountId: "C1", Reason: "cleared"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgUnfreezeAccount{}, supervision.ValidateUnfreeze)
		if ok && (m.Reason == "" || m.AccountId == "") {
			t.Fatalf("accepted %v", m)
		}
	})
}
