package transfers_test

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/transfers"
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

func inRange(a int64) bool { return a > 0 && a <= transfers.MaxAmount }

func FuzzValidateBankToBroker(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgBankToBroker{TransferId: "20240601-0001", AccountId: "C1", Amount: 10_000}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgBankToBroker{}, transfers.ValidateBankToBroker)
		if ok && (!inRange(m.Amount) || strings.Contains(m.TransferId, "/") || m.TransferId == "") {
			t.Fatalf("accepted %v", m)
		}
	})
}

func FuzzValidateRequestWithdrawal(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgRequestWithdrawal{TransferId: "C1/w1", AccountId: "C1", Amount: 500}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgRequestWithdrawal{}, transfers.ValidateRequestWithdrawal)
		if ok && (!inRange(m.Amount) || !strings.HasPrefix(m.TransferId, m.AccountId+"/")) {
			t.Fatalf("accepted %v", m)
		}
	})
}

func FuzzValidateConfirmWithdrawal(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgConfirmWithdrawal{TransferId: "C1/w1", Success: true}))
	f.Add(contracts.Marshal(&custodyv1.MsgConfirmWithdrawal{TransferId: "C1/w1", Reason: "card closed"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgConfirmWithdrawal{}, transfers.ValidateConfirmWithdrawal)
		if _, err := transfers.SplitWithdrawalID(m.TransferId); ok && err != nil {
			t.Fatalf("accepted %v", m)
		}
	})
}

func FuzzValidateReverseTransfer(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgReverseTransfer{TransferId: "20240601-0001", Reason: "booked twice"}))
	f.Add(contracts.Marshal(&custodyv1.MsgReverseTransfer{TransferId: "C1/w1", Reason: "card closed"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := fuzzValidate(t, data, &custodyv1.MsgReverseTransfer{}, transfers.ValidateReverseTransfer)
		if ok && (m.Reason == "" || len(m.Reason) > transfers.MaxReversalReasonLen || strings.Contains(m.TransferId, "#") || m.TransferId == "") {
			t.Fatalf("accepted %v", m)
		}
	})
}
