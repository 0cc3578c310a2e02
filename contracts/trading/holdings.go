package trading

import (
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// GetHolding returns a client's holding of a security (zero when none).
func GetHolding(store contracts.Store, accountID, security string) *custodyv1.Holding {
	k := HoldingKey(accountID, security)
	h := &custodyv1.Holding{AccountId: accountID, Security: security}
	if bz := store.Get(k); bz != nil {
		contracts.Unmarshal(k, bz, h)
	}
	return h
}

// setHolding derives sellable and writes the holding, or deletes it when
// nothing is left (so that an emptied account can close). A negative
// figure is a broken invariant: the callers checked the ranges.
func setHolding(store contracts.Store, h *custodyv1.Holding) {
	h.Sellable = h.Balance - h.Frozen - h.Unsettled
	if h.Balance < 0 || h.Frozen < 0 || h.Unsettled < 0 || h.Sellable < 0 {
		panic(fmt.Sprintf("trading: invariant broken: holding %s/%s %v", h.AccountId, h.Security, h))
	}
	k := HoldingKey(h.AccountId, h.Security)
	if h.Balance == 0 {
		store.Delete(k)
		return
	}
	store.Set(k, contracts.Marshal(h))
}

// Holdings returns an account's holdings in security order.
func Holdings(store contracts.Store, accountID string) []*custodyv1.Holding {
	prefix := accounts.HoldingsPrefix(accountID)
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []*custodyv1.Holding
	for ; it.Valid(); it.Next() {
		var h custodyv1.Holding
		contracts.Unmarshal(it.Key(), it.Value(), &h)
		out = append(out, &h)
	}
	return out
}

// ForEachHolding calls fn for every holding, in key order (account by
// account).
func ForEachHolding(store contracts.Store, fn func(*custodyv1.Holding)) {
	prefix := []byte{contracts.PrefixHolding}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	for ; it.Valid(); it.Next() {
		var h custodyv1.Holding
		contracts.Unmarshal(it.Key(), it.Value(), &h)
		fn(&h)
	}
}

// setPosition writes the clearing house's position, or deletes it at zero.
func setPosition(store contracts.Store, p *custodyv1.Position) {
	k := PositionKey(p.Security)
	if p.Quantity == 0 {
		store.Delete(k)
		return
	}
	store.Set(k, contracts.Marshal(p))
}

// addInt returns a+b and whether it fits in an int64.
func addInt(a, b int64) (int64, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}

// SettleHolding makes what the account bought today of a T+1 security
// sellable (end-of-day clearing): the holding's unsettled quantity goes to
// zero.
func SettleHolding(store contracts.Store, accountID, security string) {
	h := GetHolding(store, accountID, security)
	if h.Unsettled == 0 {
		return
	}
	h.Unsettled = 0
	setHolding(store, h)
}
