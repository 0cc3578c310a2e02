package adjustments_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/adjustments"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// FuzzValidatePropose: whatever decodes either validates with a
// registered refusal or is a proposal whose legs sum to its net, each leg
// non-zero and once, with a break of a known kind.
func FuzzValidatePropose(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgProposeAdjustment{AdjustmentId: "A1",
		Break: &custodyv1.BreakRef{Kind: custodyv1.BreakKind_BREAK_KIND_RECONCILIATION, Date: 20250102, BankId: "bank-a", BrokerId: "broker-x"},
		Legs:  []*custodyv1.AdjustmentLeg{{AccountId: "C1", Amount: 300}, {AccountId: "C2", Amount: -100}}, NetBoundary: 200, Reason: "r"}))
	f.Add(contracts.Marshal(&custodyv1.MsgProposeAdjustment{AdjustmentId: "S1",
		Break:  &custodyv1.BreakRef{Kind: custodyv1.BreakKind_BREAK_KIND_SETTLEMENT, Date: 20250102, BrokerId: "broker-x"},
		Reason: "file was wrong"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m custodyv1.MsgProposeAdjustment
		if proto.Unmarshal(data, &m) != nil {
			return
		}
		err := adjustments.ValidatePropose(&m)
		var coded *contracts.Error
		if err != nil {
			if !errors.As(err, &coded) {
				t.Fatalf("unregistered refusal %v", err)
			}
			return
		}
		var net int64
		seen := map[string]bool{}
		for _, l := range m.Legs {
			if l.Amount == 0 || seen[l.AccountId] {
				t.Fatalf("accepted %v", &m)
			}
			seen[l.AccountId] = true
			net += l.Amount
		}
		if net != m.NetBoundary || m.Reason == "" || m.Break.Kind == custodyv1.BreakKind_BREAK_KIND_UNSPECIFIED ||
			(len(m.Legs) == 0 && m.Break.Kind != custodyv1.BreakKind_BREAK_KIND_SETTLEMENT) {
			t.Fatalf("accepted %v", &m)
		}
	})
}
