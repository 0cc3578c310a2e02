package transfers

import "github.com/custody-ledger/custody/contracts"

// TransferKey is the key of a Transfer: 0x20 | len(bank id) | bank id |
// transfer id. Transfer ids are unique per bank: banks number their own
// serials, and a withdrawal's id starts with its account id.
func TransferKey(bankID, transferID string) []byte {
	return append(contracts.LenPrefixed([]byte{contracts.PrefixTransfer}, bankID), transferID...)
}

// RefID is the text form of a transfer's key, "<bank id>/<transfer id>",
// that fund-ledger entries carry as their reference.
func RefID(bankID, transferID string) string { return bankID + "/" + transferID }
