package ledger_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// TestFillFees wires the fee arithmetic through orders and fills, with
// every expected figure worked out by hand (fen; rates of 2025: commission
// 0.025% at broker-x and 0.03% at broker-y, minimum 5.00 per order, stamp
// duty 0.05% on sells, transfer fee 0.001%, handling fee 0.00341% (funds
// 0.004%), levy 0.002%; each item rounded half up to the fen). Funds and
// bonds pay no stamp duty and no transfer fee; bonds pay commission 0.002%
// (minimum 1.00) and the bond handling fee 0.0001% only.
func TestFillFees(t *testing.T) {
	type fill struct {
		msg   *custodyv1.Msg
		value int64
		fees  *custodyv1.Fees
		cash  int64
	}
	fee := func(c, s, tr, h, l int64) *custodyv1.Fees {
		return &custodyv1.Fees{Commission: c, StampDuty: s, TransferFee: tr, HandlingFee: h, RegulatorLevy: l}
	}
	cases := []struct {
		name    string
		params  func(*custodyv1.TradingParams)
		broker  contracts.Signer
		account string
		order   *custodyv1.Msg
		freeze  int64 // cash the order freezes
		fills   []fill
		hold    string // a security the account is given 1 000 of first
	}{
		{name: "DOMAIN.md example: 1 000 at 10.00, minimum commission", broker: sBrokerX, account: "C1",
			order: buyMsg("C1/f", secMain, cny(10, 0), 1000), freeze: 1_000_564,
			fills: []fill{{fillMsg("F1", "C1/f", cny(10, 0), 1000), 1_000_000, fee(500, 0, 10, 34, 20), -1_000_564}}},
		{name: "selling it adds stamp duty", broker: sBrokerX, account: "C1",
			order: sellMsg("C1/f", secMain, cny(10, 0), 1000), freeze: 0,
			fills: []fill{{fillMsg("F1", "C1/f", cny(10, 0), 1000), 1_000_000, fee(500, 500, 10, 34, 20), 998_936}}},
		{name: "broker-y at 0.03% above the minimum", broker: sBrokerY, account: "C2",
			order: buyMsg("C2/f", secMain, cny(10, 0), 2000), freeze: 2_000_728,
			// commission 6.00; transfer 0.20; handling 0.682 → 0.68; levy 0.40
			fills: []fill{{fillMsg("F1", "C2/f", cny(10, 0), 2000), 2_000_000, fee(600, 0, 20, 68, 40), -2_000_728}}},
		{name: "half a fen rounds up", broker: sBrokerX, account: "C1",
			order: buyMsg("C1/f", secNew, cny(5, 0), 100), freeze: 50_504,
			// 500.00: commission 0.125 → minimum; transfer 0.005 → 0.01; handling 0.01705 → 0.02; levy 0.01
			fills: []fill{{fillMsg("F1", "C1/f", cny(5, 0), 100), 50_000, fee(500, 0, 1, 2, 1), -50_504}}},
		{name: "cumulative over partial fills", broker: sBrokerX, account: "C1",
			order: buyMsg("C1/f", secMain, cny(10, 0), 1000), freeze: 1_000_564,
			fills: []fill{
				// 2 997.00: minimum 5.00 at once; transfer 0.02997 → 0.03; handling 0.1022 → 0.10; levy 0.05994 → 0.06
				{fillMsg("F1", "C1/f", cny(9, 99), 300), 299_700, fee(500, 0, 3, 10, 6), -300_219},
				// on 9 997.00 in all: 5.00, 0.10, 0.34, 0.20, less what the first paid
				{fillMsg("F2", "C1/f", cny(10, 0), 700), 700_000, fee(0, 0, 7, 24, 14), -700_045},
			}},
		{name: "minimum per fill", params: func(p *custodyv1.TradingParams) { p.MinimumRule = custodyv1.FeeMinimumRule_FEE_MINIMUM_RULE_PER_FILL },
			broker: sBrokerX, account: "C1",
			// freeze: 10 000.00 + 5.64 + 999 further fills × (5.00 + 0.05)
			order: buyMsg("C1/f", secMain, cny(10, 0), 1000), freeze: 1_000_564 + 999*505,
			fills: []fill{
				{fillMsg("F1", "C1/f", cny(9, 99), 300), 299_700, fee(500, 0, 3, 10, 6), -300_219},
				// 7 000.00 alone: commission 1.75 → 5.00; transfer 0.07; handling 0.2387 → 0.24; levy 0.14
				{fillMsg("F2", "C1/f", cny(10, 0), 700), 700_000, fee(500, 0, 7, 24, 14), -700_545},
			}},
		{name: "rounding on the total", params: func(p *custodyv1.TradingParams) {
			p.RoundingRule = custodyv1.FeeRoundingRule_FEE_ROUNDING_RULE_ON_TOTAL
		},
			broker: sBrokerX, account: "C1",
			// unrounded 0.125 + 0.005 + 0.01705 + 0.01 = 0.157 → 0.16 (per item: 0.17):
			// booked to handling (remainder .705) and commission (.5, before transfer's .5)
			order: buyMsg("C1/f", secNew, cny(5, 0), 100), freeze: 50_503,
			fills: []fill{{fillMsg("F1", "C1/f", cny(5, 0), 100), 50_000, fee(500, 0, 0, 2, 1), -50_503}}},
		{name: "ETF handling fee 0.004%, no transfer fee", broker: sBrokerX, account: "C1",
			order: buyMsg("C1/f", secFund, 10_010, 1000), freeze: 100_606,
			// 1 001.00: commission 0.25 → 5.00; no transfer fee; handling 0.04004 → 0.04; levy 0.02002 → 0.02
			fills: []fill{{fillMsg("F1", "C1/f", 10_010, 1000), 100_100, fee(500, 0, 0, 4, 2), -100_606}}},
		{name: "ETF sale: no stamp duty, no transfer fee", broker: sBrokerX, account: "C1", hold: secFund,
			// reserve: a one-share fill at 1.001 brings 1.00 and pays the 5.00
			// minimum: 5.00 − 1.00 + 0.06 rounding = 4.06
			order: sellMsg("C1/f", secFund, 10_010, 1000), freeze: 406,
			fills: []fill{{fillMsg("F1", "C1/f", 10_010, 1000), 100_100, fee(500, 0, 0, 4, 2), 99_594}}},
		{name: "bond purchase: commission and handling fee only", broker: sBrokerX, account: "C1",
			// 50 000.00: commission 0.002% = 1.00 (just the minimum); handling 0.0001% = 0.05
			order: buyMsg("C1/f", secBond, cny(100, 0), 500), freeze: 5_000_105,
			fills: []fill{{fillMsg("F1", "C1/f", cny(100, 0), 500), 5_000_000, fee(100, 0, 0, 5, 0), -5_000_105}}},
		{name: "bond sale: no stamp duty, no transfer fee, no levy", broker: sBrokerX, account: "C1", hold: secBond,
			// 100 000.00: commission 0.002% = 2.00; handling 0.0001% = 0.10
			order: sellMsg("C1/f", secBond, cny(100, 0), 1000), freeze: 0,
			fills: []fill{{fillMsg("F1", "C1/f", cny(100, 0), 1000), 10_000_000, fee(200, 0, 0, 10, 0), 9_999_790}}},
		{name: "penny sell: fees beyond proceeds come from the reserve", broker: sBrokerX, account: "C1",
			order: sellMsg("C1/f", secPenny, cny(0, 10), 1000), freeze: 496,
			fills: []fill{
				// one share: 0.10 in, 5.00 minimum out
				{fillMsg("F1", "C1/f", cny(0, 10), 1), 10, fee(500, 0, 0, 0, 0), -490},
				// 999 more: 100.00 in all, stamp duty 0.05 on the total
				{fillMsg("F2", "C1/f", cny(0, 10), 999), 9_990, fee(0, 5, 0, 0, 0), 9_985},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := tradingWorld(t, tc.params)
			if tc.account == "C2" {
				e.must(sBankB, depositMsg("T9", "C2", 3_000_000))
			}
			if tc.hold != "" {
				e.seedHolding(tc.account, tc.hold, 1000)
			}
			f0 := funds.Get(e.mem, tc.account)
			e.must(tc.broker, tc.order)
			orderID := tc.order.GetPlaceOrder().Ticket.OrderId
			if o := e.order(orderID); o.FrozenCash != tc.freeze {
				t.Fatalf("order freezes %d, want %d", o.FrozenCash, tc.freeze)
			}
			var cash int64
			var total = &custodyv1.Fees{}
			for _, fl := range tc.fills {
				e.must(tc.broker, fl.msg)
				id := fl.msg.GetReportFill().ExecId
				got, ok := trading.GetFill(e.mem, id)
				if !ok {
					t.Fatalf("fill %s not stored", id)
				}
				if got.Value != fl.value || got.Cash != fl.cash || !proto.Equal(got.Fees, fl.fees) {
					t.Fatalf("fill %s: value %d cash %d fees %v; want %d %d %v", id, got.Value, got.Cash, got.Fees, fl.value, fl.cash, fl.fees)
				}
				cash += fl.cash
				total = trading.FeesProto(trading.Breakdown(total).Add(trading.Breakdown(fl.fees)))
			}
			o := e.order(orderID)
			if o.Status != custodyv1.OrderStatus_ORDER_STATUS_FILLED || o.FrozenCash != 0 || !proto.Equal(o.Fees, total) {
				t.Fatalf("order %v, fees %v", o, total)
			}
			if f := funds.Get(e.mem, tc.account); f.Balance != f0.Balance+cash || f.Frozen != f0.Frozen {
				t.Fatalf("funds %v, want balance %d and frozen %d", f, f0.Balance+cash, f0.Frozen)
			}
			broker := tc.broker.Owner
			if got := e.system(funds.BrokerSettlement(broker)); got != -cash {
				t.Fatalf("settlement account of %s holds %d, want %d", broker, got, -cash)
			}
			e.checkInvariants()
		})
	}
}
