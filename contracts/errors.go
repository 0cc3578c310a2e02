package contracts

import (
	"errors"
	"fmt"
)

// Error is a registered, stable refusal: a codespace, a numeric code and a
// short description. The abci package turns it into an ExecTxResult's
// Codespace and Code; the Log carries the wrapped message with context.
//
// Codes are part of the public API (clients branch on them). Never renumber a
// code; a retired code stays reserved.
type Error struct {
	Codespace string
	Code      uint32
	Desc      string
}

func (e *Error) Error() string { return e.Codespace + ": " + e.Desc }

// Is makes errors.Is match any error with the same codespace and code.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Codespace == e.Codespace && t.Code == e.Code
}

// Wrapf adds context to a registered error and keeps it matchable with
// errors.Is and errors.As.
func (e *Error) Wrapf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", e, fmt.Sprintf(format, args...))
}

var registry = map[string]map[uint32]*Error{}

// Register records a new error code. Registering the same (codespace, code)
// twice, or code 0 (success), panics at init: it is a wiring bug.
func Register(codespace string, code uint32, desc string) *Error {
	if code == 0 {
		panic(fmt.Sprintf("contracts: error code 0 is success, not an error (%s: %s)", codespace, desc))
	}
	space := registry[codespace]
	if space == nil {
		space = map[uint32]*Error{}
		registry[codespace] = space
	}
	if prev, ok := space[code]; ok {
		panic(fmt.Sprintf("contracts: error %s/%d registered twice (%q and %q)", codespace, code, prev.Desc, desc))
	}
	e := &Error{Codespace: codespace, Code: code, Desc: desc}
	space[code] = e
	return e
}

// Lookup returns the registered error for a (codespace, code), if any.
func Lookup(codespace string, code uint32) (*Error, bool) {
	e, ok := registry[codespace][code]
	return e, ok
}

// Registered lists every registered error, sorted by codespace then code.
// docs/messages.md is checked against it.
func Registered() []*Error {
	var out []*Error
	for _, space := range sortedKeys(registry) {
		for _, code := range sortedKeys(registry[space]) {
			out = append(out, registry[space][code])
		}
	}
	return out
}

// CodespaceTx holds the refusals of the transaction envelope itself, before
// any contract runs: decoding, signature, chain id, sequence, role.
const CodespaceTx = "tx"

// Envelope and routing errors. The abci package returns these.
var (
	ErrTxDecode         = Register(CodespaceTx, 1, "tx bytes do not decode")
	ErrTxNonCanonical   = Register(CodespaceTx, 2, "tx bytes are not the canonical encoding")
	ErrTxTooLarge       = Register(CodespaceTx, 3, "tx too large")
	ErrWrongChainID     = Register(CodespaceTx, 4, "wrong chain id")
	ErrUnknownSigner    = Register(CodespaceTx, 5, "signer key is not registered")
	ErrBadSignature     = Register(CodespaceTx, 6, "signature does not verify")
	ErrBadSequence      = Register(CodespaceTx, 7, "sequence is not the signer's next sequence")
	ErrSignerDisabled   = Register(CodespaceTx, 8, "signer key is disabled")
	ErrUnknownMessage   = Register(CodespaceTx, 9, "unknown or empty message")
	ErrUnauthorizedRole = Register(CodespaceTx, 10, "signer's role may not send this message")
	ErrInvalidMessage   = Register(CodespaceTx, 11, "message fails validation")
	ErrMemoTooLong      = Register(CodespaceTx, 12, "memo too long")
	ErrInternal         = Register(CodespaceTx, 13, "internal error")
)

// ABCIInfo maps an error to the (codespace, code, log) of an ABCI result.
// An error that is not registered maps to ErrInternal: that is a bug, and the
// log says so.
func ABCIInfo(err error) (codespace string, code uint32, log string) {
	if err == nil {
		return "", 0, ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Codespace, e.Code, err.Error()
	}
	return ErrInternal.Codespace, ErrInternal.Code, ErrInternal.Error() + ": " + err.Error()
}
