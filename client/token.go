package client

import (
	"errors"
	"fmt"
	"time"

	"github.com/custody-ledger/custody/credential"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// The API tokens live in package credential, which the node's query path
// shares; these names keep the SDK's callers as they were.

// Token limits (credential's).
const (
	TokenMaxLifetime = credential.TokenMaxLifetime
	TokenLeeway      = credential.TokenLeeway
	TokenAlg         = credential.TokenAlg
)

// Errors of ParseToken and Token.Verify (credential's).
var (
	ErrTokenMalformed = credential.ErrTokenMalformed
	ErrTokenSignature = credential.ErrTokenSignature
	ErrTokenExpired   = credential.ErrTokenExpired
	ErrTokenLifetime  = credential.ErrTokenLifetime
	ErrTokenAudience  = credential.ErrTokenAudience
)

// Token and TokenClaims are credential's.
type (
	Token       = credential.Token
	TokenClaims = credential.TokenClaims
)

// NewToken makes a token (credential.NewToken).
var NewToken = credential.NewToken

// ParseToken decodes a token without verifying it (credential.ParseToken).
var ParseToken = credential.ParseToken

// ErrTokenKeyDisabled is returned by VerifyTokenRecord for a token whose
// key the chain has disabled (a closed account, a rotated or revoked
// institution key).
var ErrTokenKeyDisabled = errors.New("client: token's key is disabled on chain")

// VerifyTokenRecord is Token.Verify against the subject's on-chain key
// record, as a server must check a token: a disabled key (rotated,
// revoked, a closed account) is ErrTokenKeyDisabled, however good its
// signature, and the error says why when the record does.
func VerifyTokenRecord(t *Token, rec *custodyv1.KeyRecord, chainID string, now time.Time) error {
	if err := t.Verify(rec.PubKey, chainID, now); err != nil {
		return err
	}
	if rec.Disabled && rec.DisabledReason != custodyv1.KeyDisableReason_KEY_DISABLE_REASON_UNSPECIFIED {
		return fmt.Errorf("%w: %s at block %d", ErrTokenKeyDisabled, rec.DisabledReason, rec.DisabledHeight)
	}
	if rec.Disabled {
		return ErrTokenKeyDisabled
	}
	return nil
}
