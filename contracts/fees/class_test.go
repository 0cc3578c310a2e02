package fees

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGoldenByClass is the fee of one order of every product class and side,
// on a date before and after each schedule change, with the arithmetic
// written out. The figures are what a bank or a regulator recomputes to the
// fen; a change here is a change of what clients pay.
//
// Orders: A-shares and funds 1 000 at 10.00 (value 10 000.00), commission
// 0.025% with the 5.00 minimum (the broker's A-share and fund schedule);
// bonds 1 000 at 100.00 (value 100 000.00), commission 0.002% with the
// 1.00 minimum (the default bond schedule).
func TestGoldenByClass(t *testing.T) {
	p := DefaultParams()
	stock := func(date uint32, side Side) Trade {
		return Trade{Date: date, Side: side, Class: ClassEquity, CommissionRate: 25_000, MinCommission: 500}
	}
	fund := func(date uint32, side Side) Trade {
		return Trade{Date: date, Side: side, Class: ClassFund, CommissionRate: 25_000, MinCommission: 500}
	}
	bond := func(date uint32, side Side) Trade {
		return Trade{Date: date, Side: side, Class: ClassBond, CommissionRate: 2_000, MinCommission: 100}
	}
	tenThousand := int64(10 * PriceScale * 1000)      // 10 000.00 CNY raw
	hundredThousand := int64(100 * PriceScale * 1000) // 100 000.00 CNY raw
	cases := []struct {
		name  string
		trade Trade
		raw   int64
		want  Breakdown
		total int64
	}{
		// A-shares: all five items.
		{"A-share buy 2026", stock(today, Buy), tenThousand,
			// commission 10 000 × 0.025% = 2.50 → minimum 5.00; stamp duty none on a buy;
			// transfer 10 000 × 0.001% = 0.10; handling × 0.00341% = 0.341 → 0.34; levy × 0.002% = 0.20.
			Breakdown{Commission: 500, TransferFee: 10, HandlingFee: 34, RegulatorLevy: 20}, 564},
		{"A-share sell 2026", stock(today, Sell), tenThousand,
			// as the buy, plus stamp duty 10 000 × 0.05% = 5.00.
			Breakdown{Commission: 500, StampDuty: 500, TransferFee: 10, HandlingFee: 34, RegulatorLevy: 20}, 1064},
		{"A-share sell 2023-08-28 (new schedule's first day)", stock(20230828, Sell), tenThousand,
			Breakdown{Commission: 500, StampDuty: 500, TransferFee: 10, HandlingFee: 34, RegulatorLevy: 20}, 1064},
		{"A-share sell 2023-08-27", stock(20230827, Sell), tenThousand,
			// stamp 10 000 × 0.1% = 10.00; handling × 0.00487% = 0.487 → 0.49.
			Breakdown{Commission: 500, StampDuty: 1000, TransferFee: 10, HandlingFee: 49, RegulatorLevy: 20}, 1579},
		{"A-share buy 2022-04-29", stock(20220429, Buy), tenThousand,
			// transfer 0.001% from this day: 0.10.
			Breakdown{Commission: 500, TransferFee: 10, HandlingFee: 49, RegulatorLevy: 20}, 579},
		{"A-share buy 2022-04-28", stock(20220428, Buy), tenThousand,
			// transfer 10 000 × 0.002% = 0.20 before 2022-04-29.
			Breakdown{Commission: 500, TransferFee: 20, HandlingFee: 49, RegulatorLevy: 20}, 589},

		// Funds and ETFs: commission, the fund handling fee, the levy; no stamp
		// duty and no transfer fee on either side, in every schedule.
		{"ETF buy 2026", fund(today, Buy), tenThousand,
			// commission 2.50 → 5.00; handling 10 000 × 0.004% = 0.40; levy 0.20.
			Breakdown{Commission: 500, HandlingFee: 40, RegulatorLevy: 20}, 560},
		{"ETF sell 2026", fund(today, Sell), tenThousand,
			// the same as the buy: a fund sale pays no stamp duty.
			Breakdown{Commission: 500, HandlingFee: 40, RegulatorLevy: 20}, 560},
		{"ETF sell 2023-08-28", fund(20230828, Sell), tenThousand,
			Breakdown{Commission: 500, HandlingFee: 40, RegulatorLevy: 20}, 560},
		{"ETF sell 2023-08-27", fund(20230827, Sell), tenThousand,
			// handling 10 000 × 0.00487% = 0.487 → 0.49 under the old schedule.
			Breakdown{Commission: 500, HandlingFee: 49, RegulatorLevy: 20}, 569},
		{"ETF buy 2022-04-28", fund(20220428, Buy), tenThousand,
			// the A-share transfer fee of the time (0.002%) never applied to funds.
			Breakdown{Commission: 500, HandlingFee: 49, RegulatorLevy: 20}, 569},

		// Bonds: commission and the bond handling fee only.
		{"bond buy 2026", bond(today, Buy), hundredThousand,
			// commission 100 000 × 0.002% = 2.00 (above the 1.00 minimum);
			// handling 100 000 × 0.0001% = 0.10.
			Breakdown{Commission: 200, HandlingFee: 10}, 210},
		{"bond sell 2026", bond(today, Sell), hundredThousand,
			// no stamp duty, no transfer fee, no levy.
			Breakdown{Commission: 200, HandlingFee: 10}, 210},
		{"bond sell 2023-08-27", bond(20230827, Sell), hundredThousand,
			Breakdown{Commission: 200, HandlingFee: 10}, 210},
		{"bond sell 2022-04-28", bond(20220428, Sell), hundredThousand,
			Breakdown{Commission: 200, HandlingFee: 10}, 210},
		{"bond sell small, minimum", bond(today, Sell), tenThousand,
			// commission 10 000 × 0.002% = 0.20 → minimum 1.00; handling 0.01.
			Breakdown{Commission: 100, HandlingFee: 1}, 101},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.Cumulative(tc.trade, tc.raw)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.total, got.Total())
			if tc.trade.Class != ClassEquity {
				require.Zero(t, got.StampDuty, "funds, ETFs and bonds pay no stamp duty")
				require.Zero(t, got.TransferFee, "funds, ETFs and bonds pay no transfer fee")
			}
		})
	}
}

// TestUnknownClassRefused: a class outside the schedule is an error, not
// the A-share rates by default.
func TestUnknownClassRefused(t *testing.T) {
	_, err := DefaultParams().Cumulative(Trade{Date: today, Side: Sell, Class: numClasses, MinCommission: 500}, 1000)
	require.ErrorIs(t, err, ErrBadParams)
}

// TestClassRatesValidated: every class's rates are range-checked.
func TestClassRatesValidated(t *testing.T) {
	p := DefaultParams()
	p.Schedules[2].Bond.HandlingFee = RateScale // 100%
	require.ErrorIs(t, p.Validate(), ErrBadParams)
	require.ErrorIs(t, DefaultParams().ValidateCommission(Commission{Rate: 300_001}), ErrBadParams)
	require.NoError(t, DefaultParams().ValidateCommission(DefaultCommissions()[ClassBond]))
}
