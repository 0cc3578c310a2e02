// Package accounts is the three-party agreement of third-party custody
// (第三方存管): a broker asks for a client's custody fund account by
// carrying the client's own signed opening request (the client's key,
// keyed hashes of the identity number and bank card, the broker and the
// custody bank); the bank confirms, naming the client key it received
// from the client through its own channel, or rejects; only a confirmed
// account is active, has funds and a registered client key. The broker
// closes an account once nothing is left in it.
//
// Who binds the client's key: never the broker alone. The client proves
// it holds the key by signing the opening request; the bank, which meets
// the client at its counter or in its app where the three-party agreement
// is signed, confirms naming the key; the account opens only when the two
// agree. A lost key is replaced the same way (ProposeKey by the broker
// with the new key's signed request, ConfirmKey by the bank naming the
// same key), and every change of key is a ClientKeyEvent in the account's
// key history.
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
// account id. A claim per client key (ClaimKey) makes "one key, one
// account" a single Has; only a rejection frees a key.
package accounts

import (
	"bytes"
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
		contracts.Handle("propose_client_key", []custodyv1.Role{custodyv1.Role_ROLE_BROKER}, ValidateProposeKey, ProposeKey),
		contracts.Handle("confirm_client_key", []custodyv1.Role{custodyv1.Role_ROLE_BANK}, ValidateConfirmKey, ConfirmKey),
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

// Open records a pending account for the signing broker, from the
// client's signed opening request (ValidateOpen checked the signature).
// The request must be for this chain and name the signing broker, so a
// broker can use neither another chain's nor another broker's request.
// The client key is claimed at once: no second opening or replacement may
// name it while this one lives. Writes: the account, its identity index
// entry and the key's claim.
func Open(ctx *contracts.Context, m *custodyv1.MsgOpenAccount) ([]byte, error) {
	r, broker := m.Request, ctx.Signer.Owner
	if r.ChainId != ctx.Block.ChainID {
		return nil, ErrRequestChain.Wrapf("request for %q on %q", r.ChainId, ctx.Block.ChainID)
	}
	if r.BrokerId != broker {
		return nil, ErrRequestBroker.Wrapf("request names %s, signed by %s", r.BrokerId, broker)
	}
	if ctx.Store.Has(AccountKey(r.AccountId)) {
		return nil, ErrAccountExists.Wrapf("%q", r.AccountId)
	}
	if _, err := participants.GetWithRole(ctx.Store, r.BankId, custodyv1.Role_ROLE_BANK); err != nil {
		return nil, ErrUnknownBank.Wrapf("%q: %v", r.BankId, err)
	}
	idx := IdentityKey(broker, r.IdentityHash)
	if prev := ctx.Store.Get(idx); prev != nil {
		return nil, ErrDuplicateIdentity.Wrapf("broker %s already has account %s for this identity", broker, prev)
	}
	if err := keyFree(ctx.Store, r.ClientPubKey); err != nil {
		return nil, err
	}
	a := &custodyv1.Account{
		Id:                  r.AccountId,
		BrokerId:            broker,
		BankId:              r.BankId,
		ClientPubKey:        r.ClientPubKey,
		IdentityHash:        r.IdentityHash,
		BankCardHash:        r.BankCardHash,
		ShareholderAccounts: r.ShareholderAccounts,
		Status:              custodyv1.AccountStatus_ACCOUNT_STATUS_PENDING,
		OpenedHeight:        ctx.Block.Height,
		OpenedTime:          ctx.Block.UnixNano(),
		UpdatedHeight:       ctx.Block.Height,
		UpdatedTime:         ctx.Block.UnixNano(),
	}
	Set(ctx.Store, a)
	ctx.Store.Set(idx, []byte(a.Id))
	claim(ctx.Store, a.ClientPubKey, a.Id)
	ctx.Emit("account_opened", "account_id", a.Id, "broker_id", broker, "bank_id", a.BankId,
		"client", auth.Address(a.ClientPubKey))
	return contracts.Marshal(a), nil
}

// Confirm is the custody bank's answer to a pending account. Approval
// names the client key the bank received from the client through its own
// channel; it must be the key that signed the opening request, or nothing
// changes (ErrClientKeyMismatch): the broker alone can never make a key it
// holds a client's key. Approval activates the account, opens its funds,
// registers the client key (ROLE_CLIENT, owner = account id) and starts
// the key history: four writes. Rejection records the reason and frees the
// identity and the key for another opening: three writes.
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
		ctx.Store.Delete(ClaimKey(a.ClientPubKey))
		Set(ctx.Store, a)
		ctx.Emit("account_rejected", "account_id", a.Id, "bank_id", a.BankId, "reason", m.Reason)
		return contracts.Marshal(a), nil
	}
	if !bytes.Equal(m.ClientPubKey, a.ClientPubKey) {
		return nil, ErrClientKeyMismatch.Wrapf("account %s: the client signed with %s, the bank names %s",
			a.Id, auth.Address(a.ClientPubKey), auth.Address(m.ClientPubKey))
	}
	// The claim kept every other client from naming this key since the
	// opening, but an institution key registered since then (participants)
	// does not look at claims: auth refuses it here.
	if err := auth.Register(ctx.Store, a.ClientPubKey, custodyv1.Role_ROLE_CLIENT, a.Id); err != nil {
		return nil, ErrClientKeyTaken.Wrapf("key %s: %v", auth.Address(a.ClientPubKey), err)
	}
	a.Status = custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE
	funds.Open(ctx.Store, a.Id)
	appendKeyEvent(ctx, a, &custodyv1.ClientKeyEvent{Kind: custodyv1.ClientKeyEventKind_CLIENT_KEY_EVENT_KIND_REGISTERED, PubKey: a.ClientPubKey})
	Set(ctx.Store, a)
	ctx.Emit("account_activated", "account_id", a.Id, "bank_id", a.BankId, "broker_id", a.BrokerId,
		"client", auth.Address(a.ClientPubKey))
	return contracts.Marshal(a), nil
}

// Close closes an active, unfrozen account with nothing left in it: no
// balance, nothing frozen, no open withdrawal, no holding, no pending key
// replacement. The client key is disabled (and keeps its claim: it never
// serves another account) and the identity leaves the index. The funds
// record, the fund ledger and the key history stay, for the record.
// Writes: account, key record, key event, index delete.
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
	if ctx.Store.Has(PendingKeyChangeKey(a.Id)) {
		return nil, ErrKeyChangePending.Wrapf("account %s: the bank must answer the key replacement first", a.Id)
	}
	a.Status = custodyv1.AccountStatus_ACCOUNT_STATUS_CLOSED
	a.UpdatedHeight, a.UpdatedTime = ctx.Block.Height, ctx.Block.UnixNano()
	auth.Disable(ctx.Store, a.ClientPubKey)
	appendKeyEvent(ctx, a, &custodyv1.ClientKeyEvent{Kind: custodyv1.ClientKeyEventKind_CLIENT_KEY_EVENT_KIND_DISABLED, PubKey: a.ClientPubKey})
	Set(ctx.Store, a)
	ctx.Store.Delete(IdentityKey(a.BrokerId, a.IdentityHash))
	ctx.Emit("account_closed", "account_id", a.Id, "broker_id", a.BrokerId)
	return contracts.Marshal(a), nil
}

// keyFree refuses a key that any account has claimed (pending, active,
// closed, or replaced since) or that is registered to anyone (an
// institution's key): a key belongs to one owner for life.
func keyFree(store contracts.Store, pubKey []byte) error {
	if owner := store.Get(ClaimKey(pubKey)); owner != nil {
		return ErrClientKeyTaken.Wrapf("key %s is account %s's", hex.EncodeToString(pubKey), owner)
	}
	if _, err := auth.Get(store, auth.Address(pubKey)); err == nil {
		return ErrClientKeyTaken.Wrapf("key %s is registered", hex.EncodeToString(pubKey))
	}
	return nil
}

func claim(store contracts.Store, pubKey []byte, accountID string) {
	store.Set(ClaimKey(pubKey), []byte(accountID))
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
