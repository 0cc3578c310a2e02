package accounts

import (
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Reads declares who may read the accounts contract's records. An account
// is its client's, its broker's and its custody bank's, and the risk
// operators' (surveillance), and the regulator's, who reads everything;
// the identity index maps identity hashes to accounts and is the
// regulator's alone.
func Reads() []contracts.RecordKind {
	return []contracts.RecordKind{{
		Name: "account", ByKey: true, Prefix: []byte{contracts.PrefixAccount},
		Audience: func(key, _ []byte) contracts.Audience {
			// Risk operators read the account records (not the funds):
			// surveillance groups associated accounts by identity hash
			// across brokers and watches their shareholder accounts
			// (risk/chain onboarding).
			return contracts.Audience{Account: string(key[1:]), Roles: []custodyv1.Role{custodyv1.Role_ROLE_RISK_OPERATOR}}
		},
	}, {
		Name: "identity index", Prefix: []byte{contracts.PrefixIdentityIndex},
	}}
}

// Parties resolves an account's broker and bank for contracts.Audience
// (the contracts.AccountParties of the read policy).
func Parties(store contracts.Store, id string) (brokerID, bankID string, ok bool) {
	bz := store.Get(AccountKey(id))
	if bz == nil {
		return "", "", false
	}
	var a custodyv1.Account
	if proto.Unmarshal(bz, &a) != nil {
		return "", "", false
	}
	return a.BrokerId, a.BankId, true
}
