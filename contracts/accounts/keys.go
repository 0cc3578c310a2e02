package accounts

import (
	"encoding/binary"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
)

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

// ClaimKey is the key of a client key's claim: 0x17 | address (20 bytes of
// SHA-256 of the public key) → account id. A key is claimed when an
// opening or a replacement names it and keeps its claim for life, unless
// the bank rejects that opening or replacement: one key, one account.
func ClaimKey(pubKey []byte) []byte {
	return append([]byte{contracts.PrefixClientKeyClaim}, auth.AddressBytes(pubKey)...)
}

// PendingKeyChangeKey is the key of an account's pending client key
// replacement: 0x18 | account id → PendingClientKey.
func PendingKeyChangeKey(accountID string) []byte {
	return append([]byte{contracts.PrefixPendingClientKey}, accountID...)
}

// KeyEventsPrefix is the prefix of an account's client-key history:
// 0x19 | len(account id) | account id.
func KeyEventsPrefix(accountID string) []byte {
	return contracts.LenPrefixed([]byte{contracts.PrefixClientKeyEvent}, accountID)
}

// KeyEventKey is the key of one client-key history record:
// KeyEventsPrefix(id) | seq (8 bytes big-endian) → ClientKeyEvent.
func KeyEventKey(accountID string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(KeyEventsPrefix(accountID), seq)
}

// HoldingsPrefix is the prefix under which an account's security holdings
// live: 0x30 | len(account id) | account id | ... The trading contract owns
// what follows; closing checks that this range is empty.
func HoldingsPrefix(accountID string) []byte {
	return contracts.LenPrefixed([]byte{contracts.PrefixHolding}, accountID)
}
