package client

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/custody-ledger/custody/contracts/auth"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// API tokens.
//
// A REST caller proves who it is with a short-lived bearer token signed by
// its own registered ed25519 key: a JSON Web Token (RFC 7519) in the JWS
// compact form with alg "EdDSA" (RFC 8037). There is no password and no
// server-side session: the node checks the signature against the public key
// the chain holds for the token's subject, and the key's role and owner
// decide what the caller may read.
//
//	header  {"alg":"EdDSA","typ":"JWT"}
//	claims  {"sub":"<signer address>","aud":"<chain id>","iat":<unix s>,"exp":<unix s>}
//	token   base64url(header) "." base64url(claims) "." base64url(ed25519 signature)
//
// The signed bytes are the ASCII "header.claims" text, which always starts
// with "eyJ": it can never be mistaken for a tx's sign bytes, which start
// with auth.SignPrefix. Any JWT library that signs EdDSA with an Ed25519 key
// produces tokens the node accepts; NewToken is the SDK's (and the CLI's)
// way to make one.

// Token limits.
const (
	// TokenMaxLifetime is the longest a token may live: exp - iat.
	TokenMaxLifetime = 5 * time.Minute
	// TokenLeeway is the clock difference tolerated between the token's
	// maker and the node, on both iat and exp.
	TokenLeeway = 30 * time.Second
	// TokenAlg is the only JWS algorithm a token may name.
	TokenAlg = "EdDSA"
)

// Errors of ParseToken and Token.Verify. Each names the call that returns it.
var (
	// ErrTokenMalformed: ParseToken got something that is not a compact JWS
	// with an EdDSA header and the four claims.
	ErrTokenMalformed = errors.New("client: token is malformed")
	// ErrTokenSignature: Verify found that the signature does not hold for
	// the given public key, or that the key's address is not the subject.
	ErrTokenSignature = errors.New("client: token signature does not verify")
	// ErrTokenExpired: Verify at a time after exp (plus TokenLeeway), or
	// before iat (minus TokenLeeway).
	ErrTokenExpired = errors.New("client: token expired or not yet valid")
	// ErrTokenLifetime: Verify of a token whose exp - iat is not in
	// (0, TokenMaxLifetime].
	ErrTokenLifetime = errors.New("client: token lifetime is not between 0 and 5 minutes")
	// ErrTokenAudience: Verify of a token made for another chain.
	ErrTokenAudience = errors.New("client: token is for another chain")
	// ErrTokenKeyDisabled: VerifyRecord of a token whose key the chain has
	// disabled (a closed account, a rotated or revoked institution key).
	ErrTokenKeyDisabled = errors.New("client: token's key is disabled on chain")
)

// TokenClaims are the claims a token carries.
type TokenClaims struct {
	// Subject is the signer address of the key that signed the token.
	Subject string
	// Audience is the chain id the token is for.
	Audience string
	// IssuedAt and ExpiresAt are whole seconds.
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Token is a parsed, not yet verified, token.
type Token struct {
	Claims TokenClaims
	signed []byte // "header.claims", the signed bytes
	sig    []byte
}

type tokenHeader struct {
	Alg  string   `json:"alg"`
	Typ  string   `json:"typ,omitempty"`
	Crit []string `json:"crit,omitempty"`
}

type tokenClaimsJSON struct {
	Sub string   `json:"sub"`
	Aud audience `json:"aud"`
	Iat *int64   `json:"iat"`
	Exp *int64   `json:"exp"`
}

// audience is JWT's "aud": a string, or an array holding one string.
type audience string

func (a *audience) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = audience(s)
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil || len(list) != 1 {
		return errors.New("aud must be a string or an array of one string")
	}
	*a = audience(list[0])
	return nil
}

var b64 = base64.RawURLEncoding

// NewToken makes a token for the key's address, for chainID, issued at now
// and valid for ttl (at most TokenMaxLifetime; 0 means TokenMaxLifetime).
func NewToken(key ed25519.PrivateKey, chainID string, now time.Time, ttl time.Duration) (string, error) {
	if len(key) != ed25519.PrivateKeySize {
		return "", ErrBadKey
	}
	if ttl == 0 {
		ttl = TokenMaxLifetime
	}
	if ttl < time.Second || ttl > TokenMaxLifetime {
		return "", fmt.Errorf("%w: ttl %s", ErrTokenLifetime, ttl)
	}
	if chainID == "" {
		return "", errors.New("client: token needs a chain id")
	}
	iat := now.Unix()
	exp := now.Add(ttl).Unix()
	header, err := json.Marshal(tokenHeader{Alg: TokenAlg, Typ: "JWT"})
	if err != nil {
		return "", fmt.Errorf("client: token header: %w", err)
	}
	claims, err := json.Marshal(struct {
		Sub string `json:"sub"`
		Aud string `json:"aud"`
		Iat int64  `json:"iat"`
		Exp int64  `json:"exp"`
	}{Address(key.Public().(ed25519.PublicKey)), chainID, iat, exp})
	if err != nil {
		return "", fmt.Errorf("client: token claims: %w", err)
	}
	signed := b64.EncodeToString(header) + "." + b64.EncodeToString(claims)
	return signed + "." + b64.EncodeToString(ed25519.Sign(key, []byte(signed))), nil
}

// maxTokenLen bounds what ParseToken reads: a token of this SDK is about
// 300 bytes.
const maxTokenLen = 2048

// ParseToken decodes a token without verifying it: the caller looks up the
// subject's public key and calls Verify. Anything but an EdDSA JWS with the
// claims sub, aud, iat and exp is ErrTokenMalformed.
func ParseToken(token string) (*Token, error) {
	if len(token) > maxTokenLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrTokenMalformed, len(token))
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: want 3 dot-separated parts, got %d", ErrTokenMalformed, len(parts))
	}
	hb, err1 := b64.DecodeString(parts[0])
	cb, err2 := b64.DecodeString(parts[1])
	sig, err3 := b64.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTokenMalformed, err)
	}
	var h tokenHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrTokenMalformed, err)
	}
	if h.Alg != TokenAlg {
		return nil, fmt.Errorf("%w: alg %q, want %q", ErrTokenMalformed, h.Alg, TokenAlg)
	}
	if len(h.Crit) > 0 {
		return nil, fmt.Errorf("%w: unsupported critical header parameters %q", ErrTokenMalformed, h.Crit)
	}
	var c tokenClaimsJSON
	if err := json.Unmarshal(cb, &c); err != nil {
		return nil, fmt.Errorf("%w: claims: %w", ErrTokenMalformed, err)
	}
	if c.Sub == "" || c.Aud == "" || c.Iat == nil || c.Exp == nil {
		return nil, fmt.Errorf("%w: sub, aud, iat and exp are required", ErrTokenMalformed)
	}
	if _, err := auth.ParseAddress(c.Sub); err != nil {
		return nil, fmt.Errorf("%w: sub: %w", ErrTokenMalformed, err)
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature is %d bytes, want %d", ErrTokenMalformed, len(sig), ed25519.SignatureSize)
	}
	return &Token{
		Claims: TokenClaims{Subject: c.Sub, Audience: string(c.Aud), IssuedAt: time.Unix(*c.Iat, 0), ExpiresAt: time.Unix(*c.Exp, 0)},
		signed: []byte(parts[0] + "." + parts[1]),
		sig:    sig,
	}, nil
}

// VerifyRecord is Verify against the subject's on-chain key record, as a
// server must check a token: a disabled key (rotated, revoked, a closed
// account) is ErrTokenKeyDisabled, however good its signature.
func (t *Token) VerifyRecord(rec *custodyv1.KeyRecord, chainID string, now time.Time) error {
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

// Verify checks the token at time now: pub is the subject's key (its
// address must be the subject) and signed the token; the audience is
// chainID; exp - iat is at most TokenMaxLifetime; and now is between iat
// and exp, give or take TokenLeeway.
func (t *Token) Verify(pub ed25519.PublicKey, chainID string, now time.Time) error {
	if len(pub) != ed25519.PublicKeySize || Address(pub) != t.Claims.Subject {
		return fmt.Errorf("%w: the key is not the subject's", ErrTokenSignature)
	}
	if !ed25519.Verify(pub, t.signed, t.sig) {
		return ErrTokenSignature
	}
	if t.Claims.Audience != chainID {
		return fmt.Errorf("%w: aud %q, want %q", ErrTokenAudience, t.Claims.Audience, chainID)
	}
	life := t.Claims.ExpiresAt.Sub(t.Claims.IssuedAt)
	if life <= 0 || life > TokenMaxLifetime {
		return fmt.Errorf("%w: %s", ErrTokenLifetime, life)
	}
	if now.After(t.Claims.ExpiresAt.Add(TokenLeeway)) {
		return fmt.Errorf("%w: expired at %s", ErrTokenExpired, t.Claims.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if now.Before(t.Claims.IssuedAt.Add(-TokenLeeway)) {
		return fmt.Errorf("%w: issued in the future, at %s", ErrTokenExpired, t.Claims.IssuedAt.UTC().Format(time.RFC3339))
	}
	return nil
}
