package supervision

import "github.com/custody-ledger/custody/contracts"

// Codespace of the supervision contract's refusals.
const Codespace = "supervision"

// Refusals of freeze and unfreeze. Never renumber.
var (
	ErrAlreadyFrozen = contracts.Register(Codespace, 1, "account is already frozen")
	ErrNotFrozen     = contracts.Register(Codespace, 2, "account is not frozen")
	ErrNoReason      = contracts.Register(Codespace, 3, "a freeze or unfreeze needs a reason")
)
