package client

import "github.com/custody-ledger/custody/credential"

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
