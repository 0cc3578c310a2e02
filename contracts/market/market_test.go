package market

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func yuan(y, f int64) int64 { return y*PriceScale + f*100 }

func TestLimitPrices(t *testing.T) {
	r := DefaultRules()
	cases := []struct {
		name     string
		inst     Instrument
		date     uint32
		up, down int64
	}{
		{"main 10.00 ±10%", Instrument{Board: BoardMain, PrevClose: yuan(10, 0)}, 20261123, yuan(11, 0), yuan(9, 0)},
		// 9.87 × 1.1 = 10.857 → 10.86; × 0.9 = 8.883 → 8.88.
		{"main rounds to the tick", Instrument{Board: BoardMain, PrevClose: yuan(9, 87)}, 20261123, yuan(10, 86), yuan(8, 88)},
		// 10.05 × 1.1 = 11.055 → 11.06 and × 0.9 = 9.045 → 9.05: halves go up.
		{"main half tick goes up", Instrument{Board: BoardMain, PrevClose: yuan(10, 5)}, 20261123, yuan(11, 6), yuan(9, 5)},
		{"chinext ±20%", Instrument{Board: BoardChiNext, PrevClose: yuan(10, 5)}, 20261123, yuan(12, 6), yuan(8, 4)},
		{"star ±20%", Instrument{Board: BoardSTAR, PrevClose: yuan(50, 0)}, 20261123, yuan(60, 0), yuan(40, 0)},
		{"ST ±5% before 2025-07-07", Instrument{Board: BoardMain, PrevClose: yuan(10, 0), RiskWarning: true}, 20250704, yuan(10, 50), yuan(9, 50)},
		{"ST ±10% from 2025-07-07", Instrument{Board: BoardMain, PrevClose: yuan(10, 0), RiskWarning: true}, 20250707, yuan(11, 0), yuan(9, 0)},
		// fund tick 0.001: 1.234 × 1.1 = 1.3574 → 1.357; × 0.9 = 1.1106 → 1.111.
		{"fund tick 0.001", Instrument{Board: BoardFund, PrevClose: 12_340}, 20261123, 13_570, 11_110},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up, down, ok, err := r.LimitPrices(tc.inst, tc.date)
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, tc.up, up, "up")
			require.Equal(t, tc.down, down, "down")
		})
	}
	_, _, ok, err := r.LimitPrices(Instrument{Board: BoardMain, PrevClose: yuan(10, 0), NoLimit: true}, 20261123)
	require.NoError(t, err)
	require.False(t, ok, "a new listing has no limit")
}

func TestCheckQuantity(t *testing.T) {
	r := DefaultRules()
	main := Instrument{Board: BoardMain}
	cases := []struct {
		name     string
		inst     Instrument
		side     Side
		typ      OrdType
		qty      int64
		sellable int64
		err      error
	}{
		{"main buy whole lots", main, Buy, Limit, 200, 0, nil},
		{"main buy odd lot", main, Buy, Limit, 150, 0, ErrBadQuantity},
		{"main buy zero", main, Buy, Limit, 0, 0, ErrBadQuantity},
		{"main sell with the odd remainder", main, Sell, Limit, 150, 250, nil},
		{"main sell odd that is not the remainder", main, Sell, Limit, 150, 300, ErrBadQuantity},
		{"main sell the odd lot alone", main, Sell, Limit, 50, 50, nil},
		{"main sell whole lots", main, Sell, Limit, 100, 250, nil},
		{"main max order", main, Buy, Limit, 1_000_000, 0, nil},
		{"main above max order", main, Buy, Limit, 1_000_100, 0, ErrTooLarge},
		{"chinext market above 150k", Instrument{Board: BoardChiNext}, Buy, MarketOrder, 150_100, 0, ErrTooLarge},
		{"chinext limit 150.1k", Instrument{Board: BoardChiNext}, Buy, Limit, 150_100, 0, nil},
		{"chinext limit above 300k", Instrument{Board: BoardChiNext}, Buy, Limit, 300_100, 0, ErrTooLarge},
		{"star buy 199", Instrument{Board: BoardSTAR}, Buy, Limit, 199, 0, ErrBadQuantity},
		{"star buy 200", Instrument{Board: BoardSTAR}, Buy, Limit, 200, 0, nil},
		{"star buy 201", Instrument{Board: BoardSTAR}, Buy, Limit, 201, 0, nil},
		{"star sell a small holding whole", Instrument{Board: BoardSTAR}, Sell, Limit, 150, 150, nil},
		{"star sell part of a small remainder", Instrument{Board: BoardSTAR}, Sell, Limit, 150, 300, ErrBadQuantity},
		{"star limit above 100k", Instrument{Board: BoardSTAR}, Buy, Limit, 100_001, 0, ErrTooLarge},
		{"star market above 50k", Instrument{Board: BoardSTAR}, Buy, MarketOrder, 50_001, 0, ErrTooLarge},
		{"bond lot of 10", Instrument{Board: BoardBond}, Buy, Limit, 10, 0, nil},
		{"unknown board", Instrument{Board: 99}, Buy, Limit, 100, 0, ErrUnknownBoard},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := r.CheckQuantity(tc.inst, tc.side, tc.typ, tc.qty, tc.sellable)
			if tc.err == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.err)
			}
		})
	}
}

func TestCheckPriceAndCage(t *testing.T) {
	r := DefaultRules()
	main := Instrument{Board: BoardMain, PrevClose: yuan(10, 0)}
	require.NoError(t, r.CheckPrice(main, yuan(11, 0), 20261123), "at the up limit")
	require.ErrorIs(t, r.CheckPrice(main, yuan(11, 1), 20261123), ErrOutsideLimits)
	require.ErrorIs(t, r.CheckPrice(main, yuan(8, 99), 20261123), ErrOutsideLimits)
	require.ErrorIs(t, r.CheckPrice(main, yuan(10, 0)+50, 20261123), ErrBadTick, "10.005 on a 0.01 tick")
	require.ErrorIs(t, r.CheckPrice(main, 0, 20261123), ErrBadPrice)
	require.NoError(t, r.CheckPrice(Instrument{Board: BoardFund, PrevClose: 10_000}, 10_050, 20261123), "1.005 on a 0.001 tick")

	// Cage around 10.00: buy ≤ max(10.20, 10.10); sell ≥ min(9.80, 9.90).
	require.NoError(t, r.CheckCage(main, Buy, yuan(10, 20), yuan(10, 0)))
	require.ErrorIs(t, r.CheckCage(main, Buy, yuan(10, 21), yuan(10, 0)), ErrOutsideCage)
	require.NoError(t, r.CheckCage(main, Sell, yuan(9, 80), yuan(10, 0)))
	require.ErrorIs(t, r.CheckCage(main, Sell, yuan(9, 79), yuan(10, 0)), ErrOutsideCage)
	// Around 2.00 the ten-tick floor is wider: buy ≤ max(2.04, 2.10) = 2.10.
	require.NoError(t, r.CheckCage(main, Buy, yuan(2, 10), yuan(2, 0)))
	require.ErrorIs(t, r.CheckCage(main, Buy, yuan(2, 11), yuan(2, 0)), ErrOutsideCage)
	require.NoError(t, r.CheckCage(main, Sell, yuan(1, 90), yuan(2, 0)))
	require.ErrorIs(t, r.CheckCage(main, Sell, yuan(1, 89), yuan(2, 0)), ErrOutsideCage)
	// STAR: ±2% with no tick floor.
	star := Instrument{Board: BoardSTAR}
	require.NoError(t, r.CheckCage(star, Buy, yuan(2, 4), yuan(2, 0)))
	require.ErrorIs(t, r.CheckCage(star, Buy, yuan(2, 5), yuan(2, 0)), ErrOutsideCage)
	require.ErrorIs(t, r.CheckCage(star, Sell, yuan(1, 95), yuan(2, 0)), ErrOutsideCage)
	require.NoError(t, r.CheckCage(main, Buy, yuan(99, 0), 0), "no reference, no cage")

	require.ErrorIs(t, r.Check(Instrument{Board: BoardMain, PrevClose: yuan(10, 0), Halted: true}, Buy, Limit, yuan(10, 0), 100, 0, 20261123), ErrHalted)
	require.NoError(t, r.Check(main, Buy, MarketOrder, 0, 100, 0, 20261123), "market orders carry no price")
}
