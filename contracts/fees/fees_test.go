package fees

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

const today = 20261123

func cny(yuan, fen int64) int64 { return yuan*100 + fen }

// TestWorkedExample is DOMAIN.md's example: buy 1,000 at 10.00 with a
// 0.025% commission costs 10,005.64; the sale adds 5.00 stamp duty.
func TestWorkedExample(t *testing.T) {
	p := DefaultParams()
	raw, err := RawValue(10*PriceScale, 1000)
	require.NoError(t, err)
	require.Equal(t, cny(10_000, 0), ValueFen(raw))

	buy, err := p.Cumulative(Trade{Date: today, Side: Buy, CommissionRate: 25_000, MinCommission: 500}, raw)
	require.NoError(t, err)
	require.Equal(t, Breakdown{Commission: 500, TransferFee: 10, HandlingFee: 34, RegulatorLevy: 20}, buy,
		"commission 2.50 → 5.00 minimum; handling 0.341 → 0.34; levy 0.20; transfer 0.10")
	require.Equal(t, cny(10_005, 64), ValueFen(raw)+buy.Total())

	sell, err := p.Cumulative(Trade{Date: today, Side: Sell, CommissionRate: 25_000, MinCommission: 500}, raw)
	require.NoError(t, err)
	require.Equal(t, buy.Total()+500, sell.Total(), "stamp duty 0.05% of 10,000.00 is 5.00")
	require.Equal(t, int64(500), sell.StampDuty)
}

func TestFeeTable(t *testing.T) {
	p := DefaultParams()
	total := p
	total.Rounding = RoundOnTotal
	cases := []struct {
		name   string
		params Params
		trade  Trade
		price  int64
		qty    int64
		want   Breakdown
	}{
		{
			// levy 0.002% of 250.00 = 0.005 CNY = 0.5 fen: half up to 1 fen.
			name: "half fen rounds up", params: p,
			trade: Trade{Date: today, Side: Buy, CommissionRate: 300_000, MinCommission: 500}, price: 25_000, qty: 100,
			// commission 0.3% of 250.00 = 75 fen → minimum 500; transfer 0.25 → 0;
			// handling 0.8525 → 1; levy 0.5 → 1.
			want: Breakdown{Commission: 500, TransferFee: 0, HandlingFee: 1, RegulatorLevy: 1},
		},
		{
			// 249.99: levy 0.49998 fen rounds down.
			name: "just under half fen rounds down", params: p,
			trade: Trade{Date: today, Side: Buy, CommissionRate: 300_000, MinCommission: 500}, price: 24_999, qty: 100,
			want: Breakdown{Commission: 500, TransferFee: 0, HandlingFee: 1, RegulatorLevy: 0},
		},
		{
			// 0.3% of 1,666.67 = 5.00001 CNY, which rounds to exactly the minimum.
			name: "commission just above the minimum", params: p,
			trade: Trade{Date: today, Side: Buy, CommissionRate: 300_000, MinCommission: 500}, price: 166_667, qty: 100,
			// transfer 1.66667 → 2; handling 5.6833 → 6; levy 3.3333 → 3.
			want: Breakdown{Commission: 500, TransferFee: 2, HandlingFee: 6, RegulatorLevy: 3},
		},
		{
			// 0.3% of 2,000.00 = 6.00, above the minimum.
			name: "commission above the minimum", params: p,
			trade: Trade{Date: today, Side: Sell, CommissionRate: 300_000, MinCommission: 500}, price: 200_000, qty: 100,
			// stamp 0.05% = 100; transfer 2; handling 6.82 → 7; levy 4.
			want: Breakdown{Commission: 600, StampDuty: 100, TransferFee: 2, HandlingFee: 7, RegulatorLevy: 4},
		},
		{
			// 2,468.00 at 0.3%: items 740.4, 2.468, 8.41588, 4.936 fen
			// → 740 + 2 + 8 + 5 = 755.
			name: "per item", params: p,
			trade: Trade{Date: today, Side: Buy, CommissionRate: 300_000, MinCommission: 500}, price: 123_400, qty: 200,
			want: Breakdown{Commission: 740, TransferFee: 2, HandlingFee: 8, RegulatorLevy: 5},
		},
		{
			// the same on total: 756.21988 → 756. Floors 740+2+8+4 = 754; the
			// two fen left go to the largest remainders, levy .936 and
			// transfer .468.
			name: "on total", params: total,
			trade: Trade{Date: today, Side: Buy, CommissionRate: 300_000, MinCommission: 500}, price: 123_400, qty: 200,
			want: Breakdown{Commission: 740, TransferFee: 3, HandlingFee: 8, RegulatorLevy: 5},
		},
		{
			// 2023-08-27 is under the old schedule: stamp 0.1%, handling 0.00487%.
			name: "old schedule before 2023-08-28", params: p,
			trade: Trade{Date: 20230827, Side: Sell, CommissionRate: 25_000, MinCommission: 500}, price: 10 * PriceScale, qty: 1000,
			want: Breakdown{Commission: 500, StampDuty: 1000, TransferFee: 10, HandlingFee: 49, RegulatorLevy: 20},
		},
		{
			// before 2022-04-29 the transfer fee was 0.002%.
			name: "transfer fee before 2022-04-29", params: p,
			trade: Trade{Date: 20220428, Side: Buy, CommissionRate: 25_000, MinCommission: 500}, price: 10 * PriceScale, qty: 1000,
			want: Breakdown{Commission: 500, TransferFee: 20, HandlingFee: 49, RegulatorLevy: 20},
		},
		{
			name: "new schedule on its effective date", params: p,
			trade: Trade{Date: 20230828, Side: Sell, CommissionRate: 25_000, MinCommission: 500}, price: 10 * PriceScale, qty: 1000,
			want: Breakdown{Commission: 500, StampDuty: 500, TransferFee: 10, HandlingFee: 34, RegulatorLevy: 20},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := RawValue(tc.price, tc.qty)
			require.NoError(t, err)
			got, err := tc.params.Cumulative(tc.trade, raw)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestMinimumPerOrderIsChargedOnce(t *testing.T) {
	p := DefaultParams()
	tr := Trade{Date: today, Side: Buy, CommissionRate: 25_000, MinCommission: 500}
	// Two fills of 500 at 10.00: the first pays the minimum, the second none.
	half, _ := RawValue(10*PriceScale, 500)
	f1, err := p.Fill(tr, 0, half)
	require.NoError(t, err)
	f2, err := p.Fill(tr, half, half)
	require.NoError(t, err)
	require.Equal(t, int64(500), f1.Commission)
	require.Equal(t, int64(0), f2.Commission, "2.50 in all: the minimum already covers it")
}

func TestMinimumPerFill(t *testing.T) {
	p := DefaultParams()
	p.Minimum = MinimumPerFill
	tr := Trade{Date: today, Side: Buy, CommissionRate: 25_000, MinCommission: 500}
	half, _ := RawValue(10*PriceScale, 500)
	f1, _ := p.Fill(tr, 0, half)
	f2, _ := p.Fill(tr, half, half)
	require.Equal(t, int64(500), f1.Commission)
	require.Equal(t, int64(500), f2.Commission)
	max, err := p.Max(tr, 2*half, 10)
	require.NoError(t, err)
	require.GreaterOrEqual(t, max, f1.Total()+f2.Total())
}

// TestFillsSumToWhole: however an order is cut into fills, the fills' fees
// add up to the fees of the whole, and never exceed Max (the buy freeze).
func TestFillsSumToWhole(t *testing.T) {
	seeds := []int64{1, 7, 99, 2024, 31337}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			for _, rounding := range []RoundingRule{RoundPerItem, RoundOnTotal} {
				p := DefaultParams()
				p.Rounding = rounding
				for i := 0; i < 200; i++ {
					tr := Trade{Date: today, Side: Side(1 + rng.Intn(2)), Class: Class(rng.Intn(3)), CommissionRate: Rate(rng.Intn(300_001)), MinCommission: int64(rng.Intn(501))}
					price := int64(1 + rng.Intn(5_000_000))
					lots := int64(1 + rng.Intn(100))
					whole, err := RawValue(price, lots*100)
					require.NoError(t, err)
					var paid Breakdown
					var before int64
					for left := lots; left > 0; {
						n := int64(1 + rng.Intn(int(left)))
						fill, _ := RawValue(price, n*100)
						f, err := p.Fill(tr, before, fill)
						require.NoError(t, err)
						paid = paid.Add(f)
						before += fill
						left -= n
					}
					want, err := p.Cumulative(tr, whole)
					require.NoError(t, err)
					require.Equal(t, want, paid)
					max, err := p.Max(tr, whole, lots)
					require.NoError(t, err)
					require.LessOrEqual(t, paid.Total(), max)
				}
			}
		})
	}
}

func TestOverflowRefused(t *testing.T) {
	_, err := RawValue(1<<40, 1<<30)
	require.True(t, errors.Is(err, ErrOverflow))
	_, err = RawValue(-1, 100)
	require.True(t, errors.Is(err, ErrOverflow))
}

func TestScheduleOn(t *testing.T) {
	p := DefaultParams()
	_, err := p.ScheduleOn(19891231)
	require.ErrorIs(t, err, ErrNoSchedule)
	s, err := p.ScheduleOn(20220429)
	require.NoError(t, err)
	require.Equal(t, Rate(1_000), s.Equity.TransferFee)
	require.NoError(t, p.Validate())
	bad := DefaultParams()
	bad.Schedules[1].Effective = bad.Schedules[0].Effective
	require.ErrorIs(t, bad.Validate(), ErrBadParams)
}
