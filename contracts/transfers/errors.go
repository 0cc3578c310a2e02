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

// Refusals of reversals and of the transfer window (issue #18).
var (
	ErrNotReversible      = contracts.Register(Codespace, 50, "only a completed deposit or withdrawal can be reversed")
	ErrReversalWindowOver = contracts.Register(Codespace, 51, "the transfer's business day is over: correct it with an adjustment")
	ErrReceivableOpen     = contracts.Register(Codespace, 52, "account owes its bank after a deposit reversal: no withdrawal until it is paid")
	ErrBadReason          = contracts.Register(Codespace, 53, "a reversal needs a reason of 1-256 characters")
)
