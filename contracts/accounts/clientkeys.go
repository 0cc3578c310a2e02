package accounts

import (
	"bytes"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Client key replacement. A client who lost its key (or fears it leaked)
// gets a new one through its broker and its bank together, as it got the
// first:
//
//	ProposeKey (the account's broker): carries the NEW key's signed
//	  ClientKeyRequest (proof of possession). Nothing changes yet; the
//	  proposal is recorded (PendingClientKey, a PROPOSED key event) and the
//	  new key is claimed.
//	ConfirmKey (the account's bank): names the new key it received from
//	  the client through its own channel. Approval with the same key
//	  disables the old key at once (no later tx, in this block or any
//	  other, may be signed with it), registers the new one to the same
//	  account and records a REPLACED key event; a different key is refused
//	  (ErrClientKeyMismatch) and changes nothing. Rejection drops the
//	  proposal, frees the new key and records a REJECTED event.
//
// The regulator sees every step: each is an event (client_key_proposed,
// client_key_replaced, client_key_rejected) and a record in the account's
// key history (KeyEvents), readable by whoever may read the account.
// Orders placed before the replacement stay valid (the client signed them
// with the key in force then); tickets signed with the old key afterwards
// are refused, since trading checks the account's current key.

// GetPendingKey returns the pending key replacement of an account, or nil.
func GetPendingKey(store contracts.Store, accountID string) *custodyv1.PendingClientKey {
	k := PendingKeyChangeKey(accountID)
	bz := store.Get(k)
	if bz == nil {
		return nil
	}
	var p custodyv1.PendingClientKey
	contracts.Unmarshal(k, bz, &p)
	return &p
}

// MaxKeyEventsPerPage bounds one read of the key history.
const MaxKeyEventsPerPage = 1000

// KeyEvents returns up to limit records of an account's client-key
// history from sequence fromSeq on, in sequence order. limit ≤ 0 or above
// MaxKeyEventsPerPage reads MaxKeyEventsPerPage. The history is readable
// by whoever may read the account (its client, broker and bank) and by the
// regulator: it sits under the account's id, like its fund ledger.
func KeyEvents(store contracts.Store, accountID string, fromSeq uint64, limit int) []*custodyv1.ClientKeyEvent {
	if limit <= 0 || limit > MaxKeyEventsPerPage {
		limit = MaxKeyEventsPerPage
	}
	it := store.Iterator(KeyEventKey(accountID, fromSeq), contracts.PrefixEnd(KeyEventsPrefix(accountID)))
	defer it.Close()
	var out []*custodyv1.ClientKeyEvent
	for ; it.Valid() && len(out) < limit; it.Next() {
		var ev custodyv1.ClientKeyEvent
		contracts.Unmarshal(it.Key(), it.Value(), &ev)
		out = append(out, &ev)
	}
	return out
}

// appendKeyEvent numbers ev as the account's next key event, stamps it
// with the block, the signer and the tx, and writes it. The caller writes
// the account (whose KeyEvents counter moved).
func appendKeyEvent(ctx *contracts.Context, a *custodyv1.Account, ev *custodyv1.ClientKeyEvent) {
	a.KeyEvents++
	ev.AccountId, ev.Seq = a.Id, a.KeyEvents
	ev.Signer = ctx.Signer.Owner
	ev.Height, ev.Time, ev.TxHash = ctx.Block.Height, ctx.Block.UnixNano(), ctx.TxHash
	ctx.Store.Set(KeyEventKey(a.Id, ev.Seq), contracts.Marshal(ev))
}

// ProposeKey records the broker's proposal of a new client key for an
// active account (frozen or not: a frozen client may need its key the
// most). Writes: the pending replacement, the new key's claim, a key
// event, the account.
func ProposeKey(ctx *contracts.Context, m *custodyv1.MsgProposeClientKey) ([]byte, error) {
	r, broker := m.Request, ctx.Signer.Owner
	if r.ChainId != ctx.Block.ChainID {
		return nil, ErrRequestChain.Wrapf("request for %q on %q", r.ChainId, ctx.Block.ChainID)
	}
	a, err := Get(ctx.Store, r.AccountId)
	if err != nil {
		return nil, err
	}
	if a.BrokerId != broker {
		return nil, ErrWrongBroker.Wrapf("account %s is at %s, not %s", a.Id, a.BrokerId, broker)
	}
	if r.BrokerId != broker {
		return nil, ErrRequestBroker.Wrapf("request names %s, signed by %s", r.BrokerId, broker)
	}
	if r.BankId != a.BankId {
		return nil, ErrRequestBank.Wrapf("request names %s, account %s is held at %s", r.BankId, a.Id, a.BankId)
	}
	if a.Status != custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE {
		return nil, ErrNotActive.Wrapf("account %s is %s", a.Id, a.Status)
	}
	if p := GetPendingKey(ctx.Store, a.Id); p != nil {
		return nil, ErrKeyChangePending.Wrapf("account %s: key %s proposed at height %d",
			a.Id, auth.Address(p.NewClientPubKey), p.ProposedHeight)
	}
	if err := keyFree(ctx.Store, r.NewClientPubKey); err != nil {
		return nil, err
	}
	p := &custodyv1.PendingClientKey{
		AccountId: a.Id, NewClientPubKey: r.NewClientPubKey, BrokerId: broker, Reason: m.Reason,
		ProposedHeight: ctx.Block.Height, ProposedTime: ctx.Block.UnixNano(),
	}
	ctx.Store.Set(PendingKeyChangeKey(a.Id), contracts.Marshal(p))
	claim(ctx.Store, r.NewClientPubKey, a.Id)
	appendKeyEvent(ctx, a, &custodyv1.ClientKeyEvent{
		Kind: custodyv1.ClientKeyEventKind_CLIENT_KEY_EVENT_KIND_PROPOSED, PubKey: r.NewClientPubKey,
		PreviousPubKey: a.ClientPubKey, Reason: m.Reason,
	})
	Set(ctx.Store, a)
	ctx.Emit("client_key_proposed", "account_id", a.Id, "broker_id", broker, "bank_id", a.BankId,
		"client", auth.Address(a.ClientPubKey), "new_client", auth.Address(r.NewClientPubKey))
	return contracts.Marshal(p), nil
}

// ConfirmKey is the bank's answer to a pending key replacement. Approval
// writes: old key record (disabled), new key record, a key event, the
// account, the pending delete. Rejection: pending delete, claim delete, a
// key event, the account.
func ConfirmKey(ctx *contracts.Context, m *custodyv1.MsgConfirmClientKey) ([]byte, error) {
	a, err := Get(ctx.Store, m.AccountId)
	if err != nil {
		return nil, err
	}
	if a.BankId != ctx.Signer.Owner {
		return nil, ErrWrongBank.Wrapf("account %s is held at %s, not %s", a.Id, a.BankId, ctx.Signer.Owner)
	}
	p := GetPendingKey(ctx.Store, a.Id)
	if p == nil {
		return nil, ErrNoKeyChange.Wrapf("account %s", a.Id)
	}
	// ProposeKey needs an active account and Close refuses while a
	// replacement is pending, so the account is still active here.
	a.UpdatedHeight, a.UpdatedTime = ctx.Block.Height, ctx.Block.UnixNano()
	if !m.Approve {
		ctx.Store.Delete(PendingKeyChangeKey(a.Id))
		ctx.Store.Delete(ClaimKey(p.NewClientPubKey))
		appendKeyEvent(ctx, a, &custodyv1.ClientKeyEvent{
			Kind: custodyv1.ClientKeyEventKind_CLIENT_KEY_EVENT_KIND_REJECTED, PubKey: p.NewClientPubKey, Reason: m.Reason,
		})
		Set(ctx.Store, a)
		ctx.Emit("client_key_rejected", "account_id", a.Id, "bank_id", a.BankId,
			"new_client", auth.Address(p.NewClientPubKey), "reason", m.Reason)
		return contracts.Marshal(a), nil
	}
	if !bytes.Equal(m.NewClientPubKey, p.NewClientPubKey) {
		return nil, ErrClientKeyMismatch.Wrapf("account %s: the broker proposed %s, the bank names %s",
			a.Id, auth.Address(p.NewClientPubKey), auth.Address(m.NewClientPubKey))
	}
	if err := auth.Register(ctx.Store, p.NewClientPubKey, custodyv1.Role_ROLE_CLIENT, a.Id); err != nil {
		return nil, ErrClientKeyTaken.Wrapf("key %s: %v", auth.Address(p.NewClientPubKey), err)
	}
	old := a.ClientPubKey
	auth.Disable(ctx.Store, old)
	a.ClientPubKey = p.NewClientPubKey
	ctx.Store.Delete(PendingKeyChangeKey(a.Id))
	appendKeyEvent(ctx, a, &custodyv1.ClientKeyEvent{
		Kind: custodyv1.ClientKeyEventKind_CLIENT_KEY_EVENT_KIND_REPLACED, PubKey: a.ClientPubKey,
		PreviousPubKey: old, Reason: p.Reason,
	})
	Set(ctx.Store, a)
	ctx.Emit("client_key_replaced", "account_id", a.Id, "bank_id", a.BankId, "broker_id", a.BrokerId,
		"old_client", auth.Address(old), "client", auth.Address(a.ClientPubKey))
	return contracts.Marshal(a), nil
}
