package api

import (
	"errors"
	"strings"

	"github.com/gin-gonic/gin"

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
	rec, err := s.chain.Signer(c.Request.Context(), tok.Claims.Subject)
	if errors.Is(err, contracts.ErrUnknownSigner) {
		fail(c, ErrUnknownKey.Wrapf("%s", tok.Claims.Subject))
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	// The record is read afresh for every request: a key rotated or
	// revoked in a block is refused from the next one on.
	if err := tok.VerifyRecord(rec, s.chain.ChainID(), s.now()); errors.Is(err, client.ErrTokenKeyDisabled) {
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

// Who may see what. The regulator sees everything; the rest see what the
// records tie them to.

// mayReadAccount: the account's client, its broker, its custody bank, the
// regulator.
func (w *caller) mayReadAccount(a *custodyv1.Account) bool {
	switch w.Role {
	case custodyv1.Role_ROLE_REGULATOR:
		return true
	case custodyv1.Role_ROLE_CLIENT:
		return w.Owner == a.Id
	case custodyv1.Role_ROLE_BROKER:
		return w.Owner == a.BrokerId
	case custodyv1.Role_ROLE_BANK:
		return w.Owner == a.BankId
	}
	return false
}

// mayReadTransfer: as for the transfer's account (the transfer names it,
// its broker and its bank).
func (w *caller) mayReadTransfer(t *custodyv1.Transfer) bool {
	return w.mayReadAccount(&custodyv1.Account{Id: t.AccountId, BrokerId: t.BrokerId, BankId: t.BankId})
}

// mayReadCustody: a custody total is the bank's and the broker's figure;
// the regulator and the clearing house see all of them.
func (w *caller) mayReadCustody(bankID, brokerID string) bool {
	switch w.Role {
	case custodyv1.Role_ROLE_REGULATOR, custodyv1.Role_ROLE_CLEARING_HOUSE:
		return true
	case custodyv1.Role_ROLE_BANK:
		return w.Owner == bankID
	case custodyv1.Role_ROLE_BROKER:
		return w.Owner == brokerID
	}
	return false
}

// isInstitution: any participant role; chain-wide figures (supply,
// invariants) are for institutions, not for clients.
func (w *caller) isInstitution() bool {
	return w.Role != custodyv1.Role_ROLE_CLIENT && w.Role != custodyv1.Role_ROLE_UNSPECIFIED
}
