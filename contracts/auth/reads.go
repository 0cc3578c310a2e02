package auth

import (
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Reads declares who may read the key registry: an institution's keys are
// public (every caller checks tokens and txs against them); a client's key
// names its account, so it is visible to whoever may read that account.
func Reads() []contracts.RecordKind {
	return []contracts.RecordKind{{
		Name: "key record", Prefix: []byte{contracts.PrefixKey},
		Audience: func(_, value []byte) contracts.Audience {
			var rec custodyv1.KeyRecord
			if proto.Unmarshal(value, &rec) != nil {
				return contracts.Audience{}
			}
			if rec.Role != custodyv1.Role_ROLE_CLIENT {
				return contracts.Audience{Public: true}
			}
			return contracts.Audience{Account: rec.Owner}
		},
	}}
}
