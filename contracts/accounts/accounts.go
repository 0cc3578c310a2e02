// Package accounts is the three-party agreement of third-party custody
// (第三方存管): a broker asks for a client's custody fund account, naming
// the client's key, salted hashes of the identity number and bank card,
// and the custody bank; the bank confirms or rejects; only a confirmed
// account is active, has funds and a registered client key. The broker
// closes an account once nothing is left in it.
//
// Life of an account:
//
//	         open (broker)         confirm approve (its bank)
//	(none) ───────────────▶ PENDING ─────────────────────────▶ ACTIVE ──close (its broker)──▶ CLOSED
//	                           │ confirm reject (its bank)        ▲ │
//	                           ▼                                  │ │ freeze / unfreeze
//	                        REJECTED                               └─┘ (regulator; supervision)
//
// State (see README.md for the bytes): the Account record, and an identity
// index entry per live (pending or active) account that refuses a second
// account for the same identity at the same broker. A rejected or closed
// account leaves the index, so the client may open again with a new
// account id and a new key.
package accounts

import (
	"encoding/hex"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/participants"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Routes of the accounts contract.
func Routes() []contracts.Route {
	return []contracts.Route{
		contracts.Handle("open_account", []custodyv1.Role{custodyv1.Role_ROLE_BROKER}, ValidateOpen, Open),
		contracts.Handle("confirm_account", []custodyv1.Role{custodyv1.Role_ROLE_BANK}, ValidateConfirm, Confirm),
		contracts.Handle("close_account", []custodyv1.Role{custodyv1.Role_ROLE_BROKER}, ValidateClose, Close),
	}
}

// Get returns the account with id, or ErrUnknownAccount.
func Get(store contracts.Store, id string) (*custodyv1.Account, error) {
	k := AccountKey(id)
	bz := store.Get(k)
	if bz == nil {
		return nil, ErrUnknownAccount.Wrapf("%q", id)
	}
	var a custodyv1.Account
	contracts.Unmarshal(k, bz, &a)
	return &a, nil
}

// Set writes an account record.
func Set(store contracts.Store, a *custodyv1.Account) {
	store.Set(AccountKey(a.Id), contracts.Marshal(a))
}

// GetActive returns the account with id if it is active: ErrUnknownAccount
// or ErrNotActive otherwise.
func GetActive(store contracts.Store, id string) (*custodyv1.Account, error) {
	a, err := Get(store, id)
	if err != nil {
		return nil, err
	}
	if a.Status != custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE {
		return nil, ErrNotActive.Wrapf("account %s is %s", id, a.Status)
	}
	return a, nil
}

// Holder returns the funds.Holder of an account: where its money counts.
func Holder(a *custodyv1.Account) funds.Holder {
	return funds.Holder{AccountID: a.Id, BankID: a.BankId, BrokerID: a.BrokerId}
}

// Open records a pending account for the signing broker. Writes: the
// account and its identity index entry.
func Open(ctx *contracts.Context, m *custodyv1.MsgOpenAccount) ([]byte, error) {
	broker := ctx.Signer.Owner
	if ctx.Store.Has(AccountKey(m.AccountId)) {
		return nil, ErrAccountExists.Wrapf("%q", m.AccountId)
	}
	if _, err := participants.GetWithRole(ctx.Store, m.BankId, custodyv1.Role_ROLE_BANK); err != nil {
		return nil, ErrUnknownBank.Wrapf("%q: %v", m.BankId, err)
	}
	idx := IdentityKey(broker, m.IdentityHash)
	if prev := ctx.Store.Get(idx); prev != nil {
		return nil, ErrDuplicateIdentity.Wrapf("broker %s already has account %s for this identity", broker, prev)
	}
	if err := keyFree(ctx.Store, m.ClientPubKey); err != nil {
		return nil, err
	}
	a := &custodyv1.Account{
		Id:                  m.AccountId,
		BrokerId:            broker,
		BankId:              m.BankId,
		ClientPubKey:        m.ClientPubKey,
		IdentityHash:        m.IdentityHash,
		BankCardHash:        m.BankCardHash,
		ShareholderAccounts: m.ShareholderAccounts,
		Status:              custodyv1.AccountStatus_ACCOUNT_STATUS_PENDING,
		OpenedHeight:        ctx.Block.Height,
		OpenedTime:          ctx.Block.UnixNano(),
		UpdatedHeight:       ctx.Block.Height,
		UpdatedTime:         ctx.Block.UnixNano(),
	}
	Set(ctx.Store, a)
	ctx.Store.Set(idx, []byte(a.Id))
	ctx.Emit("account_opened", "account_id", a.Id, "broker_id", broker, "bank_id", a.BankId,
		"client", auth.Address(a.ClientPubKey))
	return contracts.Marshal(a), nil
}

// Confirm is the custody bank's answer to a pending account. Approval
// activates it, opens its funds and registers the client key (ROLE_CLIENT,
// owner = account id): three writes. Rejection records the reason and frees
// the identity for another opening: two writes.
func Confirm(ctx *contracts.Context, m *custodyv1.MsgConfirmAccount) ([]byte, error) {
	a, err := Get(ctx.Store, m.AccountId)
	if err != nil {
		return nil, err
	}
	if a.BankId != ctx.Signer.Owner {
		return nil, ErrWrongBank.Wrapf("account %s is held at %s, not %s", a.Id, a.BankId, ctx.Signer.Owner)
	}
	if a.Status != custodyv1.AccountStatus_ACCOUNT_STATUS_PENDING {
		return nil, ErrNotPending.Wrapf("account %s is %s", a.Id, a.Status)
	}
	a.UpdatedHeight, a.UpdatedTime = ctx.Block.Height, ctx.Block.UnixNano()
	if !m.Approve {
		a.Status = custodyv1.AccountStatus_ACCOUNT_STATUS_REJECTED
		a.StatusReason = m.Reason
		ctx.Store.Delete(IdentityKey(a.BrokerId, a.IdentityHash))
		Set(ctx.Store, a)
		ctx.Emit("account_rejected", "account_id", a.Id, "bank_id", a.BankId, "reason", m.Reason)
		return contracts.Marshal(a), nil
	}
	// Another pending account may have named the same key and been
	// confirmed first: a key has one owner for life.
	if err := keyFree(ctx.Store, a.ClientPubKey); err != nil {
		return nil, err
	}
	if err := auth.Register(ctx.Store, a.ClientPubKey, custodyv1.Role_ROLE_CLIENT, a.Id); err != nil {
		return nil, err // unreachable: the key is 32 bytes and free
	}
	a.Status = custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE
	funds.Open(ctx.Store, a.Id)
	Set(ctx.Store, a)
	ctx.Emit("account_activated", "account_id", a.Id, "bank_id", a.BankId, "broker_id", a.BrokerId,
		"client", auth.Address(a.ClientPubKey))
	return contracts.Marshal(a), nil
}

// Close closes an active, unfrozen account with nothing left in it: no
// balance, nothing frozen, no open withdrawal, no holding. The client key is
// disabled and the identity leaves the index. The funds record and the fund
// ledger stay, for the record. Writes: account, key record, index delete.
func Close(ctx *contracts.Context, m *custodyv1.MsgCloseAccount) ([]byte, error) {
	a, err := Get(ctx.Store, m.AccountId)
	if err != nil {
		return nil, err
	}
	if a.BrokerId != ctx.Signer.Owner {
		return nil, ErrWrongBroker.Wrapf("account %s is at %s, not %s", a.Id, a.BrokerId, ctx.Signer.Owner)
	}
	if a.Status != custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE {
		return nil, ErrNotActive.Wrapf("account %s is %s", a.Id, a.Status)
	}
	if a.Frozen {
		return nil, ErrFrozen.Wrapf("account %s cannot close while frozen", a.Id)
	}
	if f := funds.Get(ctx.Store, a.Id); !funds.IsEmpty(f) {
		return nil, ErrNotEmpty.Wrapf("account %s: balance %d, frozen %d, %d open withdrawals",
			a.Id, f.Balance, f.Frozen, f.OpenWithdrawals)
	}
	if hasAny(ctx.Store, HoldingsPrefix(a.Id)) {
		return nil, ErrNotEmpty.Wrapf("account %s still holds securities", a.Id)
	}
	a.Status = custodyv1.AccountStatus_ACCOUNT_STATUS_CLOSED
	a.UpdatedHeight, a.UpdatedTime = ctx.Block.Height, ctx.Block.UnixNano()
	Set(ctx.Store, a)
	auth.Disable(ctx.Store, a.ClientPubKey)
	ctx.Store.Delete(IdentityKey(a.BrokerId, a.IdentityHash))
	ctx.Emit("account_closed", "account_id", a.Id, "broker_id", a.BrokerId)
	return contracts.Marshal(a), nil
}

func keyFree(store contracts.Store, pubKey []byte) error {
	if _, err := auth.Get(store, auth.Address(pubKey)); err == nil {
		return ErrClientKeyTaken.Wrapf("key %s", hex.EncodeToString(pubKey))
	}
	return nil
}

func hasAny(store contracts.Store, prefix []byte) bool {
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	return it.Valid()
}

// ForEach calls fn for every account in id byte order.
func ForEach(store contracts.Store, fn func(*custodyv1.Account)) {
	prefix := []byte{contracts.PrefixAccount}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	for ; it.Valid(); it.Next() {
		var a custodyv1.Account
		contracts.Unmarshal(it.Key(), it.Value(), &a)
		fn(&a)
	}
}
