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
