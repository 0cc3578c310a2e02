package chain

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/accounts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/risk/admin"
)

// Freezer submits account freezes for the admin API (admin.Freezer). Only
// the regulator may freeze: when its key has another role (the usual risk
// operator key) it returns admin.ErrMayNotFreeze and the API records the
// request for the regulator instead.
type Freezer struct {
	c   *client.Client
	key ed25519.PrivateKey
}

// NewFreezer returns a Freezer signing with key through c.
func NewFreezer(c *client.Client, key ed25519.PrivateKey) *Freezer {
	return &Freezer{c: c, key: key}
}

// Freeze checks the key's role on chain and, if it is the regulator's,
// submits MsgFreezeAccount and waits for its block. A refusal by the chain
// wraps admin.ErrFreezeRefused.
func (f *Freezer) Freeze(ctx context.Context, account, reason, who string) (string, error) {
	addr := client.Address(f.key.Public().(ed25519.PublicKey))
	rec, err := f.c.Signer(ctx, addr)
	if err != nil {
		return "", fmt.Errorf("chain: freeze key %s: %w", addr, err)
	}
	if rec.Role != custodyv1.Role_ROLE_REGULATOR {
		return "", fmt.Errorf("%w: key %s of %s is %s", admin.ErrMayNotFreeze, addr, rec.Owner, rec.Role)
	}
	text := fmt.Sprintf("%s (risk core, by %s)", reason, who)
	if len(text) > accounts.MaxReasonLen {
		text = strings.ToValidUTF8(text[:accounts.MaxReasonLen], "")
	}
	res, err := f.c.Submit(ctx, f.key, &custodyv1.MsgFreezeAccount{AccountId: account, Reason: text}, client.SubmitOptions{Mode: client.ModeCommit})
	var txErr *client.TxError
	if errors.As(err, &txErr) {
		return "", fmt.Errorf("%w: %w", admin.ErrFreezeRefused, err)
	}
	if err != nil {
		return "", fmt.Errorf("chain: freeze %s: %w", account, err)
	}
	return res.HashString(), nil
}
