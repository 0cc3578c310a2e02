package trading

import (
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/transfers"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Invariants of the trading contract, in a fixed order. They read the
// open orders and the current business date's fills, never the whole
// history, so they stay cheap as days pass.
func Invariants() []contracts.Invariant {
	return []contracts.Invariant{
		{Name: "trading/open-orders", Check: checkOpenOrders},
		{Name: "trading/holdings", Check: checkHoldings},
		{Name: "trading/securities-conserved", Check: checkSecurities},
		{Name: "trading/frozen-funds", Check: checkFrozenFunds},
		{Name: "trading/day-cash", Check: checkDayCash},
	}
}

type acctSec struct{ account, security string }

// forEachOpenOrder calls fn for every open order, through the open-order
// index, in key order.
func forEachOpenOrder(store contracts.Store, fn func(key []byte, o *custodyv1.Order, found bool)) {
	prefix := []byte{contracts.PrefixOpenOrder}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	for ; it.Valid(); it.Next() {
		o, err := GetOrder(store, openKeyOrderID(it.Key()))
		fn(it.Key(), o, err == nil)
	}
}

// forEachDayFill calls fn for every fill of the business date, broker by
// broker in exec-id order.
func forEachDayFill(store contracts.Store, date uint32, fn func(f *custodyv1.Fill, found bool)) {
	prefix := DayFillsPrefix(date)
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	for ; it.Valid(); it.Next() {
		k := it.Key()
		n := int(k[len(prefix)])
		f, ok := GetFill(store, string(k[len(prefix)+1+n:]))
		fn(f, ok)
	}
}

// checkOpenOrders: every open-order index entry names an order that is
// OPEN or PARTIALLY_FILLED, of the current business date, with its filled
// quantity below its quantity, what it froze non-negative, a sell's frozen
// quantity equal to its remaining quantity, its fills (through the order's
// fill index) adding up to what it says it filled.
func checkOpenOrders(store contracts.Store) (string, bool) {
	date := GetBusinessDay(store).Date
	n := 0
	var bad string
	forEachOpenOrder(store, func(key []byte, o *custodyv1.Order, found bool) {
		n++
		if bad != "" {
			return
		}
		switch {
		case !found:
			bad = fmt.Sprintf("open-order index %x names no order", key)
		case !IsOpen(o):
			bad = fmt.Sprintf("order %s is indexed open but is %s", o.Id, o.Status)
		case o.BusinessDate != date:
			bad = fmt.Sprintf("order %s of %d is open on business date %d", o.Id, o.BusinessDate, date)
		case o.FilledQuantity < 0 || o.FilledQuantity >= o.Quantity:
			bad = fmt.Sprintf("open order %s filled %d of %d", o.Id, o.FilledQuantity, o.Quantity)
		case o.FrozenCash < 0 || o.FrozenQuantity < 0:
			bad = fmt.Sprintf("order %s freezes %d fen, %d shares", o.Id, o.FrozenCash, o.FrozenQuantity)
		case o.Side == custodyv1.Side_SIDE_SELL && o.FrozenQuantity != o.Quantity-o.FilledQuantity,
			o.Side == custodyv1.Side_SIDE_BUY && o.FrozenQuantity != 0:
			bad = fmt.Sprintf("order %s freezes %d shares with %d of %d left", o.Id, o.FrozenQuantity, o.Quantity-o.FilledQuantity, o.Quantity)
		case o.Status == custodyv1.OrderStatus_ORDER_STATUS_OPEN && o.FilledQuantity != 0,
			o.Status == custodyv1.OrderStatus_ORDER_STATUS_PARTIALLY_FILLED && o.FilledQuantity == 0:
			bad = fmt.Sprintf("order %s is %s with %d filled", o.Id, o.Status, o.FilledQuantity)
		default:
			var qty, raw int64
			var count uint32
			for _, f := range FillsOfOrder(store, o.Id) {
				qty += f.Quantity
				raw += f.Price * f.Quantity
				count++
			}
			if qty != o.FilledQuantity || raw != o.FilledRaw || count != o.FillCount {
				bad = fmt.Sprintf("order %s says %d filled (raw %d, %d fills), its fills make %d (raw %d, %d fills)",
					o.Id, o.FilledQuantity, o.FilledRaw, o.FillCount, qty, raw, count)
			}
		}
	})
	if bad != "" {
		return bad, true
	}
	return fmt.Sprintf("%d open orders, all of business date %d and consistent with their fills", n, date), false
}

// checkHoldings: every holding is balance = sellable + frozen + unsettled,
// none negative, none empty; its frozen quantity is what the open sell
// orders froze; and its unsettled quantity is exactly what the account
// bought of a T+1 instrument today — so nothing bought today under T+1 can
// be sold (the T+1 rule), and nothing older is held back.
func checkHoldings(store contracts.Store) (string, bool) {
	date := GetBusinessDay(store).Date
	// Maps for look-up only; distinct counts are kept as entries appear, so
	// no map is ever ranged over.
	frozen := map[acctSec]int64{}
	nOpenSells, nBuys := 0, 0
	var bad string
	forEachOpenOrder(store, func(_ []byte, o *custodyv1.Order, found bool) {
		if found && o.Side == custodyv1.Side_SIDE_SELL && o.FrozenQuantity > 0 {
			k := acctSec{o.AccountId, o.Security}
			if frozen[k] == 0 {
				nOpenSells++
			}
			frozen[k] += o.FrozenQuantity
		}
	})
	bought := map[acctSec]int64{}
	t1 := map[string]bool{}
	forEachDayFill(store, date, func(f *custodyv1.Fill, found bool) {
		if !found {
			bad = "a day-fill index entry names no fill"
			return
		}
		if f.Side != custodyv1.Side_SIDE_BUY {
			return
		}
		cycle, seen := t1[f.Security]
		if !seen {
			inst, err := GetInstrument(store, f.Security)
			cycle = err == nil && inst.Cycle == custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1
			t1[f.Security] = cycle
		}
		if k := (acctSec{f.AccountId, f.Security}); cycle {
			if bought[k] == 0 {
				nBuys++
			}
			bought[k] += f.Quantity
		}
	})
	// T+1 purchases of a day whose settlement a break holds stay
	// unsettled too (held.go).
	ForEachHeld(store, func(h *custodyv1.HeldSettlement) {
		for _, q := range h.Holdings {
			k := acctSec{q.AccountId, q.Security}
			if bought[k] == 0 {
				nBuys++
			}
			bought[k] += q.Quantity
		}
	})
	n, nFrozen, nBought := 0, 0, 0
	ForEachHolding(store, func(h *custodyv1.Holding) {
		n++
		k := acctSec{h.AccountId, h.Security}
		if _, ok := frozen[k]; ok {
			nFrozen++
		}
		if _, ok := bought[k]; ok {
			nBought++
		}
		switch {
		case bad != "":
		case h.Balance <= 0 || h.Frozen < 0 || h.Unsettled < 0 || h.Sellable < 0:
			bad = fmt.Sprintf("holding %s/%s has a bad figure: %v", h.AccountId, h.Security, h)
		case h.Balance != h.Sellable+h.Frozen+h.Unsettled:
			bad = fmt.Sprintf("holding %s/%s: balance %d ≠ sellable %d + frozen %d + unsettled %d", h.AccountId, h.Security, h.Balance, h.Sellable, h.Frozen, h.Unsettled)
		case h.Frozen != frozen[k]:
			bad = fmt.Sprintf("holding %s/%s freezes %d, open sell orders %d", h.AccountId, h.Security, h.Frozen, frozen[k])
		case h.Unsettled != bought[k]:
			bad = fmt.Sprintf("T+1: holding %s/%s has %d unsettled, bought today or held by a settlement break %d", h.AccountId, h.Security, h.Unsettled, bought[k])
		}
	})
	if bad == "" && (nFrozen != nOpenSells || nBought != nBuys) {
		bad = "an open sell order or a T+1 purchase has no holding"
	}
	if bad != "" {
		return bad, true
	}
	return fmt.Sprintf("%d holdings: frozen by open sells, today's T+1 purchases not sellable", n), false
}

// checkSecurities: for every security, the clients' holdings and the
// clearing house's position add up to zero (the clearing house is the
// counterparty of every fill).
func checkSecurities(store contracts.Store) (string, bool) {
	held := map[string]int64{}
	ForEachHolding(store, func(h *custodyv1.Holding) { held[h.Security] += h.Balance })
	var bad string
	n := 0
	ForEachPosition(store, func(p *custodyv1.Position) {
		n++
		if bad == "" && held[p.Security]+p.Quantity != 0 {
			bad = fmt.Sprintf("%s: clients hold %d, the clearing house %d", p.Security, held[p.Security], p.Quantity)
		}
		delete(held, p.Security)
	})
	if bad == "" {
		// Holdings of a security without a position must be zero: a
		// holding exists only with a balance, so there must be none.
		ForEachHolding(store, func(h *custodyv1.Holding) {
			if _, ok := held[h.Security]; ok && bad == "" {
				bad = fmt.Sprintf("%s: clients hold %d without a clearing-house position", h.Security, held[h.Security])
			}
		})
	}
	if bad != "" {
		return bad, true
	}
	return fmt.Sprintf("%d securities: holdings + clearing-house position = 0", n), false
}

// checkFrozenFunds: each account's frozen funds are exactly its pending
// withdrawals plus what its open orders froze.
func checkFrozenFunds(store contracts.Store) (string, bool) {
	want := map[string]int64{}
	transfers.ForEach(store, func(t *custodyv1.Transfer) {
		if t.Status == custodyv1.TransferStatus_TRANSFER_STATUS_PENDING {
			want[t.AccountId] += t.Amount
		}
	})
	forEachOpenOrder(store, func(_ []byte, o *custodyv1.Order, found bool) {
		if found {
			want[o.AccountId] += o.FrozenCash
		}
	})
	var bad string
	n := 0
	funds.ForEach(store, func(id string, f *custodyv1.Funds) {
		if _, ok := want[id]; ok {
			n++
		}
		if bad == "" && f.Frozen != want[id] {
			bad = fmt.Sprintf("account %s freezes %d, pending withdrawals and open orders %d", id, f.Frozen, want[id])
		}
	})
	if bad == "" && n != len(want) {
		bad = "money frozen for an account without funds"
	}
	if bad != "" {
		return bad, true
	}
	return fmt.Sprintf("%d accounts: frozen = pending withdrawals + open orders", n), false
}

// checkDayCash: each account's unsettled proceeds are the positive cash of
// its sell fills today, and each broker's settlement account holds what
// its clients paid in net through today's fills (so it is zero after
// every clearing).
func checkDayCash(store contracts.Store) (string, bool) {
	date := GetBusinessDay(store).Date
	proceeds := map[string]int64{}
	brokerNet := map[string]int64{}
	n := 0
	forEachDayFill(store, date, func(f *custodyv1.Fill, found bool) {
		if !found {
			return // checkHoldings reports it
		}
		n++
		if f.Side == custodyv1.Side_SIDE_SELL && f.Cash > 0 {
			proceeds[f.AccountId] += f.Cash
		}
		brokerNet[f.BrokerId] -= f.Cash
	})
	// Proceeds of a day whose settlement a break holds stay unsettled too.
	ForEachHeld(store, func(h *custodyv1.HeldSettlement) {
		for _, p := range h.Proceeds {
			proceeds[p.AccountId] += p.Amount
		}
	})
	var bad string
	seen := 0
	funds.ForEach(store, func(id string, f *custodyv1.Funds) {
		if _, ok := proceeds[id]; ok {
			seen++
		}
		if bad == "" && f.Unsettled != proceeds[id] {
			bad = fmt.Sprintf("account %s has %d unsettled, sold %d today or held by a settlement break", id, f.Unsettled, proceeds[id])
		}
	})
	if bad == "" && seen != len(proceeds) {
		bad = "sale proceeds for an account without funds"
	}
	seen = 0
	funds.ForEachSystem(store, func(a *custodyv1.SystemAccount) {
		if a.Kind != custodyv1.SystemAccountKind_SYSTEM_ACCOUNT_KIND_BROKER_SETTLEMENT {
			return
		}
		if _, ok := brokerNet[a.Owner]; ok {
			seen++
		}
		if bad == "" && a.Balance != brokerNet[a.Owner] {
			bad = fmt.Sprintf("settlement account of %s holds %d, today's fills net %d", a.Owner, a.Balance, brokerNet[a.Owner])
		}
	})
	if bad == "" && seen != len(brokerNet) {
		bad = "fills of a broker without a settlement account"
	}
	if bad != "" {
		return bad, true
	}
	return fmt.Sprintf("%d fills today: unsettled proceeds and broker settlement accounts match", n), false
}
