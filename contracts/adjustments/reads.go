package adjustments

import (
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Audience is who may read an adjustment: the parties of the break it
// resolves (a reconciliation break's bank and broker, a settlement break's
// broker), the clearing house, and the regulator, who reads all.
func Audience(a *custodyv1.Adjustment) contracts.Audience {
	b := a.GetBreak()
	parts := []string{b.GetBrokerId()}
	if b.GetBankId() != "" {
		parts = append(parts, b.GetBankId())
	}
	return contracts.Audience{Participants: parts, Roles: []custodyv1.Role{custodyv1.Role_ROLE_CLEARING_HOUSE}}
}

// Reads declares who may read the adjustments contract's records.
func Reads() []contracts.RecordKind {
	return []contracts.RecordKind{{
		Name: "adjustment", Prefix: []byte{contracts.PrefixAdjustment},
		Audience: func(_, value []byte) contracts.Audience {
			var a custodyv1.Adjustment
			if proto.Unmarshal(value, &a) != nil {
				return contracts.Audience{}
			}
			return Audience(&a)
		},
	}}
}
