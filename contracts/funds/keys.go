package funds

import (
	"encoding/binary"

	"github.com/custody-ledger/custody/contracts"
)

// FundsKey is the key of an account's Funds: 0x12 | account id.
func FundsKey(accountID string) []byte {
	return append([]byte{contracts.PrefixFunds}, accountID...)
}

// EntriesPrefix is the prefix of an account's fund-ledger entries:
// 0x13 | len(account id) | account id.
func EntriesPrefix(accountID string) []byte {
	return contracts.LenPrefixed([]byte{contracts.PrefixFundLedger}, accountID)
}

// EntryKey is the key of one fund-ledger entry: EntriesPrefix(account id) |
// seq as 8 bytes big-endian, so that entries iterate in sequence order.
func EntryKey(accountID string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(EntriesPrefix(accountID), seq)
}

// CustodyTotalKey is the key of a bank's custody total for one broker:
// 0x14 | len(bank id) | bank id | broker id.
func CustodyTotalKey(bankID, brokerID string) []byte {
	return append(contracts.LenPrefixed([]byte{contracts.PrefixCustodyTotal}, bankID), brokerID...)
}

// SupplyKey is the key of the chain-wide Supply: the single byte 0x15.
func SupplyKey() []byte { return []byte{contracts.PrefixSupply} }

// BalanceChangedKey marks an account whose fund ledger moved since the last
// end-of-day close: 0x60 | account id → the seq (8 bytes BE) of its first
// ledger entry since then. The close (package interest) visits and clears
// these marks.
func BalanceChangedKey(accountID string) []byte {
	return append([]byte{contracts.PrefixBalanceChanged}, accountID...)
}

// BalanceChangedPrefix is the prefix of the marks.
func BalanceChangedPrefix() []byte { return []byte{contracts.PrefixBalanceChanged} }
