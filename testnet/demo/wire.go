package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/fees"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/testnet/exchsim"
)

// order is one order of the script: placed on chain with the client's
// signed ticket, sent to the exchange under a ClOrdID, filled as the
// exchange decides (Fill shares at the limit price, in one or two
// reports), each fill reported on chain under the exchange's exec id.
type order struct {
	id      string // chain order id, "<account>/<suffix>"
	cl      Client
	inst    instrument
	buy     bool
	price   int64 // limit, CNY × 10 000
	qty     int64
	fill    int64 // shares the exchange fills
	clOrdID string
	fills   []wireFill // from the exchange, in order
	done    int        // fills reported on chain
}

type wireFill struct {
	exec       string
	price, qty int64
}

// clOrdID is the next client order id on the wire (10 characters, what
// both protocols carry).
func (d *Demo) clOrdID(prefix string) string {
	d.nextCl++
	return fmt.Sprintf("%s%09d", prefix, d.nextCl)
}

// newOrder is an order of client acct; fill is what the exchange will
// fill of it.
func (d *Demo) newOrder(acct, suffix, security string, buy bool, price, qty, fill int64) *order {
	o := &order{id: acct + "/" + suffix, cl: clientByID(acct), inst: instrumentOf(security), buy: buy,
		price: price, qty: qty, fill: fill, clOrdID: d.clOrdID("D")}
	d.orders[o.clOrdID] = o
	return o
}

func (o *order) side() custodyv1.Side {
	if o.buy {
		return custodyv1.Side_SIDE_BUY
	}
	return custodyv1.Side_SIDE_SELL
}

// ticket is the client's order ticket for the chain.
func (d *Demo) ticket(o *order) *custodyv1.OrderTicket {
	return &custodyv1.OrderTicket{ChainId: d.tn.ChainID, OrderId: o.id, AccountId: o.cl.ID, Security: o.inst.security,
		Side: o.side(), Type: custodyv1.OrderType_ORDER_TYPE_LIMIT, Price: o.price, Quantity: o.qty, BusinessDate: d.date}
}

// placeWave is how many orders the broker sends before it waits for their
// blocks: a tx lost to the mempool's out-of-order race (see settle) takes
// the signer's later txs in the mempool with it, so waves bound what must
// be sent again.
const placeWave = 50

// place has each client sign its ticket and the broker place the orders
// on chain, and waits for their blocks: the broker's pre-trade check
// (funds or shares frozen) before anything goes to the exchange.
func (d *Demo) place(ctx context.Context, orders ...*order) error {
	node := d.nodeOf(Broker)
	for i, o := range orders {
		msg, err := client.PlaceOrderMsg(o.cl.Key(), d.ticket(o))
		if err != nil {
			return err
		}
		if err := d.send(ctx, node, d.keys[Broker], msg, "place "+o.id); err != nil {
			return err
		}
		if (i+1)%placeWave == 0 {
			if _, err := d.settle(ctx); err != nil {
				return err
			}
		}
	}
	_, err := d.settle(ctx)
	return err
}

// cancel has each client sign a cancel ticket and the broker cancel the
// orders' rest on chain (releasing what they freeze).
func (d *Demo) cancel(ctx context.Context, orders ...*order) error {
	node := d.nodeOf(Broker)
	for _, o := range orders {
		msg, err := client.CancelOrderMsg(o.cl.Key(), d.tn.ChainID, o.id)
		if err != nil {
			return err
		}
		if err := d.send(ctx, node, d.keys[Broker], msg, "cancel "+o.id); err != nil {
			return err
		}
	}
	_, err := d.settle(ctx)
	return err
}

// sendOrder is the order's action on the wire.
func sendOrder(o *order) exchsim.Action {
	return exchsim.Action{Market: o.inst.market(), ClOrdID: o.clOrdID, Account: o.cl.shareholder(o.inst.market()),
		Security: o.inst.code(), Buy: o.buy, Price: o.price, Qty: o.qty, Fill: o.fill}
}

// cancelOrder is a cancel of the order's rest on the wire.
func (d *Demo) cancelOrder(o *order) exchsim.Action {
	return exchsim.Action{Market: o.inst.market(), Cancel: true, ClOrdID: d.clOrdID("X"), Orig: o.clOrdID,
		Account: o.cl.shareholder(o.inst.market()), Security: o.inst.code()}
}

// exchange plays the actions on the simulators' wire (one OMS session per
// market, each action answered before the next), counts the events the
// risk core must capture, and books the exchange's fills: on their order
// (for the broker to report) and in the day's trade-file totals.
func (d *Demo) exchange(ctx context.Context, name string, actions ...exchsim.Action) error {
	if err := d.syncRisk(ctx); err != nil {
		return err
	}
	exp, err := d.sim.Run(ctx, exchsim.Scenario{Name: name, Actions: actions}, exchsim.RunOptions{Resume: true})
	if err != nil {
		return fmt.Errorf("exchange %s: %w", name, err)
	}
	d.events += uint64(len(exp))
	for _, e := range exp {
		if e.Kind != capture.KindFill {
			continue
		}
		o := d.orders[e.ClOrdID]
		if o == nil {
			return fmt.Errorf("exchange %s: a fill of unknown order %q", name, e.ClOrdID)
		}
		o.fills = append(o.fills, wireFill{exec: e.ExecID, price: e.Price, qty: e.Qty})
		d.wire.fills++
		v := fees.ValueFen(e.Price * e.Qty) // the exchange values each trade
		if e.Side == capture.SideBuy {
			d.wire.buyValue += v
		} else {
			d.wire.sellValue += v
		}
		d.wire.last[o.inst.security] = e.Price
	}
	return nil
}

// reportFills has the broker report on chain every fill the exchange sent
// back for the orders and not yet reported, under the exchange's exec id.
func (d *Demo) reportFills(ctx context.Context, orders ...*order) error {
	node := d.nodeOf(Broker)
	for _, o := range orders {
		for ; o.done < len(o.fills); o.done++ {
			f := o.fills[o.done]
			m := &custodyv1.MsgReportFill{ExecId: f.exec, OrderId: o.id, Price: f.price, Quantity: f.qty}
			if err := d.send(ctx, node, d.keys[Broker], m, "fill "+f.exec+" of "+o.id); err != nil {
				return err
			}
		}
	}
	h, err := d.settle(ctx)
	if err != nil {
		return err
	}
	d.lastFill = time.Now()
	d.ledgerH = max(d.ledgerH, h)
	return nil
}
