package accounts

import "github.com/custody-ledger/custody/contracts"

// Codespace of the accounts contract's refusals.
const Codespace = "accounts"

// Refusals of the account messages (and of the other contracts' checks on
// an account, which use these same codes). Never renumber.
var (
	ErrBadAccountID        = contracts.Register(Codespace, 1, "account id is not 1-32 characters [0-9A-Za-z-]")
	ErrBadParticipantID    = contracts.Register(Codespace, 2, "participant id is not 1-32 characters [a-z0-9-]")
	ErrBadPubKey           = contracts.Register(Codespace, 3, "client public key is not 32 bytes")
	ErrBadHash             = contracts.Register(Codespace, 4, "hash is not 32 non-zero bytes")
	ErrBadShareholder      = contracts.Register(Codespace, 5, "shareholder account is not 10 characters [0-9A-Z], or repeated, or too many")
	ErrBadReason           = contracts.Register(Codespace, 6, "reason is longer than 256 bytes or not UTF-8")
	ErrAccountExists       = contracts.Register(Codespace, 7, "account id is already taken")
	ErrUnknownAccount      = contracts.Register(Codespace, 8, "account not found")
	ErrUnknownBank         = contracts.Register(Codespace, 9, "custody bank is not a bank participant")
	ErrDuplicateIdentity   = contracts.Register(Codespace, 10, "identity already has an account at this broker")
	ErrClientKeyTaken      = contracts.Register(Codespace, 11, "client public key is already registered")
	ErrWrongBank           = contracts.Register(Codespace, 12, "signer is not the account's custody bank")
	ErrWrongBroker         = contracts.Register(Codespace, 13, "signer is not the account's broker")
	ErrNotPending          = contracts.Register(Codespace, 14, "account is not pending")
	ErrNotActive           = contracts.Register(Codespace, 15, "account is not active")
	ErrNotEmpty            = contracts.Register(Codespace, 16, "account still has a balance, a holding or an open request")
	ErrFrozen              = contracts.Register(Codespace, 17, "account is frozen by the regulator")
	ErrNotOwner            = contracts.Register(Codespace, 18, "signer is not the account's client key")
	ErrRejectWithoutReason = contracts.Register(Codespace, 19, "a rejection needs a reason")
)
