package trading

import (
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/fees"
	"github.com/custody-ledger/custody/contracts/funds"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// FeesProto converts a fee breakdown to its record.
func FeesProto(b fees.Breakdown) *custodyv1.Fees {
	return &custodyv1.Fees{Commission: b.Commission, StampDuty: b.StampDuty, TransferFee: b.TransferFee,
		HandlingFee: b.HandlingFee, RegulatorLevy: b.RegulatorLevy}
}

// Breakdown converts a fee record to the fees package's form.
func Breakdown(f *custodyv1.Fees) fees.Breakdown {
	if f == nil {
		return fees.Breakdown{}
	}
	return fees.Breakdown{Commission: f.Commission, StampDuty: f.StampDuty, TransferFee: f.TransferFee,
		HandlingFee: f.HandlingFee, RegulatorLevy: f.RegulatorLevy}
}

// GetFill returns a fill by exec id; found is false when there is none.
func GetFill(store contracts.Store, execID string) (*custodyv1.Fill, bool) {
	k := FillKey(execID)
	bz := store.Get(k)
	if bz == nil {
		return nil, false
	}
	var f custodyv1.Fill
	contracts.Unmarshal(k, bz, &f)
	return &f, true
}

// ReportFill records one execution of an open order reported by its
// broker. Checks, in order: a new exec id, the order (known, the signer's),
// still open and of the current business date, the quantity within what
// remains, the price within the order's bound, on the tick and within the
// day's limits. Then:
//
//   - buy: the value and the fees (charged cumulatively over the order's
//     fills, fees.Params.Fill) leave the client's frozen funds for the
//     broker's settlement account; the holding grows, sellable at once for
//     T+0 instruments and from the next business day for T+1 ones;
//   - sell: the frozen holding goes; the value less the fees goes from the
//     broker's settlement account to the client, usable at once and
//     withdrawable after clearing (funds.unsettled); fees beyond small
//     proceeds come out of the order's reserve;
//   - the clearing house's position moves opposite to the client's;
//   - when the order is complete, what it still froze is released.
//
// Writes: fill, its two index entries, order, open-order index (on
// completion), funds and a ledger entry (two on completion), custody
// total, the broker's settlement account, holding, position.
func ReportFill(ctx *contracts.Context, m *custodyv1.MsgReportFill) ([]byte, error) {
	if ctx.Store.Has(FillKey(m.ExecId)) {
		return nil, ErrDuplicateExec.Wrapf("%q", m.ExecId)
	}
	o, err := GetOrder(ctx.Store, m.OrderId)
	if err != nil {
		return nil, err
	}
	if o.BrokerId != ctx.Signer.Owner {
		return nil, accounts.ErrWrongBroker.Wrapf("order %s is at %s, not %s", o.Id, o.BrokerId, ctx.Signer.Owner)
	}
	day := GetBusinessDay(ctx.Store)
	if !IsOpen(o) || o.BusinessDate != day.Date {
		return nil, ErrOrderNotOpen.Wrapf("%s is %s (business date %d)", o.Id, o.Status, o.BusinessDate)
	}
	if remaining := o.Quantity - o.FilledQuantity; m.Quantity > remaining {
		return nil, ErrOverfill.Wrapf("%d to fill, %d remaining of %s", m.Quantity, remaining, o.Id)
	}
	buy := o.Side == custodyv1.Side_SIDE_BUY
	if buy && m.Price > o.BoundPrice || !buy && m.Price < o.BoundPrice {
		return nil, ErrFillPrice.Wrapf("%s at %s, bound %s", o.Side, contracts.Price(m.Price), contracts.Price(o.BoundPrice))
	}
	inst, err := GetInstrument(ctx.Store, o.Security)
	if err != nil {
		return nil, err // unreachable: instruments are never delisted
	}
	p := GetParams(ctx.Store)
	if err := Rules(p).CheckPrice(MarketInstrument(inst), m.Price, day.Date); err != nil {
		return nil, err
	}

	// Value and fees, both on the order's cumulative raw value.
	rawFill, err := fees.RawValue(m.Price, m.Quantity)
	if err != nil {
		return nil, feeErr(err)
	}
	rawAfter, ok := addInt(o.FilledRaw, rawFill)
	if !ok || rawAfter > 1<<62 {
		return nil, ErrOverflow.Wrapf("order %s value", o.Id)
	}
	value := fees.ValueFen(rawAfter) - fees.ValueFen(o.FilledRaw)
	fb, err := FeeParams(p).Fill(tradeOf(o, inst), o.FilledRaw, rawFill)
	if err != nil {
		return nil, feeErr(err)
	}
	feeTotal := fb.Total()

	a, err := accounts.Get(ctx.Store, o.AccountId)
	if err != nil {
		return nil, err // unreachable: an order's account exists
	}
	f := &custodyv1.Fill{
		ExecId: m.ExecId, OrderId: o.Id, AccountId: o.AccountId, BrokerId: o.BrokerId, Security: o.Security,
		Side: o.Side, Price: m.Price, Quantity: m.Quantity, Value: value, Fees: FeesProto(fb),
		BusinessDate: day.Date, Height: ctx.Block.Height, Time: ctx.Block.UnixNano(),
	}
	// Holding and position first: everything is checked before anything
	// is written.
	h := GetHolding(ctx.Store, o.AccountId, o.Security)
	delta := m.Quantity
	if buy {
		h.Balance += m.Quantity
		if inst.Cycle == custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1 {
			h.Unsettled += m.Quantity
		}
	} else {
		h.Balance -= m.Quantity
		h.Frozen -= m.Quantity
		delta = -m.Quantity
	}
	if h.Balance > MaxHolding {
		return nil, ErrOverflow.Wrapf("holding of %s in %s", o.AccountId, o.Security)
	}
	pos := GetPosition(ctx.Store, o.Security)
	if pos.Quantity < -MaxPosition || pos.Quantity > MaxPosition {
		return nil, ErrOverflow.Wrapf("clearing house position in %s", o.Security)
	}

	var change funds.Change
	reason := custodyv1.LedgerReason_LEDGER_REASON_SELL_FILL
	if buy {
		reason = custodyv1.LedgerReason_LEDGER_REASON_BUY_FILL
		f.Cash = -(value + feeTotal)
		change = funds.Change{Amount: f.Cash, FromFrozen: min(value+feeTotal, o.FrozenCash)}
	} else {
		f.Cash = value - feeTotal
		if f.Cash >= 0 {
			change = funds.Change{Amount: f.Cash, Unsettled: f.Cash}
		} else {
			change = funds.Change{Amount: f.Cash, FromFrozen: min(-f.Cash, o.FrozenCash)}
		}
	}
	if _, err := funds.Trade(ctx, accounts.Holder(a), change, reason, m.ExecId, funds.BrokerSettlement(o.BrokerId)); err != nil {
		return nil, err
	}
	o.FrozenCash -= change.FromFrozen
	if !buy {
		o.FrozenQuantity -= m.Quantity
	}
	setHolding(ctx.Store, h)
	pos.Quantity -= delta
	setPosition(ctx.Store, pos)

	o.FilledQuantity += m.Quantity
	o.FilledRaw = rawAfter
	o.FilledValue += value
	o.Fees = FeesProto(Breakdown(o.Fees).Add(fb))
	o.FillCount++
	o.UpdatedHeight, o.UpdatedTime = ctx.Block.Height, ctx.Block.UnixNano()
	if o.FilledQuantity == o.Quantity {
		closeOrder(ctx, o, custodyv1.OrderStatus_ORDER_STATUS_FILLED)
	} else {
		o.Status = custodyv1.OrderStatus_ORDER_STATUS_PARTIALLY_FILLED
	}
	setOrder(ctx.Store, o)
	ctx.Store.Set(DayFillKey(day.Date, o.BrokerId, m.ExecId), present)
	ctx.Store.Set(OrderFillKey(o.Id, m.ExecId), present)
	bz := contracts.Marshal(f)
	ctx.Store.Set(FillKey(m.ExecId), bz)
	ctx.Emit("fill_reported", "exec_id", f.ExecId, "order_id", o.Id, "account_id", o.AccountId,
		"security", o.Security, "side", o.Side.String(), "price", fmt.Sprint(f.Price),
		"quantity", fmt.Sprint(f.Quantity), "value", fmt.Sprint(f.Value), "fees", fmt.Sprint(feeTotal),
		"cash", fmt.Sprint(f.Cash), "status", o.Status.String())
	return bz, nil
}

// MaxHolding bounds one client's holding of one security and MaxPosition
// the clearing house's position (10^15 and 4·10^18 shares): far beyond
// any real one, they keep every step of the arithmetic inside int64.
const (
	MaxHolding  = 1_000_000_000_000_000
	MaxPosition = 4_000_000_000_000_000_000
)

// FillsOfOrder returns the fills of an order in exec-id order.
func FillsOfOrder(store contracts.Store, orderID string) []*custodyv1.Fill {
	prefix := OrderFillsPrefix(orderID)
	return fillsUnder(store, prefix, nil, 0)
}

// FillsOfDay returns up to limit fills of a broker on a business date from
// exec id from on, in exec-id order (limit ≤ 0: all).
func FillsOfDay(store contracts.Store, date uint32, brokerID, from string, limit int) []*custodyv1.Fill {
	return fillsUnder(store, BrokerDayFillsPrefix(date, brokerID), []byte(from), limit)
}

// fillsUnder reads the fills whose exec ids end the index keys under prefix.
func fillsUnder(store contracts.Store, prefix, from []byte, limit int) []*custodyv1.Fill {
	start := append(append([]byte(nil), prefix...), from...)
	it := store.Iterator(start, contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []*custodyv1.Fill
	for ; it.Valid() && (limit <= 0 || len(out) < limit); it.Next() {
		id := string(it.Key()[len(prefix):])
		f, ok := GetFill(store, id)
		if !ok {
			panic(fmt.Sprintf("trading: invariant broken: index %x names missing fill %q", it.Key(), id))
		}
		out = append(out, f)
	}
	return out
}
