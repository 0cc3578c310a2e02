package ledger_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/custody-ledger/custody/abci/store"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// The trading world's business date and instruments.
const (
	day1 uint32 = 20250102
	day2 uint32 = 20250103

	secMain    = "600000.SH" // main board, 10.00, T+1
	secSZ      = "000001.SZ" // SZSE main board, 10.00, T+1
	secSTAR    = "688001.SH" // STAR, 50.00
	secChiNext = "300001.SZ" // ChiNext, 20.00
	secFund    = "510300.SH" // ETF, 1.000 (tick 0.001), T+0
	secHalted  = "600001.SH" // halted
	secNew     = "600002.SH" // new listing: no daily limit
	secST      = "600003.SH" // risk warning: ±10% since 2025-07-07, ±5% before
	secPenny   = "600004.SH" // 0.10: fees exceed small proceeds
	secBond    = "019547.SH" // treasury bond, 100.00, T+0
)

// cny is a price in CNY × 10 000.
func cny(yuan, fen int64) int64 { return yuan*10_000 + fen*100 }

func tradingInstruments() []*custodyv1.Instrument {
	t1, t0 := custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1, custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T0
	return []*custodyv1.Instrument{
		{Security: secMain, Name: "Pudong Bank", Board: custodyv1.Board_BOARD_MAIN, ReferencePrice: cny(10, 0), Cycle: t1},
		{Security: secSZ, Name: "Ping An Bank", Board: custodyv1.Board_BOARD_MAIN, ReferencePrice: cny(10, 0), Cycle: t1},
		{Security: secSTAR, Name: "STAR one", Board: custodyv1.Board_BOARD_STAR, ReferencePrice: cny(50, 0), Cycle: t1},
		{Security: secChiNext, Name: "ChiNext one", Board: custodyv1.Board_BOARD_CHINEXT, ReferencePrice: cny(20, 0), Cycle: t1},
		{Security: secFund, Name: "CSI 300 ETF", Board: custodyv1.Board_BOARD_FUND, ReferencePrice: 10_000, Cycle: t0},
		{Security: secHalted, Name: "Halted", Board: custodyv1.Board_BOARD_MAIN, ReferencePrice: cny(10, 0), Cycle: t1, Halted: true},
		{Security: secNew, Name: "New listing", Board: custodyv1.Board_BOARD_MAIN, ReferencePrice: cny(10, 0), Cycle: t1, NoLimitDays: 5},
		{Security: secST, Name: "ST one", Board: custodyv1.Board_BOARD_MAIN, ReferencePrice: cny(10, 0), Cycle: t1, RiskWarning: true},
		{Security: secPenny, Name: "Penny", Board: custodyv1.Board_BOARD_MAIN, ReferencePrice: cny(0, 10), Cycle: t1},
		{Security: secBond, Name: "Treasury 2024-07", Board: custodyv1.Board_BOARD_BOND, ReferencePrice: cny(100, 0), Cycle: t0},
	}
}

// tradingGenesis is genesis() with the trading section: business date
// day1, the instruments above, broker-x at 0.025% (the default) and
// broker-y at 0.03%.
func tradingGenesis(edit func(*custodyv1.TradingParams)) *custodyv1.GenesisState {
	g := genesis()
	p := trading.DefaultParams()
	p.BrokerCommissions = []*custodyv1.BrokerCommission{{BrokerId: brokerY, Rate: 30_000}}
	if edit != nil {
		edit(p)
	}
	g.Trading = &custodyv1.TradingGenesis{Params: p, BusinessDate: day1, Instruments: tradingInstruments()}
	return g
}

// newTradingEnv is newEnv over tradingGenesis.
func newTradingEnv(t testing.TB, edit func(*custodyv1.TradingParams)) *env {
	t.Helper()
	e := &env{t: t, mem: store.NewMem(), router: ledger.NewRouter(), height: 1}
	if err := ledger.InitGenesis(e.mem, tradingGenesis(edit)); err != nil {
		t.Fatalf("genesis: %v", err)
	}
	return e
}

// openTrader opens and confirms an account with shareholder accounts at
// both exchanges.
func (e *env) openTrader(id, bank string, broker, bankSigner contracts.Signer) {
	e.t.Helper()
	e.must(broker, open(id, bank, func(m *custodyv1.OpeningRequest) {
		m.ShareholderAccounts = []string{"A123456789", "0123456789"}
	}))
	e.must(bankSigner, confirmMsg(id, true, ""))
}

// ticket is an order ticket of account acct for day1 on the test chain.
func ticket(orderID, security string, side custodyv1.Side, price, qty int64) *custodyv1.OrderTicket {
	acct, _, _ := trading.SplitOrderID(orderID)
	typ := custodyv1.OrderType_ORDER_TYPE_LIMIT
	if price == 0 {
		typ = custodyv1.OrderType_ORDER_TYPE_MARKET
	}
	return &custodyv1.OrderTicket{ChainId: "test", OrderId: orderID, AccountId: acct, Security: security,
		Side: side, Type: typ, Price: price, Quantity: qty, BusinessDate: day1}
}

// placeMsg signs the ticket with its account's client key.
func placeMsg(t *custodyv1.OrderTicket) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_PlaceOrder{PlaceOrder: &custodyv1.MsgPlaceOrder{
		Ticket: t, ClientSignature: trading.SignOrder(privKey("client "+t.AccountId), t)}}}
}

func buyMsg(orderID, security string, price, qty int64) *custodyv1.Msg {
	return placeMsg(ticket(orderID, security, custodyv1.Side_SIDE_BUY, price, qty))
}

func sellMsg(orderID, security string, price, qty int64) *custodyv1.Msg {
	return placeMsg(ticket(orderID, security, custodyv1.Side_SIDE_SELL, price, qty))
}

// placeWith builds a place message from a ticket edited after signing
// (edit nil: none) or before (resign true).
func placeWith(t *custodyv1.OrderTicket, edit func(*custodyv1.MsgPlaceOrder)) *custodyv1.Msg {
	m := placeMsg(t)
	if edit != nil {
		edit(m.GetPlaceOrder())
	}
	return m
}

func cancelMsg(orderID string) *custodyv1.Msg {
	acct, _, _ := trading.SplitOrderID(orderID)
	t := &custodyv1.CancelTicket{ChainId: "test", OrderId: orderID}
	return &custodyv1.Msg{Sum: &custodyv1.Msg_CancelOrder{CancelOrder: &custodyv1.MsgCancelOrder{
		Ticket: t, ClientSignature: trading.SignCancel(privKey("client "+acct), t)}}}
}

func fillMsg(execID, orderID string, price, qty int64) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_ReportFill{ReportFill: &custodyv1.MsgReportFill{
		ExecId: execID, OrderId: orderID, Price: price, Quantity: qty}}}
}

// seedHolding gives an account a settled, sellable holding as a purchase
// cleared on an earlier day leaves it: the holding and the clearing
// house's opposite position.
func (e *env) seedHolding(acct, security string, qty int64) {
	e.t.Helper()
	h := trading.GetHolding(e.mem, acct, security)
	h.Balance += qty
	h.Sellable += qty
	e.mem.Set(trading.HoldingKey(acct, security), contracts.Marshal(h))
	p := trading.GetPosition(e.mem, security)
	p.Quantity -= qty
	e.mem.Set(trading.PositionKey(security), contracts.Marshal(p))
}

// execAt is exec with a chosen block time (for trading hours).
func (e *env) execAt(at time.Time, s contracts.Signer, msg *custodyv1.Msg) ([]byte, error) {
	e.t.Helper()
	before := e.hash()
	cache := store.NewCache(e.mem)
	ctx := contracts.NewContext(contracts.Block{ChainID: "test", Height: e.height, Time: at}, s, cache, hash32("tx"))
	e.height++
	data, err := e.router.Deliver(ctx, msg)
	if err != nil {
		if cache.Len() != 0 || !bytes.Equal(before, e.hash()) {
			e.t.Fatalf("refused message left writes: %v", err)
		}
		return nil, err
	}
	cache.Write()
	e.events = ctx.Events()
	return data, nil
}

// order reads an order that must exist.
func (e *env) order(id string) *custodyv1.Order {
	e.t.Helper()
	o, err := trading.GetOrder(e.mem, id)
	if err != nil {
		e.t.Fatalf("order %s: %v", id, err)
	}
	return o
}

// system is a system account's balance.
func (e *env) system(k funds.SystemKey) int64 { return funds.GetSystem(e.mem, k).Balance }
