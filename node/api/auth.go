package api

import (
	"errors"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/custody-ledger/custody/abci"
	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// caller is who a request comes from: the on-chain record of the key that
// signed its bearer token.
type caller struct {
	Address string
	Role    custodyv1.Role
	// Owner is the participant id, or the account id of a client key.
	Owner string
}

const callerKey = "custody.caller"

func callerOf(c *gin.Context) *caller {
	v, _ := c.Get(callerKey)
	who, _ := v.(*caller)
	return who
}

// authenticate is the middleware of every /v1 route: it reads the bearer
// token, finds its subject's key record on chain, checks the token against
// that public key, this chain's id and the clock, and charges the caller's
// rate limit. The token itself is never logged or kept.
func (s *Server) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	scheme, raw, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		fail(c, ErrUnauthenticated)
		return
	}
	tok, err := client.ParseToken(strings.TrimSpace(raw))
	if err != nil {
		fail(c, err)
		return
	}
	// Every node query of this request carries the caller's token: the
	// node checks it against its key registry and answers only what the
	// caller may read (ledger.Policy). The server itself decides nothing
	// about who may read what.
	ctx := client.WithCredential(c.Request.Context(), strings.TrimSpace(raw))
	c.Request = c.Request.WithContext(ctx)
	rec, err := s.chain.Signer(ctx, tok.Claims.Subject)
	switch {
	case errors.Is(err, contracts.ErrUnknownSigner), errors.Is(err, abci.ErrQueryUnknownKey):
		fail(c, ErrUnknownKey.Wrapf("%s", tok.Claims.Subject))
		return
	case errors.Is(err, abci.ErrQueryKeyDisabled), errors.Is(err, contracts.ErrSignerDisabled):
		fail(c, ErrKeyDisabled.Wrapf("%s", tok.Claims.Subject))
		return
	case errors.Is(err, abci.ErrQueryCredentialExpired):
		fail(c, ErrTokenExpired.Wrapf("at the last block's time"))
		return
	case errors.Is(err, abci.ErrQueryCredential):
		fail(c, ErrTokenRejected.Wrapf("%v", err))
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	// The record is read afresh for every request: a key rotated or
	// revoked in a block is refused from the next one on.
	if err := client.VerifyTokenRecord(tok, rec, s.chain.ChainID(), s.now()); errors.Is(err, client.ErrTokenKeyDisabled) {
		fail(c, ErrKeyDisabled.Wrapf("%s: %v", tok.Claims.Subject, err))
		return
	} else if err != nil {
		fail(c, err)
		return
	}
	who := &caller{Address: tok.Claims.Subject, Role: rec.Role, Owner: rec.Owner}
	c.Set(callerKey, who)
	if !s.rateLimit(c, "key:"+who.Address) {
		return
	}
	c.Next()
}

// isInstitution: any participant role.
func (w *caller) isInstitution() bool {
	return w.Role != custodyv1.Role_ROLE_CLIENT && w.Role != custodyv1.Role_ROLE_UNSPECIFIED
}
