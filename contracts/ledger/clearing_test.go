package ledger_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	eod "github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/market"
	"github.com/custody-ledger/custody/contracts/reconcile"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

func eodMsg(date, next uint32, edit func(*custodyv1.MsgEndOfDay)) *custodyv1.Msg {
	m := &custodyv1.MsgEndOfDay{Date: date, NextDate: next}
	if edit != nil {
		edit(m)
	}
	return &custodyv1.Msg{Sum: &custodyv1.Msg_EndOfDay{EndOfDay: m}}
}

func statementMsg(date uint32, broker string, total int64, count uint32, hash []byte) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_SubmitStatement{SubmitStatement: &custodyv1.MsgSubmitStatement{
		Date: date, BrokerId: broker, CustodyTotal: total, ClientCount: count, ClientsHash: hash}}}
}

func totals(broker string, n uint32, buy, sell int64) *custodyv1.TradeTotals {
	return &custodyv1.TradeTotals{BrokerId: broker, FillCount: n, BuyValue: buy, SellValue: sell}
}

func sha(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// TestClearing_BuyThenSell is docs/settlement.md's worked example: client
// C1 of broker-x at bank-a deposits 20 000.00, buys 1 000 600000.SH at
// 10.00 on day 1, sells them at 10.50 on day 2; the clearing house clears
// both days. Every amount is checked, account by account.
func TestClearing_BuyThenSell(t *testing.T) {
	e := newTradingEnv(t, nil)
	e.openTrader("C1", bankA, sBrokerX, sBankA)
	e.must(sBankA, depositMsg("T1", "C1", 2_000_000))

	// Day 1: buy. Value 10 000.00, fees 5.00 + 0.10 + 0.34 + 0.20.
	e.must(sBrokerX, buyMsg("C1/b1", secMain, cny(10, 0), 1000))
	wantFigures(t, e, "C1", 2_000_000, 1_000_564, 0)
	e.must(sBrokerX, fillMsg("E1", "C1/b1", cny(10, 0), 1000))
	wantFigures(t, e, "C1", 999_436, 0, 0)
	wantHolding(t, e, "C1", secMain, 1000, 0, 1000) // T+1: not sellable today
	if _, err := e.exec(sBrokerX, sellMsg("C1/s0", secMain, cny(10, 0), 1000)); !errors.Is(err, trading.ErrInsufficientQty) {
		t.Fatalf("selling a T+1 purchase on its day: %v", err)
	}
	if got := e.system(funds.BrokerSettlement(brokerX)); got != 1_000_564 {
		t.Fatalf("broker-x settlement %d", got)
	}
	if got := funds.GetCustodyTotal(e.mem, bankA, brokerX); got != 999_436 {
		t.Fatalf("custody total %d", got)
	}
	e.checkInvariants()

	e.must(sClearing, eodMsg(day1, day2, func(m *custodyv1.MsgEndOfDay) {
		m.ClosingPrices = []*custodyv1.ClosingPrice{{Security: secMain, Price: cny(10, 20)}}
		m.TradeTotals = []*custodyv1.TradeTotals{totals(brokerX, 1, 1_000_000, 0)}
	}))
	e.checkInvariants()
	wantHolding(t, e, "C1", secMain, 1000, 0, 0)
	for _, c := range []struct {
		k    funds.SystemKey
		want int64
	}{
		{funds.BrokerSettlement(brokerX), 0},
		{funds.Commission(brokerX), 500},
		{funds.TransferFee(), 10},
		{funds.HandlingFee("SSE"), 34},
		{funds.RegulatorLevy(), 20},
		{funds.StampDuty(), 0},
	} {
		if got := e.system(c.k); got != c.want {
			t.Fatalf("day 1: %s/%s holds %d, want %d", c.k.Kind, c.k.Owner, got, c.want)
		}
	}
	// The net obligation left custody for the clearing house.
	if s := funds.GetSupply(e.mem); s.ToClearing != 1_000_000 || s.FromClearing != 0 || s.Total != 1_000_000 {
		t.Fatalf("day 1 supply %v", s)
	}
	r := report(t, e, day1, brokerX)
	want := &custodyv1.SettlementReport{Date: day1, BrokerId: brokerX, FillCount: 1, BuyCount: 1, BuyQuantity: 1000,
		BuyValue: 1_000_000, Fees: &custodyv1.Fees{Commission: 500, TransferFee: 10, HandlingFee: 34, RegulatorLevy: 20},
		FeeTotal: 564, NetObligation: 1_000_000, NetCash: 1_000_564,
		DetailHash:          sha("E1,C1/b1,C1,600000.SH,B,100000,1000,1000000,500,0,10,34,20,-1000564\n"),
		ClearingHouseTotals: totals(brokerX, 1, 1_000_000, 0), Height: r.Height, Time: r.Time}
	if !proto.Equal(r, want) {
		t.Fatalf("report\n got %v\nwant %v", r, want)
	}
	if inst, _ := trading.GetInstrument(e.mem, secMain); inst.ReferencePrice != cny(10, 20) || inst.UpdatedDate != day2 {
		t.Fatalf("instrument %v", inst)
	}
	if d := trading.GetBusinessDay(e.mem); d.Date != day2 || d.PreviousDate != day1 {
		t.Fatalf("business day %v", d)
	}
	// broker-y had no fills: a zero report, no break.
	if r := report(t, e, day1, brokerY); r.FillCount != 0 || r.SettlementBreak || !bytes.Equal(r.DetailHash, sha("")) {
		t.Fatalf("broker-y report %v", r)
	}
	// The bank reconciles day 1: C1 is broker-x's only client at bank-a.
	e.must(sBankA, statementMsg(day1, brokerX, 999_436, 1, sha("C1,999436\n")))
	if res, _ := reconcile.GetResult(e.mem, day1, bankA, brokerX); res.Status != custodyv1.ReconStatus_RECON_STATUS_MATCH {
		t.Fatalf("reconciliation %v", res)
	}

	// Day 2: sell at 10.50 (limits now from 10.20). Value 10 500.00; fees
	// 5.00 + stamp 5.25 + transfer 0.105 → 0.11 + handling 0.35805 → 0.36 +
	// levy 0.21 = 10.93.
	sell := ticket("C1/s1", secMain, custodyv1.Side_SIDE_SELL, cny(10, 50), 1000)
	sell.BusinessDate = day2
	e.must(sBrokerX, placeMsg(sell))
	e.must(sBrokerX, fillMsg("E2", "C1/s1", cny(10, 50), 1000))
	wantFigures(t, e, "C1", 999_436+1_048_907, 0, 1_048_907)
	if f := funds.Get(e.mem, "C1"); f.Withdrawable != 999_436 {
		t.Fatalf("withdrawable before clearing %d", f.Withdrawable)
	}
	if _, err := e.exec(client("C1"), withdrawMsg("C1/w1", "C1", 999_437)); !errors.Is(err, funds.ErrOverdraft) {
		t.Fatalf("withdrawing unsettled proceeds: %v", err)
	}
	// Proceeds are usable at once: a buy may spend them.
	if f := funds.Get(e.mem, "C1"); f.Available != 2_048_343 {
		t.Fatalf("available %d", f.Available)
	}
	e.checkInvariants()

	e.must(sClearing, eodMsg(day2, 20250106, func(m *custodyv1.MsgEndOfDay) {
		m.TradeTotals = []*custodyv1.TradeTotals{totals(brokerX, 1, 0, 1_050_000)}
	}))
	e.checkInvariants()
	wantFigures(t, e, "C1", 2_048_343, 0, 0)
	if f := funds.Get(e.mem, "C1"); f.Withdrawable != 2_048_343 {
		t.Fatalf("withdrawable after clearing %d", f.Withdrawable)
	}
	for _, c := range []struct {
		k    funds.SystemKey
		want int64
	}{
		{funds.BrokerSettlement(brokerX), 0},
		{funds.Commission(brokerX), 1000},
		{funds.StampDuty(), 525},
		{funds.TransferFee(), 21},
		{funds.HandlingFee("SSE"), 70},
		{funds.RegulatorLevy(), 41},
	} {
		if got := e.system(c.k); got != c.want {
			t.Fatalf("day 2: %s/%s holds %d, want %d", c.k.Kind, c.k.Owner, got, c.want)
		}
	}
	// 10 500.00 came back from the clearing house: in custody now, the
	// client's 20 483.43 and 16.57 of fees.
	if s := funds.GetSupply(e.mem); s.FromClearing != 1_050_000 || s.Total != 2_050_000 {
		t.Fatalf("day 2 supply %v", s)
	}
	if r := report(t, e, day2, brokerX); r.NetObligation != -1_050_000 || r.NetCash != -1_048_907 || r.FeeTotal != 1093 || r.SettlementBreak {
		t.Fatalf("day 2 report %v", r)
	}
	if trading.GetPosition(e.mem, secMain).Quantity != 0 || e.mem.Has(trading.HoldingKey("C1", secMain)) {
		t.Fatal("securities left after selling everything")
	}
	e.must(client("C1"), withdrawMsg("C1/w2", "C1", 2_048_343))
	e.must(sBankA, confirmWithdrawalMsg("C1/w2", true, ""))
	e.checkInvariants()
}

func report(t *testing.T, e *env, date uint32, broker string) *custodyv1.SettlementReport {
	t.Helper()
	bz := e.mem.Get(eod.ReportKey(date, broker))
	if bz == nil {
		t.Fatalf("no report of %s for %d", broker, date)
	}
	var r custodyv1.SettlementReport
	contracts.Unmarshal(eod.ReportKey(date, broker), bz, &r)
	return &r
}

// clearingWorld is tradingWorld after one more day-1 fill: C1/o1 filled 300
// at 10.00 (and a sell of 100 held by C1, open).
func clearingWorld(t *testing.T) *env {
	e := tradingWorld(t, nil)
	e.must(sBrokerX, fillMsg("X1", "C1/o1", cny(10, 0), 300))
	e.must(sBrokerX, sellMsg("C1/s1", secMain, cny(10, 50), 100))
	return e
}

func TestEndOfDay(t *testing.T) {
	closing := func(sec string, price int64) func(*custodyv1.MsgEndOfDay) {
		return func(m *custodyv1.MsgEndOfDay) {
			m.ClosingPrices = append(m.ClosingPrices, &custodyv1.ClosingPrice{Security: sec, Price: price})
		}
	}
	withTotals := func(tt ...*custodyv1.TradeTotals) func(*custodyv1.MsgEndOfDay) {
		return func(m *custodyv1.MsgEndOfDay) { m.TradeTotals = tt }
	}
	update := func(insts ...*custodyv1.Instrument) func(*custodyv1.MsgEndOfDay) {
		return func(m *custodyv1.MsgEndOfDay) { m.Instruments = insts }
	}
	cases := []struct {
		name   string
		setup  func(e *env)
		msg    *custodyv1.Msg
		signer contracts.Signer
		want   error
		check  func(t *testing.T, e *env)
	}{
		{name: "open orders expire and release their freeze", msg: eodMsg(day1, day2, withTotalsX), signer: sClearing,
			check: func(t *testing.T, e *env) {
				for _, id := range []string{"C1/o1", "C1/s1", "F1/o1"} {
					if o := e.order(id); o.Status != custodyv1.OrderStatus_ORDER_STATUS_EXPIRED || o.FrozenCash != 0 || o.FrozenQuantity != 0 {
						t.Fatalf("order %v", o)
					}
				}
				// 300 bought at 10.00 for 300 000 + 5.00 + 0.03 + 0.10 + 0.06
				wantFigures(t, e, "C1", c1Balance-300_519, 0, 0)
				wantHolding(t, e, "C1", secMain, 1300, 0, 0)
				wantFigures(t, e, "F1", 500_000, 0, 0)
			}},
		{name: "matching trade file", msg: eodMsg(day1, day2, withTotals(totals(brokerX, 1, 300_000, 0))), signer: sClearing,
			check: func(t *testing.T, e *env) {
				if r := report(t, e, day1, brokerX); r.SettlementBreak || e.mem.Has(eod.BreakKey(day1, brokerX)) {
					t.Fatalf("report %v", r)
				}
			}},
		{name: "trade file differs: settlement break", msg: eodMsg(day1, day2, withTotals(totals(brokerX, 1, 300_100, 0), totals(brokerY, 2, 5, 0))), signer: sClearing,
			check: func(t *testing.T, e *env) {
				for _, b := range []string{brokerX, brokerY} {
					bz := e.mem.Get(eod.BreakKey(day1, b))
					if bz == nil || !report(t, e, day1, b).SettlementBreak {
						t.Fatalf("no break for %s", b)
					}
				}
				var br custodyv1.SettlementBreak
				contracts.Unmarshal(nil, e.mem.Get(eod.BreakKey(day1, brokerX)), &br)
				if !proto.Equal(br.Chain, totals(brokerX, 1, 300_000, 0)) || !proto.Equal(br.ClearingHouse, totals(brokerX, 1, 300_100, 0)) {
					t.Fatalf("break %v", &br)
				}
			}},
		{name: "missing from the trade file: break", msg: eodMsg(day1, day2, nil), signer: sClearing,
			check: func(t *testing.T, e *env) {
				if !report(t, e, day1, brokerX).SettlementBreak {
					t.Fatal("no break")
				}
			}},
		{name: "reference prices and listings roll", signer: sClearing,
			msg: eodMsg(day1, day2, func(m *custodyv1.MsgEndOfDay) {
				closing(secMain, cny(10, 30))(m)
				update(&custodyv1.Instrument{Security: "601000.SH", Board: custodyv1.Board_BOARD_MAIN, ReferencePrice: cny(8, 0),
					Cycle: custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1, NoLimitDays: 5},
					&custodyv1.Instrument{Security: secSZ, Board: custodyv1.Board_BOARD_MAIN, ReferencePrice: cny(10, 0),
						Cycle: custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1, Halted: true})(m)
			}),
			check: func(t *testing.T, e *env) {
				if inst, _ := trading.GetInstrument(e.mem, secNew); inst.NoLimitDays != 4 {
					t.Fatalf("new listing %v", inst)
				}
				if inst, _ := trading.GetInstrument(e.mem, "601000.SH"); inst.Market != custodyv1.Market_MARKET_SSE || inst.UpdatedDate != day2 {
					t.Fatalf("listing %v", inst)
				}
				tk := ticket("C1/d2", secSZ, custodyv1.Side_SIDE_SELL, cny(10, 0), 150)
				tk.BusinessDate = day2
				if _, err := e.exec(sBrokerX, placeMsg(tk)); !errors.Is(err, market.ErrHalted) {
					t.Fatalf("halted at day end: %v", err)
				}
				tk = ticket("C1/d3", secMain, custodyv1.Side_SIDE_BUY, cny(11, 33), 100) // 10.30 + 10%
				tk.BusinessDate = day2
				e.must(sBrokerX, placeMsg(tk))
			}},
		{name: "a T+1 purchase is sellable the next day", msg: eodMsg(day1, day2, withTotalsX), signer: sClearing,
			check: func(t *testing.T, e *env) {
				tk := ticket("C1/d2", secMain, custodyv1.Side_SIDE_SELL, cny(10, 0), 1300)
				tk.BusinessDate = day2
				e.must(sBrokerX, placeMsg(tk))
			}},

		{name: "broker may not clear", msg: eodMsg(day1, day2, nil), signer: sBrokerX, want: contracts.ErrUnauthorizedRole},
		{name: "not the business date", msg: eodMsg(day2, 20250106, nil), signer: sClearing, want: eod.ErrWrongDate},
		{name: "twice for one date", setup: func(e *env) { e.must(sClearing, eodMsg(day1, day2, nil)) }, msg: eodMsg(day1, day2, nil), signer: sClearing, want: eod.ErrWrongDate},
		{name: "next date not after", msg: eodMsg(day1, day1, nil), signer: sClearing, want: eod.ErrNextDate},
		{name: "next date not a date", msg: eodMsg(day1, 20250230, nil), signer: sClearing, want: trading.ErrBadDate},
		{name: "closing price zero", msg: eodMsg(day1, day2, closing(secMain, 0)), signer: sClearing, want: eod.ErrBadClosingPrice},
		{name: "closing price twice", msg: eodMsg(day1, day2, func(m *custodyv1.MsgEndOfDay) { closing(secMain, cny(10, 0))(m); closing(secMain, cny(10, 0))(m) }), signer: sClearing, want: eod.ErrBadClosingPrice},
		{name: "closing price off the tick", msg: eodMsg(day1, day2, closing(secMain, 100_010)), signer: sClearing, want: eod.ErrBadClosingPrice},
		{name: "closing price of an unknown security", msg: eodMsg(day1, day2, closing("600999.SH", cny(10, 0))), signer: sClearing, want: trading.ErrUnknownInstrument},
		{name: "closing price of a bad security", msg: eodMsg(day1, day2, closing("600999", cny(10, 0))), signer: sClearing, want: trading.ErrBadSecurity},
		{name: "negative totals", msg: eodMsg(day1, day2, withTotals(totals(brokerX, 1, -1, 0))), signer: sClearing, want: eod.ErrBadTotals},
		{name: "totals twice", msg: eodMsg(day1, day2, withTotals(totals(brokerX, 1, 1, 0), totals(brokerX, 1, 1, 0))), signer: sClearing, want: eod.ErrBadTotals},
		{name: "totals of a bank", msg: eodMsg(day1, day2, withTotals(totals(bankA, 1, 1, 0))), signer: sClearing, want: eod.ErrBadTotals},
		{name: "totals of a bad id", msg: eodMsg(day1, day2, withTotals(totals("Broker X", 1, 1, 0))), signer: sClearing, want: accounts.ErrBadParticipantID},
		{name: "totals before the first day", msg: eodMsg(0, day1, withTotals(totals(brokerX, 0, 0, 0))), signer: sClearing, want: eod.ErrBadTotals},
		{name: "more items than the parameters allow", setup: func(e *env) {
			p := trading.GetParams(e.mem)
			p.MaxEodItems = 1
			e.mem.Set(trading.ParamsKey(), contracts.Marshal(p))
		}, msg: eodMsg(day1, day2, func(m *custodyv1.MsgEndOfDay) { closing(secMain, cny(10, 0))(m); closing(secSZ, cny(10, 0))(m) }), signer: sClearing, want: eod.ErrTooManyItems},
		{name: "an instrument updated twice", msg: eodMsg(day1, day2, update(tradingInstruments()[0], tradingInstruments()[0])), signer: sClearing, want: eod.ErrRepeatedUpdate},
		{name: "an invalid update", msg: eodMsg(day1, day2, update(&custodyv1.Instrument{Security: "300009.SH", Board: custodyv1.Board_BOARD_CHINEXT,
			ReferencePrice: cny(1, 0), Cycle: custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1})), signer: sClearing, want: trading.ErrBadInstrument},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := clearingWorld(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			before := e.hash()
			_, err := e.exec(tc.signer, tc.msg)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("got %v, want %v", err, tc.want)
			case tc.want != nil && !bytes.Equal(before, e.hash()):
				t.Fatal("refusal changed the state")
			}
			e.checkInvariants()
			if tc.check != nil {
				tc.check(t, e)
				e.checkInvariants()
			}
		})
	}
}

// TestEndOfDay_OpensTheFirstDay: a chain whose genesis has no business
// date trades only after the clearing house's first end_of_day, which may
// list the instruments.
func TestEndOfDay_OpensTheFirstDay(t *testing.T) {
	e := newEnv(t) // no trading section: no date, no instruments
	e.openTrader("C1", bankA, sBrokerX, sBankA)
	e.must(sBankA, depositMsg("T1", "C1", 2_000_000))
	if _, err := e.exec(sBrokerX, buyMsg("C1/b1", secMain, cny(10, 0), 100)); !errors.Is(err, trading.ErrNoBusinessDay) {
		t.Fatalf("before the first day: %v", err)
	}
	e.must(sClearing, eodMsg(0, day1, func(m *custodyv1.MsgEndOfDay) { m.Instruments = tradingInstruments() }))
	e.must(sBrokerX, buyMsg("C1/b1", secMain, cny(10, 0), 100))
	if e.mem.Has(eod.ReportKey(0, brokerX)) {
		t.Fatal("a report for date 0")
	}
	e.checkInvariants()
}

func TestSubmitStatement(t *testing.T) {
	// After clearing day 1 of the clearing world, bank-a's clients of
	// broker-x are C1, F1 and Z1.
	cleared := func(e *env) { e.must(sClearing, eodMsg(day1, day2, withTotalsX)) }
	hashA := func(e *env) []byte {
		var ids []string
		var bal []int64
		for _, id := range []string{"C1", "F1", "Z1"} {
			ids = append(ids, id)
			bal = append(bal, funds.Get(e.mem, id).Balance)
		}
		return eod.ClientsHash(ids, bal)
	}
	total := func(e *env) int64 { return funds.GetCustodyTotal(e.mem, bankA, brokerX) }
	cases := []struct {
		name   string
		setup  func(e *env)
		msg    func(e *env) *custodyv1.Msg
		signer contracts.Signer
		want   error
		status custodyv1.ReconStatus
	}{
		{name: "match", setup: cleared, signer: sBankA, status: custodyv1.ReconStatus_RECON_STATUS_MATCH,
			msg: func(e *env) *custodyv1.Msg { return statementMsg(day1, brokerX, total(e), 3, hashA(e)) }},
		{name: "total differs: break", setup: cleared, signer: sBankA, status: custodyv1.ReconStatus_RECON_STATUS_BREAK,
			msg: func(e *env) *custodyv1.Msg { return statementMsg(day1, brokerX, total(e)+1, 3, hashA(e)) }},
		{name: "a client differs: break", setup: cleared, signer: sBankA, status: custodyv1.ReconStatus_RECON_STATUS_BREAK,
			msg: func(e *env) *custodyv1.Msg {
				return statementMsg(day1, brokerX, total(e), 3, eod.ClientsHash([]string{"C1", "F1", "Z1"}, []int64{1, 2, 3}))
			}},
		{name: "no clients at that pair: zeros match", setup: cleared, signer: sBankB, status: custodyv1.ReconStatus_RECON_STATUS_MATCH,
			msg: func(e *env) *custodyv1.Msg { return statementMsg(day1, brokerX, 0, 0, sha("")) }},
		{name: "the state after later trades does not count", signer: sBankA, status: custodyv1.ReconStatus_RECON_STATUS_MATCH,
			setup: func(e *env) {
				cleared(e)
				e.must(sBankA, depositMsg("T7", "C1", 1))
			},
			msg: func(e *env) *custodyv1.Msg {
				return statementMsg(day1, brokerX, total(e)-1, 3, eod.ClientsHash([]string{"C1", "F1", "Z1"},
					[]int64{funds.Get(e.mem, "C1").Balance - 1, funds.Get(e.mem, "F1").Balance, funds.Get(e.mem, "Z1").Balance}))
			}},

		{name: "broker may not submit", setup: cleared, signer: sBrokerX, want: contracts.ErrUnauthorizedRole,
			msg: func(e *env) *custodyv1.Msg { return statementMsg(day1, brokerX, 0, 0, sha("")) }},
		{name: "not a date", setup: cleared, signer: sBankA, want: trading.ErrBadDate,
			msg: func(e *env) *custodyv1.Msg { return statementMsg(20250132, brokerX, 0, 0, sha("")) }},
		{name: "bad broker id", setup: cleared, signer: sBankA, want: accounts.ErrBadParticipantID,
			msg: func(e *env) *custodyv1.Msg { return statementMsg(day1, "Broker", 0, 0, sha("")) }},
		{name: "negative total", setup: cleared, signer: sBankA, want: reconcile.ErrBadTotal,
			msg: func(e *env) *custodyv1.Msg { return statementMsg(day1, brokerX, -1, 0, sha("")) }},
		{name: "short hash", setup: cleared, signer: sBankA, want: reconcile.ErrBadHash,
			msg: func(e *env) *custodyv1.Msg { return statementMsg(day1, brokerX, 0, 0, sha("")[:31]) }},
		{name: "not a broker", setup: cleared, signer: sBankA, want: reconcile.ErrUnknownBroker,
			msg: func(e *env) *custodyv1.Msg { return statementMsg(day1, bankB, 0, 0, sha("")) }},
		{name: "date not cleared", signer: sBankA, want: reconcile.ErrNotCleared,
			msg: func(e *env) *custodyv1.Msg { return statementMsg(day1, brokerX, 0, 0, sha("")) }},
		{name: "submitted twice", signer: sBankA, want: reconcile.ErrStatementExists,
			setup: func(e *env) { cleared(e); e.must(sBankA, statementMsg(day1, brokerX, 0, 0, sha(""))) },
			msg:   func(e *env) *custodyv1.Msg { return statementMsg(day1, brokerX, 0, 0, sha("")) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := clearingWorld(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			msg := tc.msg(e)
			_, err := e.exec(tc.signer, msg)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			e.checkInvariants()
			if tc.want != nil {
				return
			}
			m := msg.GetSubmitStatement()
			res, ok := reconcile.GetResult(e.mem, day1, tc.signer.Owner, m.BrokerId)
			if !ok || res.Status != tc.status || res.BankTotal != m.CustodyTotal || !bytes.Equal(res.BankClientsHash, m.ClientsHash) {
				t.Fatalf("result %v", res)
			}
			breaks := reconcile.Breaks(e.mem, 0, 0)
			if listed := len(breaks) == 1 && proto.Equal(breaks[0], res); listed != (tc.status == custodyv1.ReconStatus_RECON_STATUS_BREAK) {
				t.Fatalf("breaks listed %v", breaks)
			}
		})
	}
}

func withTotalsX(m *custodyv1.MsgEndOfDay) {
	m.TradeTotals = []*custodyv1.TradeTotals{totals(brokerX, 1, 300_000, 0)}
}
