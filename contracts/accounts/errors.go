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

	// Refusals of the client-key binding (issue #11: the client's key is
	// bound by the client's own signature and the bank's confirmation,
	// never by the broker alone).

	// ErrNoClientRequest is returned by ValidateOpen and ValidateProposeKey
	// for a message without the client's signed request.
	ErrNoClientRequest = contracts.Register(Codespace, 50, "message carries no client-signed request")
	// ErrBadClientSignature is returned by ValidateOpen and
	// ValidateProposeKey when the client signature does not verify with the
	// key the request names (no proof of possession).
	ErrBadClientSignature = contracts.Register(Codespace, 51, "client signature does not verify with the key in the request")
	// ErrRequestChain is returned by Open and ProposeKey for a request
	// signed for another chain.
	ErrRequestChain = contracts.Register(Codespace, 52, "client request is for another chain")
	// ErrRequestBroker is returned by Open and ProposeKey when the request
	// names a broker other than the signer.
	ErrRequestBroker = contracts.Register(Codespace, 53, "client request names another broker")
	// ErrRequestBank is returned by ProposeKey when the request names a
	// bank other than the account's custody bank.
	ErrRequestBank = contracts.Register(Codespace, 54, "client request names another custody bank")
	// ErrClientKeyMismatch is returned by Confirm and ConfirmKey when the
	// bank names a client key other than the one the client signed with.
	ErrClientKeyMismatch = contracts.Register(Codespace, 55, "the bank confirmed a different client key than the client signed")
	// ErrKeyChangePending is returned by ProposeKey while another
	// replacement awaits the bank, and by Close while one is pending.
	ErrKeyChangePending = contracts.Register(Codespace, 56, "a client key replacement is already pending")
	// ErrNoKeyChange is returned by ConfirmKey when no replacement is
	// pending for the account.
	ErrNoKeyChange = contracts.Register(Codespace, 57, "no client key replacement is pending")
)
