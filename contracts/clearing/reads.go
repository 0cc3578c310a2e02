package clearing

import (
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Reads declares who may read the clearing contract's records: a broker's
// settlement report and break are its own and the clearing house's; a
// custody snapshot is its bank's and broker's and the clearing house's.
func Reads() []contracts.RecordKind {
	clearingHouse := []custodyv1.Role{custodyv1.Role_ROLE_CLEARING_HOUSE}
	return []contracts.RecordKind{{
		Name: "settlement report", Prefix: []byte{contracts.PrefixSettlement},
		Audience: func(_, value []byte) contracts.Audience {
			var r custodyv1.SettlementReport
			if proto.Unmarshal(value, &r) != nil {
				return contracts.Audience{}
			}
			return contracts.Audience{Participants: []string{r.BrokerId}, Roles: clearingHouse}
		},
	}, {
		Name: "settlement break", Prefix: []byte{contracts.PrefixSettleBreak},
		Audience: func(_, value []byte) contracts.Audience {
			var b custodyv1.SettlementBreak
			if proto.Unmarshal(value, &b) != nil {
				return contracts.Audience{}
			}
			return contracts.Audience{Participants: []string{b.BrokerId}, Roles: clearingHouse}
		},
	}, {
		Name: "custody snapshot", Prefix: []byte{contracts.PrefixCustodySnap},
		Audience: func(_, value []byte) contracts.Audience {
			var s custodyv1.CustodySnapshot
			if proto.Unmarshal(value, &s) != nil {
				return contracts.Audience{}
			}
			return contracts.Audience{Participants: []string{s.BankId, s.BrokerId}, Roles: clearingHouse}
		},
	}}
}

// SettlementAudience is who may read a broker's settlement data, stored
// or not.
func SettlementAudience(brokerID string) contracts.Audience {
	return contracts.Audience{Participants: []string{brokerID}, Roles: []custodyv1.Role{custodyv1.Role_ROLE_CLEARING_HOUSE}}
}
