// Package supervision holds the regulator's powers over client accounts.
// For now: freeze and unfreeze. A frozen account can receive money (a
// bank-to-broker transfer still credits it) but cannot send: withdrawal
// requests and withdrawal payouts are refused (transfers.ErrSenderFrozen),
// and it cannot be closed. A freeze leaves the funds untouched: it is a
// flag on the account, one write.
package supervision

import (
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Routes of the supervision contract.
func Routes() []contracts.Route {
	regulator := []custodyv1.Role{custodyv1.Role_ROLE_REGULATOR}
	return []contracts.Route{
		contracts.Handle("freeze_account", regulator, ValidateFreeze, Freeze),
		contracts.Handle("unfreeze_account", regulator, ValidateUnfreeze, Unfreeze),
	}
}

func validate(accountID, reason string) error {
	if err := accounts.ValidateAccountID(accountID); err != nil {
		return err
	}
	if err := accounts.ValidateReason(reason); err != nil {
		return err
	}
	if reason == "" {
		return ErrNoReason.Wrapf("account %s", accountID)
	}
	return nil
}

// ValidateFreeze is the stateless check of MsgFreezeAccount.
func ValidateFreeze(m *custodyv1.MsgFreezeAccount) error { return validate(m.AccountId, m.Reason) }

// ValidateUnfreeze is the stateless check of MsgUnfreezeAccount.
func ValidateUnfreeze(m *custodyv1.MsgUnfreezeAccount) error { return validate(m.AccountId, m.Reason) }

// Freeze sets the regulator's freeze on an active account.
func Freeze(ctx *contracts.Context, m *custodyv1.MsgFreezeAccount) ([]byte, error) {
	a, err := accounts.GetActive(ctx.Store, m.AccountId)
	if err != nil {
		return nil, err
	}
	if a.Frozen {
		return nil, ErrAlreadyFrozen.Wrapf("account %s: %s", a.Id, a.FreezeReason)
	}
	a.Frozen, a.FreezeReason, a.UnfreezeReason = true, m.Reason, ""
	a.UpdatedHeight, a.UpdatedTime = ctx.Block.Height, ctx.Block.UnixNano()
	accounts.Set(ctx.Store, a)
	ctx.Emit("account_frozen", "account_id", a.Id, "regulator", ctx.Signer.Owner, "reason", m.Reason)
	return contracts.Marshal(a), nil
}

// Unfreeze lifts the freeze of an active account.
func Unfreeze(ctx *contracts.Context, m *custodyv1.MsgUnfreezeAccount) ([]byte, error) {
	a, err := accounts.GetActive(ctx.Store, m.AccountId)
	if err != nil {
		return nil, err
	}
	if !a.Frozen {
		return nil, ErrNotFrozen.Wrapf("account %s", a.Id)
	}
	// The freeze's reason no longer describes the account: an unfrozen
	// account showing freeze_reason "inquiry closed" reads as frozen.
	a.Frozen, a.FreezeReason, a.UnfreezeReason = false, "", m.Reason
	a.UpdatedHeight, a.UpdatedTime = ctx.Block.Height, ctx.Block.UnixNano()
	accounts.Set(ctx.Store, a)
	ctx.Emit("account_unfrozen", "account_id", a.Id, "regulator", ctx.Signer.Owner, "reason", m.Reason)
	return contracts.Marshal(a), nil
}
