package client

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	// contracts/ledger assembles every contract, whose packages register
	// their error codes at init: importing it makes contracts.Lookup know
	// every code a node can return.
	_ "github.com/custody-ledger/custody/contracts/ledger"
)

// ErrUnregisteredCode is wrapped by a TxError or QueryError whose
// (codespace, code) no package of this binary registered: the node runs
// newer contracts than this SDK knows.
var ErrUnregisteredCode = errors.New("client: unregistered result code")

// TxError is a transaction the node refused: at CheckTx (Height 0) or in its
// block (Height > 0). It unwraps to the registered *contracts.Error of its
// code, so callers branch with errors.Is(err, contracts.ErrBadSequence) or
// errors.Is(err, transfers.ErrDuplicateTransfer) and never parse Log.
type TxError struct {
	Codespace string
	Code      uint32
	// Log is the node's message with context; for people, not for branching.
	Log string
	// Hash is the tx hash (SHA-256 of its bytes).
	Hash []byte
	// Height is the block that included the failed tx, 0 if CheckTx refused it.
	Height int64
	// Err is the registered error for (Codespace, Code), or wraps
	// ErrUnregisteredCode.
	Err error
}

func (e *TxError) Error() string {
	where := "refused at check"
	if e.Height > 0 {
		where = fmt.Sprintf("failed in block %d", e.Height)
	}
	return fmt.Sprintf("client: tx %s %s: %s/%d: %s", hex.EncodeToString(e.Hash), where, e.Codespace, e.Code, e.Log)
}

// Unwrap returns the registered error.
func (e *TxError) Unwrap() error { return e.Err }

// QueryError is an ABCI query the node answered with a non-zero code. Like
// TxError it unwraps to the registered error of its code.
type QueryError struct {
	Path      string
	Codespace string
	Code      uint32
	Log       string
	Err       error
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("client: query %s: %s/%d: %s", e.Path, e.Codespace, e.Code, e.Log)
}

// Unwrap returns the registered error.
func (e *QueryError) Unwrap() error { return e.Err }

// CodeError returns the registered error of a result code, or an error
// wrapping ErrUnregisteredCode. Code 0 (success) returns nil.
func CodeError(codespace string, code uint32) error {
	if code == 0 {
		return nil
	}
	if e, ok := contracts.Lookup(codespace, code); ok {
		return e
	}
	return fmt.Errorf("%w: %s/%d", ErrUnregisteredCode, codespace, code)
}
