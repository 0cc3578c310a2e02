package trading

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/fees"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/market"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Sign prefixes of the client's tickets: a ticket signature can never be
// mistaken for a tx signature (auth.SignPrefix) or for the other ticket.
const (
	OrderSignPrefix  = "custody-ledger/order/v1\n"
	CancelSignPrefix = "custody-ledger/cancel/v1\n"
)

// OrderSignBytes are the bytes a client signs for an order ticket: the
// prefix and the ticket's deterministic protobuf encoding.
func OrderSignBytes(t *custodyv1.OrderTicket) []byte {
	return append([]byte(OrderSignPrefix), contracts.Marshal(t)...)
}

// CancelSignBytes are the bytes a client signs for a cancel ticket.
func CancelSignBytes(t *custodyv1.CancelTicket) []byte {
	return append([]byte(CancelSignPrefix), contracts.Marshal(t)...)
}

// SignOrder is the client's signature over an order ticket.
func SignOrder(key ed25519.PrivateKey, t *custodyv1.OrderTicket) []byte {
	return ed25519.Sign(key, OrderSignBytes(t))
}

// SignCancel is the client's signature over a cancel ticket.
func SignCancel(key ed25519.PrivateKey, t *custodyv1.CancelTicket) []byte {
	return ed25519.Sign(key, CancelSignBytes(t))
}

// CheckHours judges the block time against the trading sessions when
// trading hours are enabled: the block's date in the exchanges' time zone
// must be the business date, and its time of day inside a session (one
// that takes cancels, for a cancel). The block time is the consensus
// clock: every validator judges alike.
func CheckHours(h *custodyv1.TradingHours, blockTime time.Time, date uint32, cancel bool) error {
	if h == nil || !h.Enabled {
		return nil
	}
	local := blockTime.In(time.FixedZone("exchange", int(h.UtcOffsetSeconds)))
	d := uint32(local.Year()*10000 + int(local.Month())*100 + local.Day())
	if local.Year() < 0 || d != date {
		return ErrOutsideHours.Wrapf("block date %d is not the business date %d", d, date)
	}
	sec := uint32(local.Hour()*3600 + local.Minute()*60 + local.Second())
	for _, s := range h.Sessions {
		if s.Start <= sec && sec < s.End {
			if cancel && !s.Cancels {
				return ErrNoCancelWindow.Wrapf("%s local", local.Format("15:04:05"))
			}
			return nil
		}
	}
	return ErrOutsideHours.Wrapf("%s local", local.Format("15:04:05"))
}

// hasShareholderAt reports whether the account has an exchange securities
// account at the market: SSE account numbers start with a letter (A...),
// SZSE ones with a digit.
func hasShareholderAt(a *custodyv1.Account, m custodyv1.Market) bool {
	for _, s := range a.ShareholderAccounts {
		if s == "" {
			continue
		}
		letter := s[0] >= 'A' && s[0] <= 'Z'
		if m == custodyv1.Market_MARKET_SSE && letter || m == custodyv1.Market_MARKET_SZSE && !letter {
			return true
		}
	}
	return false
}

// GetOrder returns an order, or ErrUnknownOrder.
func GetOrder(store contracts.Store, orderID string) (*custodyv1.Order, error) {
	k := OrderKey(orderID)
	bz := store.Get(k)
	if bz == nil {
		return nil, ErrUnknownOrder.Wrapf("%q", orderID)
	}
	var o custodyv1.Order
	contracts.Unmarshal(k, bz, &o)
	return &o, nil
}

func setOrder(store contracts.Store, o *custodyv1.Order) []byte {
	bz := contracts.Marshal(o)
	store.Set(OrderKey(o.Id), bz)
	return bz
}

// IsOpen reports whether an order can still fill or be cancelled.
func IsOpen(o *custodyv1.Order) bool {
	return o.Status == custodyv1.OrderStatus_ORDER_STATUS_OPEN || o.Status == custodyv1.OrderStatus_ORDER_STATUS_PARTIALLY_FILLED
}

// tradeOf is the fee description of an order's fills.
func tradeOf(o *custodyv1.Order, inst *custodyv1.Instrument) fees.Trade {
	side := fees.Buy
	if o.Side == custodyv1.Side_SIDE_SELL {
		side = fees.Sell
	}
	return fees.Trade{Date: o.BusinessDate, Side: side, Class: FeeClass(inst),
		CommissionRate: fees.Rate(o.CommissionRate), MinCommission: o.MinCommission}
}

// feeErr maps an error of the fees package: overflow is the trade's
// fault, a missing schedule the parameters'.
func feeErr(err error) error {
	if errors.Is(err, fees.ErrNoSchedule) {
		return ErrBadParams.Wrapf("%v", err)
	}
	return ErrOverflow.Wrapf("%v", err)
}

// BuyFreeze is what a buy order freezes: its value at the bound price and
// the highest fees it could incur (fees.Params.Max, with one possible fill
// per share).
func BuyFreeze(fp fees.Params, t fees.Trade, bound, qty int64) (int64, error) {
	raw, err := fees.RawValue(bound, qty)
	if err != nil {
		return 0, feeErr(err)
	}
	maxFees, err := fp.Max(t, raw, qty)
	if err != nil {
		return 0, feeErr(err)
	}
	v, ok := addInt(fees.ValueFen(raw), maxFees)
	if !ok {
		return 0, ErrOverflow.Wrapf("buy freeze of %d × %d", bound, qty)
	}
	return v, nil
}

// SellReserve is the cash a sell order freezes against fees that could
// exceed its proceeds (the minimum commission on a cheap security). A sell
// fills at the bound price or better and at least one share at a time, so
// after any run of fills its proceeds less fees fall short by at most the
// shortfall of a one-share fill at the bound price plus 6 fen of rounding
// (each of five items and the value round by at most half a fen, and every
// fee rate is far below 100%); with the minimum per fill, at most that per
// fill, and there are at most qty fills. Most sells reserve nothing.
func SellReserve(fp fees.Params, t fees.Trade, bound, qty int64) (int64, error) {
	r1, err := fees.RawValue(bound, 1)
	if err != nil {
		return 0, feeErr(err)
	}
	b, err := fp.Fill(t, 0, r1)
	if err != nil {
		return 0, feeErr(err)
	}
	short := b.Total() - fees.ValueFen(r1) + 6
	if short <= 0 {
		return 0, nil
	}
	if fp.Minimum == fees.MinimumPerFill {
		if qty > (1<<62)/short {
			return 0, ErrOverflow.Wrapf("sell reserve of %d × %d", short, qty)
		}
		short *= qty
	}
	return short, nil
}

// Place places a client's order for its broker. Checks, in order: the
// ticket's chain and business date, trading hours, the account (known, the
// signer's client, active, not frozen), the client's signature with the
// account's key, a fresh order id, the instrument (known, a shareholder
// account at its exchange), the market rules (halted, lots, size, tick,
// limits), then for a sell the sellable holding and for both the funds to
// freeze. Writes: order, open-order index, funds and a ledger entry (when
// cash is frozen), holding (sells).
func Place(ctx *contracts.Context, m *custodyv1.MsgPlaceOrder) ([]byte, error) {
	t := m.Ticket
	if t.ChainId != ctx.Block.ChainID {
		return nil, ErrTicketChain.Wrapf("ticket for %q on %q", t.ChainId, ctx.Block.ChainID)
	}
	day := GetBusinessDay(ctx.Store)
	if day.Date == 0 {
		return nil, ErrNoBusinessDay.Wrapf("the clearing house has not opened one")
	}
	if t.BusinessDate != day.Date {
		return nil, ErrWrongBusinessDate.Wrapf("ticket for %d, business date %d", t.BusinessDate, day.Date)
	}
	p := GetParams(ctx.Store)
	if err := CheckHours(p.TradingHours, ctx.Block.Time, day.Date, false); err != nil {
		return nil, err
	}
	a, err := accounts.Get(ctx.Store, t.AccountId)
	if err != nil {
		return nil, err
	}
	if a.BrokerId != ctx.Signer.Owner {
		return nil, accounts.ErrWrongBroker.Wrapf("account %s is at %s, not %s", a.Id, a.BrokerId, ctx.Signer.Owner)
	}
	if a.Status != custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE {
		return nil, accounts.ErrNotActive.Wrapf("account %s is %s", a.Id, a.Status)
	}
	if a.Frozen {
		return nil, accounts.ErrFrozen.Wrapf("account %s may not place orders", a.Id)
	}
	if !ctx.VerifySignature(a.ClientPubKey, OrderSignBytes(t), m.ClientSignature) {
		return nil, ErrClientSignature.Wrapf("order %s", t.OrderId)
	}
	if ctx.Store.Has(OrderKey(t.OrderId)) {
		return nil, ErrOrderExists.Wrapf("%q", t.OrderId)
	}
	inst, err := GetInstrument(ctx.Store, t.Security)
	if err != nil {
		return nil, err
	}
	if !hasShareholderAt(a, inst.Market) {
		return nil, ErrNoShareholder.Wrapf("account %s at %s", a.Id, MarketName(inst.Market))
	}
	rules, mi := Rules(p), MarketInstrument(inst)
	side, typ := market.Buy, market.Limit
	if t.Side == custodyv1.Side_SIDE_SELL {
		side = market.Sell
	}
	if t.Type == custodyv1.OrderType_ORDER_TYPE_MARKET {
		typ = market.MarketOrder
	}
	h := GetHolding(ctx.Store, a.Id, t.Security)
	if err := rules.Check(mi, side, typ, t.Price, t.Quantity, h.Sellable, day.Date); err != nil {
		return nil, err
	}
	bound := t.Price
	if typ == market.MarketOrder {
		up, down, limited, err := rules.LimitPrices(mi, day.Date)
		if err != nil {
			return nil, err
		}
		if !limited {
			return nil, ErrMarketNoLimit.Wrapf("%s", t.Security)
		}
		bound = up
		if side == market.Sell {
			bound = down
		}
	}
	if side == market.Sell && h.Sellable < t.Quantity {
		return nil, ErrInsufficientQty.Wrapf("%s: %d sellable, %d to sell", t.Security, h.Sellable, t.Quantity)
	}
	o := &custodyv1.Order{
		Id: t.OrderId, AccountId: a.Id, BrokerId: a.BrokerId, Security: t.Security, Side: t.Side, Type: t.Type,
		Price: t.Price, Quantity: t.Quantity, BusinessDate: day.Date, Status: custodyv1.OrderStatus_ORDER_STATUS_OPEN,
		BoundPrice: bound, Fees: &custodyv1.Fees{},
		ClientSignature: m.ClientSignature,
		PlacedHeight:    ctx.Block.Height, PlacedTime: ctx.Block.UnixNano(),
		UpdatedHeight: ctx.Block.Height, UpdatedTime: ctx.Block.UnixNano(),
	}
	// The broker's commission schedule for the security's class is fixed on
	// the order, so its fills are charged what the client saw at order time.
	commission := Commission(p, a.BrokerId, FeeClass(inst))
	o.CommissionRate, o.MinCommission = int64(commission.Rate), commission.Minimum
	fp, tr := FeeParams(p), tradeOf(o, inst)
	if side == market.Buy {
		o.FrozenCash, err = BuyFreeze(fp, tr, bound, t.Quantity)
	} else {
		o.FrozenCash, err = SellReserve(fp, tr, bound, t.Quantity)
	}
	if err != nil {
		return nil, err
	}
	if o.FrozenCash > 0 {
		if _, err := funds.FreezeOrder(ctx, a.Id, o.FrozenCash, o.Id); err != nil {
			return nil, err
		}
	}
	if side == market.Sell {
		h.Frozen += t.Quantity
		o.FrozenQuantity = t.Quantity
		setHolding(ctx.Store, h)
	}
	ctx.Store.Set(OpenOrderKey(o.Id), present)
	ctx.Emit("order_placed", "order_id", o.Id, "account_id", a.Id, "broker_id", a.BrokerId,
		"security", o.Security, "side", o.Side.String(), "type", o.Type.String(),
		"price", fmt.Sprint(o.Price), "quantity", fmt.Sprint(o.Quantity), "frozen_cash", fmt.Sprint(o.FrozenCash))
	return setOrder(ctx.Store, o), nil
}

// Cancel cancels what is left of an open order on the client's signed
// request. Checks, in order: the ticket's chain, the cancel window (when
// trading hours are on), the order (known, the signer's client's), the
// client's signature, the order still open. It releases the cash and the
// holding the order still froze. A regulator-frozen account may cancel:
// that only releases its own money.
func Cancel(ctx *contracts.Context, m *custodyv1.MsgCancelOrder) ([]byte, error) {
	t := m.Ticket
	if t.ChainId != ctx.Block.ChainID {
		return nil, ErrTicketChain.Wrapf("ticket for %q on %q", t.ChainId, ctx.Block.ChainID)
	}
	p := GetParams(ctx.Store)
	if err := CheckHours(p.TradingHours, ctx.Block.Time, GetBusinessDay(ctx.Store).Date, true); err != nil {
		return nil, err
	}
	o, err := GetOrder(ctx.Store, t.OrderId)
	if err != nil {
		return nil, err
	}
	if o.BrokerId != ctx.Signer.Owner {
		return nil, accounts.ErrWrongBroker.Wrapf("order %s is at %s, not %s", o.Id, o.BrokerId, ctx.Signer.Owner)
	}
	a, err := accounts.Get(ctx.Store, o.AccountId)
	if err != nil {
		return nil, err // unreachable: an order's account exists
	}
	if !ctx.VerifySignature(a.ClientPubKey, CancelSignBytes(t), m.ClientSignature) {
		return nil, ErrClientSignature.Wrapf("cancel of %s", t.OrderId)
	}
	if !IsOpen(o) {
		return nil, ErrOrderNotOpen.Wrapf("%s is %s", o.Id, o.Status)
	}
	closeOrder(ctx, o, custodyv1.OrderStatus_ORDER_STATUS_CANCELLED)
	ctx.Emit("order_cancelled", "order_id", o.Id, "account_id", o.AccountId,
		"filled_quantity", fmt.Sprint(o.FilledQuantity), "quantity", fmt.Sprint(o.Quantity))
	return setOrder(ctx.Store, o), nil
}

// closeOrder ends an open order with status (FILLED, CANCELLED or
// EXPIRED): it releases the cash and the holding still frozen and drops the
// open-order index entry. The caller writes the order.
func closeOrder(ctx *contracts.Context, o *custodyv1.Order, status custodyv1.OrderStatus) {
	if o.FrozenCash > 0 {
		funds.ReleaseOrder(ctx, o.AccountId, o.FrozenCash, o.Id)
		o.FrozenCash = 0
	}
	if o.FrozenQuantity > 0 {
		h := GetHolding(ctx.Store, o.AccountId, o.Security)
		h.Frozen -= o.FrozenQuantity
		setHolding(ctx.Store, h)
		o.FrozenQuantity = 0
	}
	ctx.Store.Delete(OpenOrderKey(o.Id))
	o.Status = status
	o.UpdatedHeight, o.UpdatedTime = ctx.Block.Height, ctx.Block.UnixNano()
}

// ExpireOpenOrders expires every open order (end-of-day clearing: all
// orders are day orders), in key order, and returns how many.
func ExpireOpenOrders(ctx *contracts.Context) int {
	prefix := []byte{contracts.PrefixOpenOrder}
	it := ctx.Store.Iterator(prefix, contracts.PrefixEnd(prefix))
	var ids []string
	for ; it.Valid(); it.Next() {
		ids = append(ids, openKeyOrderID(it.Key()))
	}
	it.Close()
	for _, id := range ids {
		o, err := GetOrder(ctx.Store, id)
		if err != nil || !IsOpen(o) {
			panic(fmt.Sprintf("trading: invariant broken: open-order index names %s: %v", id, err))
		}
		closeOrder(ctx, o, custodyv1.OrderStatus_ORDER_STATUS_EXPIRED)
		setOrder(ctx.Store, o)
	}
	if len(ids) > 0 {
		ctx.Emit("orders_expired", "count", fmt.Sprint(len(ids)))
	}
	return len(ids)
}

// openKeyOrderID turns an open-order index key back into the order id.
func openKeyOrderID(key []byte) string {
	n := int(key[1])
	return string(key[2:2+n]) + "/" + string(key[2+n:])
}

// OrdersOf returns up to limit orders of an account from suffix from on,
// in suffix order, keeping those whose status is in statuses (all when
// empty), and the suffix to continue from ("" at the end).
func OrdersOf(store contracts.Store, accountID string, statuses []custodyv1.OrderStatus, from string, limit int) ([]*custodyv1.Order, string) {
	prefix := OrdersPrefix(accountID)
	it := store.Iterator(append(append([]byte(nil), prefix...), from...), contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []*custodyv1.Order
	for ; it.Valid(); it.Next() {
		if len(out) == limit {
			return out, string(it.Key()[len(prefix):])
		}
		var o custodyv1.Order
		contracts.Unmarshal(it.Key(), it.Value(), &o)
		if len(statuses) == 0 || containsStatus(statuses, o.Status) {
			out = append(out, &o)
		}
	}
	return out, ""
}

func containsStatus(ss []custodyv1.OrderStatus, s custodyv1.OrderStatus) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// ParseStatus reads an order status by name: "open", "OPEN" or
// "ORDER_STATUS_OPEN".
func ParseStatus(s string) (custodyv1.OrderStatus, bool) {
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "ORDER_STATUS_") {
		name = "ORDER_STATUS_" + name
	}
	v, ok := custodyv1.OrderStatus_value[name]
	if !ok || v == 0 {
		return 0, false
	}
	return custodyv1.OrderStatus(v), true
}
