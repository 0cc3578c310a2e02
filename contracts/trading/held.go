package trading

import (
	"encoding/binary"
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Held settlement (issue #18): when a broker's day disagrees with the
// clearing house's trade file, clearing does not settle that broker's
// clients for the day. Their sale proceeds stay unsettled (usable for new
// orders, not withdrawable) and their T+1 purchases stay unsettled (not
// sellable) until the break is resolved. The record lives here, beside the
// holdings and the day's cash whose invariants must count it.

// HeldKey is the key of a HeldSettlement: 0x55 | date | broker id.
func HeldKey(date uint32, brokerID string) []byte {
	return append(binary.BigEndian.AppendUint32([]byte{contracts.PrefixHeldSettlement}, date), brokerID...)
}

// GetHeld returns the held settlement of (date, broker), if any.
func GetHeld(store contracts.Store, date uint32, brokerID string) (*custodyv1.HeldSettlement, bool) {
	k := HeldKey(date, brokerID)
	bz := store.Get(k)
	if bz == nil {
		return nil, false
	}
	var h custodyv1.HeldSettlement
	contracts.Unmarshal(k, bz, &h)
	return &h, true
}

// SetHeld writes a held settlement; DeleteHeld removes it.
func SetHeld(store contracts.Store, h *custodyv1.HeldSettlement) {
	store.Set(HeldKey(h.Date, h.BrokerId), contracts.Marshal(h))
}

// DeleteHeld removes the held settlement of (date, broker).
func DeleteHeld(store contracts.Store, date uint32, brokerID string) {
	store.Delete(HeldKey(date, brokerID))
}

// ForEachHeld calls fn for every held settlement in (date, broker) order.
func ForEachHeld(store contracts.Store, fn func(*custodyv1.HeldSettlement)) {
	prefix := []byte{contracts.PrefixHeldSettlement}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	for ; it.Valid(); it.Next() {
		var h custodyv1.HeldSettlement
		contracts.Unmarshal(it.Key(), it.Value(), &h)
		fn(&h)
	}
}

// SettleHoldingQuantity makes qty (> 0) of the account's unsettled
// quantity sellable: the part of a T+1 purchase that clearing settles. It
// panics when less is unsettled (the callers sum the fills that made it).
func SettleHoldingQuantity(store contracts.Store, accountID, security string, qty int64) {
	h := GetHolding(store, accountID, security)
	if qty <= 0 || h.Unsettled < qty {
		panic(fmt.Sprintf("trading: invariant broken: settling %d of %s/%s with %d unsettled", qty, accountID, security, h.Unsettled))
	}
	h.Unsettled -= qty
	setHolding(store, h)
}
