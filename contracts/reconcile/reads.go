package reconcile

import (
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Reads declares who may read a reconciliation result: its bank, its
// broker and the clearing house. The break index is the regulator's (the
// list of breaks shows the results instead).
func Reads() []contracts.RecordKind {
	return []contracts.RecordKind{{
		Name: "reconciliation result", Prefix: []byte{contracts.PrefixReconcile},
		Audience: func(_, value []byte) contracts.Audience {
			var r custodyv1.ReconResult
			if proto.Unmarshal(value, &r) != nil {
				return contracts.Audience{}
			}
			return ResultAudience(r.BankId, r.BrokerId)
		},
	}, {
		Name: "reconciliation break index", Prefix: []byte{contracts.PrefixReconcileBreak},
	}}
}

// ResultAudience is who may read the reconciliation of bank and broker.
func ResultAudience(bankID, brokerID string) contracts.Audience {
	return contracts.Audience{Participants: []string{bankID, brokerID}, Roles: []custodyv1.Role{custodyv1.Role_ROLE_CLEARING_HOUSE}}
}
