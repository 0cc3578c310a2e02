package accounts

import "github.com/custody-ledger/custody/contracts"

// AccountKey is the key of an Account: 0x10 | account id.
func AccountKey(id string) []byte {
	return append([]byte{contracts.PrefixAccount}, id...)
}

// IdentityKey is the key of the identity index entry of a live (pending or
// active) account: 0x11 | len(broker id) | broker id | identity hash (32
// bytes) → account id. It makes "one account per identity per broker" a
// single Has.
func IdentityKey(brokerID string, identityHash []byte) []byte {
	return append(contracts.LenPrefixed([]byte{contracts.PrefixIdentityIndex}, brokerID), identityHash...)
}

// HoldingsPrefix is the prefix under which an account's security holdings
// live: 0x30 | len(account id) | account id | ... The trading contract owns
// what follows; closing checks that this range is empty.
func HoldingsPrefix(accountID string) []byte {
	return contracts.LenPrefixed([]byte{contracts.PrefixHolding}, accountID)
}
