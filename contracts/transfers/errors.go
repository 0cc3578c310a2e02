package transfers

import "github.com/custody-ledger/custody/contracts"

// Codespace of the transfers contract's refusals.
const Codespace = "transfers"

// Refusals of the transfer messages. Never renumber.
var (
	ErrBadTransferID     = contracts.Register(Codespace, 1, "transfer id has a bad format")
	ErrBadAmount         = contracts.Register(Codespace, 2, "amount is not in (0, MaxAmount]")
	ErrDuplicateTransfer = contracts.Register(Codespace, 3, "transfer id already used at this bank")
	ErrUnknownTransfer   = contracts.Register(Codespace, 4, "transfer not found")
	ErrNotPending        = contracts.Register(Codespace, 5, "transfer is not pending")
	ErrSenderFrozen      = contracts.Register(Codespace, 6, "account is frozen: it may receive but not send")
)
