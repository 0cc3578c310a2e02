package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/custody-ledger/custody/client"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Who may call riskd's HTTP server.
//
// Every request carries "Authorization: Bearer <token>": the EdDSA JWT the
// node's REST API takes (client/token.go; `custodycli token --from KEY`
// makes one), signed by a key registered on chain. The server reads the
// key's record from the chain (KeyRegistry: a proven read, cached briefly),
// checks the token against that public key, the chain id and the clock,
// refuses disabled keys, and then lets the key's role decide:
//
//	access   routes                                           who
//	read     GET rules, versions, alerts, proofs, freeze      this core's risk operator, the regulator
//	         requests, status
//	write    PUT rules, enable/disable, alert ack/escalate/   this core's risk operator
//	         close, POST /v1/onboard
//	freeze   POST /v1/freeze                                  this core's risk operator, the regulator
//	stream   GET /v1/stream (a standby following its leader)  this core's risk operator
//
// "This core's risk operator" is a ROLE_RISK_OPERATOR key owned by the
// participant the core anchors as (chain.Operator): another operator's risk
// core is not this one's. Everyone else is 403; no token, or one that does
// not verify, is 401. The caller's identity — never a request body — is the
// "who" of every parameter version, alert action and freeze request.

// Access is what a route does; it decides which roles may call it.
type Access int

const (
	AccessRead Access = iota
	AccessWrite
	AccessFreeze
	AccessStream
)

func (a Access) String() string {
	switch a {
	case AccessRead:
		return "read"
	case AccessWrite:
		return "write"
	case AccessFreeze:
		return "freeze"
	case AccessStream:
		return "stream"
	}
	return "unknown"
}

// KeyRegistry reads signing-key records from the chain (risk/chain's
// KeyRegistry, with proofs). Key returns an error wrapping ErrUnknownKey
// for an address with no record.
type KeyRegistry interface {
	Key(ctx context.Context, address string) (*custodyv1.KeyRecord, error)
	// ChainID is the audience tokens must name.
	ChainID() string
}

// Caller is who a request comes from: the on-chain record of the key that
// signed its token.
type Caller struct {
	Address string
	Role    custodyv1.Role
	// Owner is the participant id owning the key.
	Owner string
}

// Who is the caller as parameter versions, alert actions and freeze
// requests record it: "participant/key-address".
func (c *Caller) Who() string { return c.Owner + "/" + c.Address }

// Authenticator checks bearer tokens and roles. A nil Authenticator (a core
// without a chain) refuses every request with ErrNoChain: nothing could
// check a token.
type Authenticator struct {
	Keys KeyRegistry
	// Operator is the participant id of this core's risk operator.
	Operator string
	// Now is the clock tokens are checked against (default time.Now).
	Now func() time.Time
}

// Authenticate returns the caller of r if its token verifies and its role
// may have access; otherwise an *Error (401, 403) or a wrapped one.
func (a *Authenticator) Authenticate(r *http.Request, access Access) (*Caller, error) {
	if a == nil || a.Keys == nil {
		return nil, ErrNoChain
	}
	scheme, raw, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	raw = strings.TrimSpace(raw)
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return nil, ErrUnauthenticated
	}
	tok, err := client.ParseToken(raw)
	if err != nil {
		return nil, err
	}
	rec, err := a.Keys.Key(r.Context(), tok.Claims.Subject)
	if err != nil {
		if errors.Is(err, ErrUnknownKey) {
			return nil, err
		}
		return nil, ErrUpstream.Wrapf("key %s: %v", tok.Claims.Subject, err)
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	if err := tok.Verify(rec.PubKey, a.Keys.ChainID(), now()); err != nil {
		return nil, err
	}
	if rec.Disabled {
		return nil, ErrKeyDisabled.Wrapf("%s", tok.Claims.Subject)
	}
	c := &Caller{Address: tok.Claims.Subject, Role: rec.Role, Owner: rec.Owner}
	if !a.may(c, access) {
		return nil, ErrForbidden.Wrapf("%s (%s of %s) may not %s here", c.Address, c.Role, c.Owner, access)
	}
	return c, nil
}

// may is the table in the comment above.
func (a *Authenticator) may(c *Caller, access Access) bool {
	ownOperator := c.Role == custodyv1.Role_ROLE_RISK_OPERATOR && c.Owner == a.Operator
	switch access {
	case AccessRead, AccessFreeze:
		return ownOperator || c.Role == custodyv1.Role_ROLE_REGULATOR
	case AccessWrite, AccessStream:
		return ownOperator
	}
	return false
}

type callerCtxKey struct{}

// CallerOf returns the authenticated caller Require put in ctx (nil if
// none).
func CallerOf(ctx context.Context) *Caller {
	c, _ := ctx.Value(callerCtxKey{}).(*Caller)
	return c
}

// MaxBodyBytes bounds every request body: parameter changes and alert
// actions are a few hundred bytes.
const MaxBodyBytes = 64 << 10

// Require wraps a net/http handler: it authenticates for access, bounds the
// body, and puts the caller in the request's context (CallerOf).
func (a *Authenticator) Require(access Access, logf func(string, ...any), h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := a.Authenticate(r, access)
		if err != nil {
			WriteProblem(w, r, err, logf)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		h(w, r.WithContext(context.WithValue(r.Context(), callerCtxKey{}, c)))
	}
}
