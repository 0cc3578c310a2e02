package participants_test

import (
	"errors"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/participants"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// fuzzValidate: see contracts/accounts/fuzz_test.go. Every refusal is a
// registered code, and a message validates as its re-encoding does.
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

func FuzzValidateAddOperator(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgAddOperator{PubKey: make([]byte, 32), Grant: &custodyv1.OperatorGrant{
		MsgTypes: []string{"approve_pending", "bank_to_broker"}, AmountLimit: 1_000, Label: "desk"}}))
	f.Add(contracts.Marshal(&custodyv1.MsgAddOperator{PubKey: make([]byte, 32), Grant: &custodyv1.OperatorGrant{
		MsgTypes: []string{"revoke_key"}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgAddOperator{}, participants.ValidateAddOperator)
		if !ok {
			return
		}
		g := m.Grant
		if len(m.PubKey) != 32 || g.AmountLimit < 0 || len(g.MsgTypes) == 0 || !slices.IsSorted(g.MsgTypes) ||
			len(slices.Compact(slices.Clone(g.MsgTypes))) != len(g.MsgTypes) ||
			slices.Contains(g.MsgTypes, "add_operator") || slices.Contains(g.MsgTypes, "revoke_key") {
			t.Fatalf("accepted %v", m)
		}
	})
}

func FuzzValidateRevokeKey(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgRevokeKey{Address: "00112233445566778899aabbccddeeff00112233", Reason: "lost"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgRevokeKey{}, participants.ValidateRevokeKey)
		if ok && (len(m.Address) != 40 || m.Reason == "" || len(m.Reason) > participants.MaxReasonLen) {
			t.Fatalf("accepted %v", m)
		}
	})
}

func FuzzValidateRotateKey(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgRotateKey{NewPubKey: make([]byte, 32), Reason: "yearly"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgRotateKey{}, participants.ValidateRotateKey)
		if ok && (len(m.NewPubKey) != 32 || len(m.Reason) > participants.MaxReasonLen) {
			t.Fatalf("accepted %v", m)
		}
	})
}
