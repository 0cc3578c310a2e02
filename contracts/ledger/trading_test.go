package ledger_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/market"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// tradingWorld is the state every trading case starts from (business date
// day1):
//
//	C1  broker-x / bank-a, SSE and SZSE accounts, 100 000.00 CNY,
//	    1 000 600000.SH and 1 000 600004.SH sellable, 150 000001.SZ sellable;
//	    open order C1/o1: buy 1 000 600000.SH at 10.00
//	C2  broker-y / bank-b, SSE account only, 10 000.00 CNY
//	P1  pending at broker-x
//	F1  broker-x / bank-a, 5 000.00 CNY, open order F1/o1 (buy 100 at
//	    10.00), then frozen by the regulator
//	Z1  broker-x / bank-a, no cash, 1 000 600004.SH sellable
func tradingWorld(t *testing.T, edit func(*custodyv1.TradingParams)) *env {
	e := newTradingEnv(t, edit)
	e.openTrader("C1", bankA, sBrokerX, sBankA)
	e.must(sBankA, depositMsg("T1", "C1", 10_000_000))
	e.seedHolding("C1", secMain, 1000)
	e.seedHolding("C1", secPenny, 1000)
	e.seedHolding("C1", secSZ, 150)
	e.active("C2", bankB, sBrokerY, sBankB)
	e.must(sBankB, depositMsg("T2", "C2", 1_000_000))
	e.must(sBrokerX, openMsg("P1", bankA))
	e.openTrader("F1", bankA, sBrokerX, sBankA)
	e.must(sBankA, depositMsg("T3", "F1", 500_000))
	e.openTrader("Z1", bankA, sBrokerX, sBankA)
	e.seedHolding("Z1", secPenny, 1000)
	// Orders need the hours of the params: place them at a time inside
	// every session list used here (10:00 on day1, China time).
	at := china(day1, 10, 0)
	for _, m := range []*custodyv1.Msg{buyMsg("C1/o1", secMain, cny(10, 0), 1000), buyMsg("F1/o1", secMain, cny(10, 0), 100)} {
		if _, err := e.execAt(at, sBrokerX, m); err != nil {
			t.Fatalf("world: %v", err)
		}
	}
	e.must(sRegulator, freezeMsg("F1", "court order"))
	e.checkInvariants()
	return e
}

// china is a block time on a business date at hh:mm China time (UTC+8).
func china(date uint32, hh, mm int) time.Time {
	return time.Date(int(date/10000), time.Month(date/100%100), int(date%100), hh, mm, 0, 0, time.FixedZone("CST", 8*3600))
}

func hoursOn(p *custodyv1.TradingParams) { p.TradingHours.Enabled = true }

type tradeCase struct {
	name   string
	params func(*custodyv1.TradingParams)
	setup  func(e *env)
	at     time.Time // block time; zero: 10:00 on day1
	signer contracts.Signer
	msg    *custodyv1.Msg
	want   error // nil: must succeed
	check  func(t *testing.T, e *env)
}

func runTradeCases(t *testing.T, cases []tradeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := tradingWorld(t, tc.params)
			if tc.setup != nil {
				tc.setup(e)
			}
			at := tc.at
			if at.IsZero() {
				at = china(day1, 10, 0)
			}
			before := e.hash()
			_, err := e.execAt(at, tc.signer, tc.msg)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("got error %v, want %v", err, tc.want)
			case tc.want == nil && bytes.Equal(before, e.hash()):
				t.Fatalf("accepted message changed nothing")
			}
			if tc.want != nil {
				space, code, _ := contracts.ABCIInfo(err)
				if want := tc.want.(*contracts.Error); space != want.Codespace || code != want.Code {
					t.Fatalf("ABCI code %s/%d, want %s/%d", space, code, want.Codespace, want.Code)
				}
			}
			if tc.check != nil {
				tc.check(t, e)
			}
			e.checkInvariants()
		})
	}
}

// wantFigures checks an account's balance, frozen and unsettled funds.
func wantFigures(t *testing.T, e *env, id string, balance, frozen, unsettled int64) {
	t.Helper()
	f := funds.Get(e.mem, id)
	if f.Balance != balance || f.Frozen != frozen || f.Unsettled != unsettled {
		t.Fatalf("funds of %s: balance %d frozen %d unsettled %d, want %d %d %d", id, f.Balance, f.Frozen, f.Unsettled, balance, frozen, unsettled)
	}
}

func wantHolding(t *testing.T, e *env, acct, sec string, balance, frozen, unsettled int64) {
	t.Helper()
	h := trading.GetHolding(e.mem, acct, sec)
	if h.Balance != balance || h.Frozen != frozen || h.Unsettled != unsettled || h.Sellable != balance-frozen-unsettled {
		t.Fatalf("holding %s/%s = %v, want balance %d frozen %d unsettled %d", acct, sec, h, balance, frozen, unsettled)
	}
}

// C1's funds in the world: 10 000 000 fen, of which the open buy C1/o1
// freezes 1 000 564 (DOMAIN.md's example: 10 000.00 + 5.00 + 0.34 + 0.20 +
// 0.10).
const (
	c1Balance = 10_000_000
	o1Freeze  = 1_000_564
)

func TestPlaceOrder(t *testing.T) {
	edit := func(f func(*custodyv1.OrderTicket)) *custodyv1.Msg {
		tk := ticket("C1/n1", secMain, custodyv1.Side_SIDE_BUY, cny(10, 0), 100)
		f(tk)
		return placeMsg(tk)
	}
	runTradeCases(t, []tradeCase{
		{name: "buy freezes value and highest fees", signer: sBrokerX, msg: buyMsg("C1/n1", secMain, cny(10, 0), 1000),
			check: func(t *testing.T, e *env) {
				wantFigures(t, e, "C1", c1Balance, 2*o1Freeze, 0)
				o := e.order("C1/n1")
				if o.Status != custodyv1.OrderStatus_ORDER_STATUS_OPEN || o.FrozenCash != o1Freeze || o.BoundPrice != cny(10, 0) || o.CommissionRate != 25_000 {
					t.Fatalf("order %v", o)
				}
			}},
		{name: "sell freezes the holding", signer: sBrokerX, msg: sellMsg("C1/n1", secMain, cny(10, 10), 500),
			check: func(t *testing.T, e *env) {
				wantHolding(t, e, "C1", secMain, 1000, 500, 0)
				wantFigures(t, e, "C1", c1Balance, o1Freeze, 0)
			}},
		{name: "market buy freezes at the up limit", signer: sBrokerX, msg: buyMsg("C1/n1", secMain, 0, 100),
			// 100 × 11.00 = 110 000 fen; fees 500 + 1 (0.011 → 0.01) + 4 (0.0375 → 0.04) + 2 (0.022 → 0.02)
			check: func(t *testing.T, e *env) {
				if o := e.order("C1/n1"); o.BoundPrice != cny(11, 0) || o.FrozenCash != 110_507 {
					t.Fatalf("order %v", o)
				}
			}},
		{name: "market sell is bound by the down limit", signer: sBrokerX, msg: sellMsg("C1/n1", secMain, 0, 100),
			check: func(t *testing.T, e *env) {
				if o := e.order("C1/n1"); o.BoundPrice != cny(9, 0) || o.FrozenCash != 0 {
					t.Fatalf("order %v", o)
				}
			}},
		{name: "STAR buys 201 (200 minimum, steps of 1)", signer: sBrokerX, msg: buyMsg("C1/n1", secSTAR, cny(50, 0), 201)},
		{name: "ETF at a 0.001 tick", signer: sBrokerX, msg: buyMsg("C1/n1", secFund, 10_010, 1000)},
		{name: "new listing without limits", signer: sBrokerX, msg: buyMsg("C1/n1", secNew, cny(30, 0), 100)},
		{name: "odd lot sold whole", signer: sBrokerX, msg: sellMsg("C1/n1", secSZ, cny(10, 0), 150)},
		{name: "odd lot alone", signer: sBrokerX, msg: sellMsg("C1/n1", secSZ, cny(10, 0), 50)},
		{name: "penny sell reserves cash for fees", signer: sBrokerX, msg: sellMsg("C1/n1", secPenny, cny(0, 10), 1000),
			// one share at 0.10 is 10 fen against a 500 fen commission: 500 − 10 + 6
			check: func(t *testing.T, e *env) {
				if o := e.order("C1/n1"); o.FrozenCash != 496 {
					t.Fatalf("order %v", o)
				}
				wantFigures(t, e, "C1", c1Balance, o1Freeze+496, 0)
			}},
		{name: "inside trading hours", params: hoursOn, at: china(day1, 9, 31), signer: sBrokerX, msg: buyMsg("C1/n1", secMain, cny(10, 0), 100)},
		{name: "in the opening auction's no-cancel window", params: hoursOn, at: china(day1, 9, 22), signer: sBrokerX, msg: buyMsg("C1/n1", secMain, cny(10, 0), 100)},

		{name: "client may not place", signer: client("C1"), msg: buyMsg("C1/n1", secMain, cny(10, 0), 100), want: contracts.ErrUnauthorizedRole},
		{name: "no ticket", signer: sBrokerX, msg: placeWith(ticket("C1/n1", secMain, custodyv1.Side_SIDE_BUY, cny(10, 0), 100),
			func(m *custodyv1.MsgPlaceOrder) { m.Ticket = nil }), want: trading.ErrBadTicket},
		{name: "order id without slash", signer: sBrokerX, msg: edit(func(t *custodyv1.OrderTicket) { t.OrderId = "C1-n1" }), want: trading.ErrBadOrderID},
		{name: "order id of another account", signer: sBrokerX, msg: edit(func(t *custodyv1.OrderTicket) { t.OrderId = "C2/n1" }), want: trading.ErrBadOrderID},
		{name: "order suffix too long", signer: sBrokerX, msg: edit(func(t *custodyv1.OrderTicket) { t.OrderId = "C1/" + string(make([]byte, 33)) }), want: trading.ErrBadOrderID},
		{name: "security without market", signer: sBrokerX, msg: edit(func(t *custodyv1.OrderTicket) { t.Security = "600000" }), want: trading.ErrBadSecurity},
		{name: "security not digits", signer: sBrokerX, msg: edit(func(t *custodyv1.OrderTicket) { t.Security = "60000A.SH" }), want: trading.ErrBadSecurity},
		{name: "no side", signer: sBrokerX, msg: edit(func(t *custodyv1.OrderTicket) { t.Side = 0 }), want: trading.ErrBadSide},
		{name: "unknown order type", signer: sBrokerX, msg: edit(func(t *custodyv1.OrderTicket) { t.Type = 7 }), want: trading.ErrBadOrderType},
		{name: "limit at zero", signer: sBrokerX, msg: edit(func(t *custodyv1.OrderTicket) { t.Price = 0 }), want: trading.ErrBadPrice},
		{name: "market with a price", signer: sBrokerX, msg: edit(func(t *custodyv1.OrderTicket) { t.Type = custodyv1.OrderType_ORDER_TYPE_MARKET }), want: trading.ErrBadPrice},
		{name: "zero quantity", signer: sBrokerX, msg: edit(func(t *custodyv1.OrderTicket) { t.Quantity = 0 }), want: trading.ErrBadQuantity},
		{name: "not a date", signer: sBrokerX, msg: edit(func(t *custodyv1.OrderTicket) { t.BusinessDate = 20250230 }), want: trading.ErrBadDate},
		{name: "short signature", signer: sBrokerX, msg: placeWith(ticket("C1/n1", secMain, custodyv1.Side_SIDE_BUY, cny(10, 0), 100),
			func(m *custodyv1.MsgPlaceOrder) { m.ClientSignature = m.ClientSignature[:63] }), want: trading.ErrBadSignatureLen},
		{name: "ticket for another chain", signer: sBrokerX, msg: edit(func(t *custodyv1.OrderTicket) { t.ChainId = "other" }), want: trading.ErrTicketChain},
		{name: "no business day yet", signer: sBrokerX, setup: func(e *env) {
			e.must(sBrokerX, cancelMsg("C1/o1"))
			e.must(sBrokerX, cancelMsg("F1/o1"))
			e.mem.Delete(trading.BusinessDayKey()) // as at genesis without a trading date
		},
			msg: buyMsg("C1/n1", secMain, cny(10, 0), 100), want: trading.ErrNoBusinessDay},
		{name: "ticket for another day", signer: sBrokerX, msg: edit(func(t *custodyv1.OrderTicket) { t.BusinessDate = day2 }), want: trading.ErrWrongBusinessDate},
		{name: "lunch break", params: hoursOn, at: china(day1, 12, 0), signer: sBrokerX, msg: buyMsg("C1/n1", secMain, cny(10, 0), 100), want: trading.ErrOutsideHours},
		{name: "block on another date", params: hoursOn, at: china(day2, 10, 0), signer: sBrokerX, msg: buyMsg("C1/n1", secMain, cny(10, 0), 100), want: trading.ErrOutsideHours},
		{name: "unknown account", signer: sBrokerX, msg: edit(func(t *custodyv1.OrderTicket) { t.OrderId, t.AccountId = "N9/n1", "N9" }), want: accounts.ErrUnknownAccount},
		{name: "another broker's client", signer: sBrokerY, msg: buyMsg("C1/n1", secMain, cny(10, 0), 100), want: accounts.ErrWrongBroker},
		{name: "pending account", signer: sBrokerX, msg: edit(func(t *custodyv1.OrderTicket) { t.OrderId, t.AccountId = "P1/n1", "P1" }), want: accounts.ErrNotActive},
		{name: "frozen account", signer: sBrokerX, msg: buyMsg("F1/n1", secMain, cny(10, 0), 100), want: accounts.ErrFrozen},
		{name: "signed by another client", signer: sBrokerX, msg: placeWith(ticket("C1/n1", secMain, custodyv1.Side_SIDE_BUY, cny(10, 0), 100),
			func(m *custodyv1.MsgPlaceOrder) {
				m.ClientSignature = trading.SignOrder(privKey("client C2"), m.Ticket)
			}), want: trading.ErrClientSignature},
		{name: "ticket changed after signing", signer: sBrokerX, msg: placeWith(ticket("C1/n1", secMain, custodyv1.Side_SIDE_BUY, cny(10, 0), 100),
			func(m *custodyv1.MsgPlaceOrder) { m.Ticket.Quantity = 200 }), want: trading.ErrClientSignature},
		{name: "order id used", signer: sBrokerX, msg: buyMsg("C1/o1", secMain, cny(10, 0), 100), want: trading.ErrOrderExists},
		{name: "unknown instrument", signer: sBrokerX, msg: buyMsg("C1/n1", "600999.SH", cny(10, 0), 100), want: trading.ErrUnknownInstrument},
		{name: "no SZSE shareholder account", signer: sBrokerY, msg: buyMsg("C2/n1", secSZ, cny(10, 0), 100), want: trading.ErrNoShareholder},
		{name: "halted", signer: sBrokerX, msg: buyMsg("C1/n1", secHalted, cny(10, 0), 100), want: market.ErrHalted},
		{name: "buy not in lots", signer: sBrokerX, msg: buyMsg("C1/n1", secMain, cny(10, 0), 150), want: market.ErrBadQuantity},
		{name: "STAR below 200", signer: sBrokerX, msg: buyMsg("C1/n1", secSTAR, cny(50, 0), 199), want: market.ErrBadQuantity},
		{name: "odd sell that is not the odd lot", signer: sBrokerX, msg: sellMsg("C1/n1", secMain, cny(10, 0), 50), want: market.ErrBadQuantity},
		{name: "above the main board maximum", signer: sBrokerX, msg: buyMsg("C1/n1", secMain, cny(10, 0), 1_000_100), want: market.ErrTooLarge},
		{name: "above the ChiNext maximum", signer: sBrokerX, msg: buyMsg("C1/n1", secChiNext, cny(20, 0), 300_100), want: market.ErrTooLarge},
		{name: "off the tick", signer: sBrokerX, msg: buyMsg("C1/n1", secMain, 100_010, 100), want: market.ErrBadTick},
		{name: "above the up limit", signer: sBrokerX, msg: buyMsg("C1/n1", secMain, cny(11, 1), 100), want: market.ErrOutsideLimits},
		{name: "below the down limit", signer: sBrokerX, msg: sellMsg("C1/n1", secMain, cny(8, 99), 100), want: market.ErrOutsideLimits},
		{name: "ST above ±5% before July 2025", signer: sBrokerX, msg: buyMsg("C1/n1", secST, cny(10, 51), 100), want: market.ErrOutsideLimits},
		{name: "market order without limits", signer: sBrokerX, msg: buyMsg("C1/n1", secNew, 0, 100), want: trading.ErrMarketNoLimit},
		{name: "sell more than held", signer: sBrokerX, msg: sellMsg("C1/n1", secMain, cny(10, 0), 1100), want: trading.ErrInsufficientQty},
		{name: "sell nothing held", signer: sBrokerY, msg: sellMsg("C2/n1", secMain, cny(10, 0), 100), want: trading.ErrInsufficientQty},
		{name: "buy beyond available funds", signer: sBrokerY, msg: buyMsg("C2/n1", secMain, cny(10, 0), 1000), want: funds.ErrInsufficient},
		{name: "penny sell without cash for its reserve", signer: sBrokerX, msg: sellMsg("Z1/n1", secPenny, cny(0, 10), 1000), want: funds.ErrInsufficient},
	})
}

func TestCancelOrder(t *testing.T) {
	runTradeCases(t, []tradeCase{
		{name: "releases the freeze", signer: sBrokerX, msg: cancelMsg("C1/o1"), check: func(t *testing.T, e *env) {
			wantFigures(t, e, "C1", c1Balance, 0, 0)
			if o := e.order("C1/o1"); o.Status != custodyv1.OrderStatus_ORDER_STATUS_CANCELLED || o.FrozenCash != 0 || e.mem.Has(trading.OpenOrderKey("C1/o1")) {
				t.Fatalf("order %v", o)
			}
		}},
		{name: "releases what a partial fill left", signer: sBrokerX, msg: cancelMsg("C1/o1"),
			setup: func(e *env) { e.must(sBrokerX, fillMsg("X1", "C1/o1", cny(10, 0), 300)) },
			// 300 × 10.00 = 300 000 + fees 500 + 3 + 10 + 6 paid; the rest released
			check: func(t *testing.T, e *env) {
				wantFigures(t, e, "C1", c1Balance-300_519, 0, 0)
				wantHolding(t, e, "C1", secMain, 1300, 0, 300)
			}},
		{name: "releases a sell's holding", signer: sBrokerX, msg: cancelMsg("C1/s1"),
			setup: func(e *env) { e.must(sBrokerX, sellMsg("C1/s1", secMain, cny(10, 0), 400)) },
			check: func(t *testing.T, e *env) { wantHolding(t, e, "C1", secMain, 1000, 0, 0) }},
		{name: "a frozen account may cancel", signer: sBrokerX, msg: cancelMsg("F1/o1"),
			check: func(t *testing.T, e *env) { wantFigures(t, e, "F1", 500_000, 0, 0) }},
		{name: "in a cancel window", params: hoursOn, at: china(day1, 9, 16), signer: sBrokerX, msg: cancelMsg("C1/o1")},

		{name: "client may not send it", signer: client("C1"), msg: cancelMsg("C1/o1"), want: contracts.ErrUnauthorizedRole},
		{name: "no ticket", signer: sBrokerX, msg: &custodyv1.Msg{Sum: &custodyv1.Msg_CancelOrder{CancelOrder: &custodyv1.MsgCancelOrder{ClientSignature: make([]byte, 64)}}}, want: trading.ErrBadTicket},
		{name: "bad order id", signer: sBrokerX, msg: cancelMsg("C1"), want: trading.ErrBadOrderID},
		{name: "short signature", signer: sBrokerX, msg: &custodyv1.Msg{Sum: &custodyv1.Msg_CancelOrder{CancelOrder: &custodyv1.MsgCancelOrder{
			Ticket: &custodyv1.CancelTicket{ChainId: "test", OrderId: "C1/o1"}, ClientSignature: make([]byte, 10)}}}, want: trading.ErrBadSignatureLen},
		{name: "ticket for another chain", signer: sBrokerX, want: trading.ErrTicketChain, msg: func() *custodyv1.Msg {
			tk := &custodyv1.CancelTicket{ChainId: "other", OrderId: "C1/o1"}
			return &custodyv1.Msg{Sum: &custodyv1.Msg_CancelOrder{CancelOrder: &custodyv1.MsgCancelOrder{Ticket: tk, ClientSignature: trading.SignCancel(privKey("client C1"), tk)}}}
		}()},
		{name: "closing auction takes no cancels", params: hoursOn, at: china(day1, 14, 58), signer: sBrokerX, msg: cancelMsg("C1/o1"), want: trading.ErrNoCancelWindow},
		{name: "after the close", params: hoursOn, at: china(day1, 15, 30), signer: sBrokerX, msg: cancelMsg("C1/o1"), want: trading.ErrOutsideHours},
		{name: "unknown order", signer: sBrokerX, msg: cancelMsg("C1/zz"), want: trading.ErrUnknownOrder},
		{name: "another broker", signer: sBrokerY, msg: cancelMsg("C1/o1"), want: accounts.ErrWrongBroker},
		{name: "signed by another client", signer: sBrokerX, want: trading.ErrClientSignature, msg: func() *custodyv1.Msg {
			tk := &custodyv1.CancelTicket{ChainId: "test", OrderId: "C1/o1"}
			return &custodyv1.Msg{Sum: &custodyv1.Msg_CancelOrder{CancelOrder: &custodyv1.MsgCancelOrder{Ticket: tk, ClientSignature: trading.SignCancel(privKey("client C2"), tk)}}}
		}()},
		{name: "order signature is no cancel signature", signer: sBrokerX, want: trading.ErrClientSignature, msg: func() *custodyv1.Msg {
			tk := &custodyv1.CancelTicket{ChainId: "test", OrderId: "C1/o1"}
			sig := placeMsg(ticket("C1/o1", secMain, custodyv1.Side_SIDE_BUY, cny(10, 0), 1000)).GetPlaceOrder().ClientSignature
			return &custodyv1.Msg{Sum: &custodyv1.Msg_CancelOrder{CancelOrder: &custodyv1.MsgCancelOrder{Ticket: tk, ClientSignature: sig}}}
		}()},
		{name: "already cancelled", setup: func(e *env) { e.must(sBrokerX, cancelMsg("C1/o1")) }, signer: sBrokerX, msg: cancelMsg("C1/o1"), want: trading.ErrOrderNotOpen},
		{name: "already filled", setup: func(e *env) { e.must(sBrokerX, fillMsg("X1", "C1/o1", cny(10, 0), 1000)) }, signer: sBrokerX, msg: cancelMsg("C1/o1"), want: trading.ErrOrderNotOpen},
	})
}

func TestReportFill(t *testing.T) {
	runTradeCases(t, []tradeCase{
		{name: "partial buy fill", signer: sBrokerX, msg: fillMsg("X1", "C1/o1", cny(9, 99), 300),
			// value 2 997.00; fees 5.00 (minimum) + 0.03 + 0.10 + 0.06
			check: func(t *testing.T, e *env) {
				wantFigures(t, e, "C1", c1Balance-300_219, o1Freeze-300_219, 0)
				wantHolding(t, e, "C1", secMain, 1300, 0, 300)
				if got := e.system(funds.BrokerSettlement(brokerX)); got != 300_219 {
					t.Fatalf("settlement account %d", got)
				}
				if o := e.order("C1/o1"); o.Status != custodyv1.OrderStatus_ORDER_STATUS_PARTIALLY_FILLED || o.FilledQuantity != 300 {
					t.Fatalf("order %v", o)
				}
			}},
		{name: "completing fill releases the excess", signer: sBrokerX, msg: fillMsg("X2", "C1/o1", cny(10, 0), 700),
			setup: func(e *env) { e.must(sBrokerX, fillMsg("X1", "C1/o1", cny(9, 99), 300)) },
			// cumulative 9 997.00: fees 5.00 + 0.10 + 0.34 + 0.20 = 5.64, so this
			// fill pays 7 000.00 + 0.45 and 3.00 of the freeze comes back
			check: func(t *testing.T, e *env) {
				wantFigures(t, e, "C1", c1Balance-300_219-700_045, 0, 0)
				if o := e.order("C1/o1"); o.Status != custodyv1.OrderStatus_ORDER_STATUS_FILLED || o.FrozenCash != 0 || o.FilledValue != 999_700 {
					t.Fatalf("order %v", o)
				}
			}},
		{name: "sell fill proceeds are unsettled", signer: sBrokerX, msg: fillMsg("X1", "C1/s1", cny(10, 0), 1000),
			setup: func(e *env) { e.must(sBrokerX, sellMsg("C1/s1", secMain, cny(10, 0), 1000)) },
			// 10 000.00 − (5.00 + stamp 5.00 + 0.10 + 0.34 + 0.20)
			check: func(t *testing.T, e *env) {
				wantFigures(t, e, "C1", c1Balance+998_936, o1Freeze, 998_936)
				if e.mem.Has(trading.HoldingKey("C1", secMain)) {
					t.Fatal("an emptied holding stays")
				}
				if f := funds.Get(e.mem, "C1"); f.Withdrawable != c1Balance-o1Freeze {
					t.Fatalf("withdrawable %d", f.Withdrawable)
				}
			}},
		{name: "market buy fills under its bound", signer: sBrokerX, msg: fillMsg("X1", "C1/m1", cny(10, 50), 100),
			setup: func(e *env) { e.must(sBrokerX, buyMsg("C1/m1", secMain, 0, 100)) }},
		{name: "T+0 buy is sellable at once", signer: sBrokerX, msg: fillMsg("X1", "C1/e1", 10_010, 1000),
			setup: func(e *env) { e.must(sBrokerX, buyMsg("C1/e1", secFund, 10_010, 1000)) },
			check: func(t *testing.T, e *env) {
				wantHolding(t, e, "C1", secFund, 1000, 0, 0)
				e.must(sBrokerX, sellMsg("C1/e2", secFund, 10_020, 1000))
			}},

		{name: "bank may not report", signer: sBankA, msg: fillMsg("X1", "C1/o1", cny(10, 0), 100), want: contracts.ErrUnauthorizedRole},
		{name: "empty exec id", signer: sBrokerX, msg: fillMsg("", "C1/o1", cny(10, 0), 100), want: trading.ErrBadExecID},
		{name: "exec id with a space", signer: sBrokerX, msg: fillMsg("X 1", "C1/o1", cny(10, 0), 100), want: trading.ErrBadExecID},
		{name: "bad order id", signer: sBrokerX, msg: fillMsg("X1", "C1", cny(10, 0), 100), want: trading.ErrBadOrderID},
		{name: "zero price", signer: sBrokerX, msg: fillMsg("X1", "C1/o1", 0, 100), want: trading.ErrBadPrice},
		{name: "zero quantity", signer: sBrokerX, msg: fillMsg("X1", "C1/o1", cny(10, 0), 0), want: trading.ErrBadQuantity},
		{name: "exec id reported before", setup: func(e *env) { e.must(sBrokerX, fillMsg("X1", "C1/o1", cny(10, 0), 100)) },
			signer: sBrokerX, msg: fillMsg("X1", "C1/o1", cny(10, 0), 100), want: trading.ErrDuplicateExec},
		{name: "unknown order", signer: sBrokerX, msg: fillMsg("X1", "C1/zz", cny(10, 0), 100), want: trading.ErrUnknownOrder},
		{name: "another broker's order", signer: sBrokerY, msg: fillMsg("X1", "C1/o1", cny(10, 0), 100), want: accounts.ErrWrongBroker},
		{name: "cancelled order", setup: func(e *env) { e.must(sBrokerX, cancelMsg("C1/o1")) },
			signer: sBrokerX, msg: fillMsg("X1", "C1/o1", cny(10, 0), 100), want: trading.ErrOrderNotOpen},
		{name: "more than remains", setup: func(e *env) { e.must(sBrokerX, fillMsg("X1", "C1/o1", cny(10, 0), 600)) },
			signer: sBrokerX, msg: fillMsg("X2", "C1/o1", cny(10, 0), 401), want: trading.ErrOverfill},
		{name: "buy above its limit", signer: sBrokerX, msg: fillMsg("X1", "C1/o1", cny(10, 1), 100), want: trading.ErrFillPrice},
		{name: "sell below its limit", setup: func(e *env) { e.must(sBrokerX, sellMsg("C1/s1", secMain, cny(10, 0), 100)) },
			signer: sBrokerX, msg: fillMsg("X1", "C1/s1", cny(9, 99), 100), want: trading.ErrFillPrice},
		{name: "off the tick", signer: sBrokerX, msg: fillMsg("X1", "C1/o1", 99_950, 100), want: market.ErrBadTick},
		{name: "market fill below the down limit", setup: func(e *env) { e.must(sBrokerX, buyMsg("C1/m1", secMain, 0, 100)) },
			signer: sBrokerX, msg: fillMsg("X1", "C1/m1", cny(8, 99), 100), want: market.ErrOutsideLimits},
	})
}

func TestReportFill_HoldingOverflow(t *testing.T) {
	runTradeCases(t, []tradeCase{
		{name: "holding beyond 10^15 shares", setup: func(e *env) { e.seedHolding("C1", secMain, trading.MaxHolding) },
			signer: sBrokerX, msg: fillMsg("X1", "C1/o1", cny(10, 0), 100), want: trading.ErrOverflow},
	})
}

func TestTradingGenesis(t *testing.T) {
	cases := []struct {
		name string
		edit func(g *custodyv1.TradingGenesis)
		want error
	}{
		{"defaults without a trading section", func(g *custodyv1.TradingGenesis) { *g = custodyv1.TradingGenesis{} }, nil},
		{"commission above the cap", func(g *custodyv1.TradingGenesis) { g.Params.DefaultCommissionRate = 300_001 }, trading.ErrBadParams},
		{"a board without rules", func(g *custodyv1.TradingGenesis) { g.Params.BoardRules = g.Params.BoardRules[1:] }, trading.ErrBadParams},
		{"sessions out of order", func(g *custodyv1.TradingGenesis) {
			s := g.Params.TradingHours.Sessions
			s[0], s[1] = s[1], s[0]
		}, trading.ErrBadParams},
		{"fee schedules not ascending", func(g *custodyv1.TradingGenesis) {
			f := g.Params.FeeSchedules
			f[0], f[1] = f[1], f[0]
		}, trading.ErrBadParams},
		{"not a date", func(g *custodyv1.TradingGenesis) { g.BusinessDate = 20251301 }, trading.ErrBadDate},
		{"STAR on Shenzhen", func(g *custodyv1.TradingGenesis) {
			g.Instruments[0].Board = custodyv1.Board_BOARD_STAR
			g.Instruments[0].Security = "688009.SZ"
		}, trading.ErrBadInstrument},
		{"listed twice", func(g *custodyv1.TradingGenesis) { g.Instruments = append(g.Instruments, g.Instruments[0]) }, trading.ErrBadInstrument},
		{"reference price off the tick", func(g *custodyv1.TradingGenesis) { g.Instruments[0].ReferencePrice = 100_001 }, trading.ErrBadInstrument},
		{"no settlement cycle", func(g *custodyv1.TradingGenesis) { g.Instruments[0].Cycle = 0 }, trading.ErrBadInstrument},
		{"market against the suffix", func(g *custodyv1.TradingGenesis) { g.Instruments[0].Market = custodyv1.Market_MARKET_SZSE }, trading.ErrBadInstrument},
		{"bad security", func(g *custodyv1.TradingGenesis) { g.Instruments[0].Security = "600000.HK" }, trading.ErrBadSecurity},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := tradingGenesis(nil)
			tc.edit(g.Trading)
			e := newEnv(t) // participants only; then the trading part on a fresh store
			err := trading.InitGenesis(e.mem, g.Trading)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err == nil {
				if p := trading.GetParams(e.mem); trading.ValidateParams(p) != nil || trading.GetBusinessDay(e.mem).Date != g.Trading.BusinessDate {
					t.Fatalf("params %v", p)
				}
			}
		})
	}
}
