package reconcile_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/reconcile"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

func FuzzValidateStatement(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgSubmitStatement{Date: 20250102, BrokerId: "broker-1", CustodyTotal: 5, ClientCount: 1, ClientsHash: make([]byte, 32)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m custodyv1.MsgSubmitStatement
		if proto.Unmarshal(data, &m) != nil {
			return
		}
		err := reconcile.ValidateStatement(&m)
		var coded *contracts.Error
		if err != nil && !errors.As(err, &coded) {
			t.Fatalf("unregistered refusal %v", err)
		}
		if err == nil && (m.CustodyTotal < 0 || len(m.ClientsHash) != 32) {
			t.Fatalf("accepted %v", &m)
		}
	})
}

// fuzzFile checks that a file validator refuses only with registered
// codes and never panics on any decodable message.
func fuzzFile[M proto.Message](f *testing.F, seed M, newM func() M, validate func(M) error) {
	f.Add(contracts.Marshal(seed))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := newM()
		if proto.Unmarshal(data, m) != nil {
			return
		}
		err := validate(m)
		var coded *contracts.Error
		if err != nil && !errors.As(err, &coded) {
			t.Fatalf("unregistered refusal %v", err)
		}
	})
}

func FuzzValidateTransferJournal(f *testing.F) {
	fuzzFile(f, &custodyv1.MsgSubmitTransferJournal{Date: 20250102, BrokerId: "broker-1", Lines: []*custodyv1.JournalLine{{Serial: "T1", AccountId: "C1", Amount: 5}}},
		func() *custodyv1.MsgSubmitTransferJournal { return &custodyv1.MsgSubmitTransferJournal{} }, reconcile.ValidateTransferJournal)
}

func FuzzValidateClearingFile(f *testing.F) {
	fuzzFile(f, &custodyv1.MsgSubmitClearingFile{Date: 20250102, BrokerId: "broker-1", Markets: []*custodyv1.MarketSettlement{{Market: custodyv1.Market_MARKET_SSE, BuyValue: 5, Net: 5}}},
		func() *custodyv1.MsgSubmitClearingFile { return &custodyv1.MsgSubmitClearingFile{} }, reconcile.ValidateClearingFile)
}

func FuzzValidateHoldingsFile(f *testing.F) {
	fuzzFile(f, &custodyv1.MsgSubmitHoldingsFile{Date: 20250102, BrokerId: "broker-1", Holdings: []*custodyv1.HoldingLine{{AccountId: "C1", Security: "600000.SH", Quantity: 100}}},
		func() *custodyv1.MsgSubmitHoldingsFile { return &custodyv1.MsgSubmitHoldingsFile{} }, reconcile.ValidateHoldingsFile)
}

func FuzzValidateInterestFile(f *testing.F) {
	fuzzFile(f, &custodyv1.MsgSubmitInterestFile{Date: 20250320, BrokerId: "broker-1", Interest: []*custodyv1.AccountAmount{{AccountId: "C1", Amount: 5}}},
		func() *custodyv1.MsgSubmitInterestFile { return &custodyv1.MsgSubmitInterestFile{} }, reconcile.ValidateInterestFile)
}
