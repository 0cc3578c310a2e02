package funds

import (
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Reads declares who may read the funds contract's records: an account's
// funds and fund ledger go with the account; a custody total is its
// bank's and broker's and the clearing house's; the chain-wide supply is
// for institutions; a system account is its owner's and the clearing
// house's.
func Reads() []contracts.RecordKind {
	clearingHouse := []custodyv1.Role{custodyv1.Role_ROLE_CLEARING_HOUSE}
	return []contracts.RecordKind{{
		// What an account owes its bank after a deposit reversal goes
		// with the account, like its funds.
		Name: "receivable", ByKey: true, Prefix: []byte{contracts.PrefixReceivable},
		Audience: func(key, _ []byte) contracts.Audience {
			return contracts.Audience{Account: string(key[1:])}
		},
	}, {
		Name: "funds", ByKey: true, Prefix: []byte{contracts.PrefixFunds},
		Audience: func(key, _ []byte) contracts.Audience {
			return contracts.Audience{Account: string(key[1:])}
		},
	}, {
		Name: "fund ledger entry", ByKey: true, Prefix: []byte{contracts.PrefixFundLedger},
		Audience: func(key, _ []byte) contracts.Audience {
			id, ok := contracts.LenPrefixedPart(key, 1)
			if !ok {
				return contracts.Audience{}
			}
			return contracts.Audience{Account: id}
		},
	}, {
		Name: "custody total", ByKey: true, Prefix: []byte{contracts.PrefixCustodyTotal},
		Audience: func(key, _ []byte) contracts.Audience {
			bank, ok := contracts.LenPrefixedPart(key, 1)
			if !ok {
				return contracts.Audience{}
			}
			return contracts.Audience{Participants: []string{bank, string(key[2+len(bank):])}, Roles: clearingHouse}
		},
	}, {
		Name: "supply", ByKey: true, Prefix: []byte{contracts.PrefixSupply},
		Audience: func(_, _ []byte) contracts.Audience { return contracts.Audience{Institutions: true} },
	}, {
		Name: "system account", Prefix: []byte{contracts.PrefixSystemAccount},
		Audience: func(_, value []byte) contracts.Audience {
			var a custodyv1.SystemAccount
			if proto.Unmarshal(value, &a) != nil {
				return contracts.Audience{}
			}
			return contracts.Audience{Participants: []string{a.Owner}, Roles: clearingHouse}
		},
	}}
}

// CustodyTotalAudience is who may read the custody total of bank for
// broker, whether or not one is stored.
func CustodyTotalAudience(bankID, brokerID string) contracts.Audience {
	return contracts.Audience{Participants: []string{bankID, brokerID}, Roles: []custodyv1.Role{custodyv1.Role_ROLE_CLEARING_HOUSE}}
}
