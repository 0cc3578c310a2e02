package transfers

import (
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Reads declares who may read a transfer: as its account (the transfer
// names it), and the risk operators, whose surveillance follows fund
// movements (risk/chain's ledger feed).
func Reads() []contracts.RecordKind {
	return []contracts.RecordKind{{
		Name: "transfer", Prefix: []byte{contracts.PrefixTransfer},
		Audience: func(_, value []byte) contracts.Audience {
			var t custodyv1.Transfer
			if proto.Unmarshal(value, &t) != nil || t.AccountId == "" {
				return contracts.Audience{}
			}
			return contracts.Audience{Account: t.AccountId, Roles: []custodyv1.Role{custodyv1.Role_ROLE_RISK_OPERATOR}}
		},
	}}
}
