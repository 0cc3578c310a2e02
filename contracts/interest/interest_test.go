package interest

import (
	"testing"

	"github.com/stretchr/testify/require"

	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

func TestDates(t *testing.T) {
	require.EqualValues(t, 0, DayNumber(19700101))
	require.Equal(t, uint32(20240301), AddDays(20240228, 2), "2024 is a leap year")
	require.Equal(t, uint32(20250301), AddDays(20250228, 1))
	require.Equal(t, uint32(20260101), AddDays(20251231, 1))
	require.EqualValues(t, 78, DaysBetween(20250102, 20250321), "Jan 2..Mar 20 inclusive")
	for d := int64(-800); d < 80_000; d += 37 {
		require.Equal(t, d, DayNumber(DateOf(d)))
	}
}

// TestAmountRoundsHalfUp: interest = round_half_up(积数 × rate / 360).
func TestAmountRoundsHalfUp(t *testing.T) {
	seg := func(bd, rate int64) []*custodyv1.AccrualSegment {
		return []*custodyv1.AccrualSegment{{BalanceDays: bd, AnnualRate: rate}}
	}
	// 60 000 fen-days at 0.30%: 60 000 × 0.003 / 360 = 0.5 fen → 1.
	require.EqualValues(t, 1, Amount(seg(60_000, 300_000)))
	require.EqualValues(t, 0, Amount(seg(59_999, 300_000)), "0.49998 fen → 0")
	// 10 000.00 for 90 days at 0.35%: 1 000 000 × 90 × 0.0035 / 360 = 875.
	require.EqualValues(t, 875, Amount(seg(90_000_000, 350_000)))
	// Two rates round once: 0.4 + 0.4 fen = 0.8 → 1 (per segment: 0 + 0).
	two := append(seg(48_000, 300_000), seg(48_000, 300_000)[0])
	two[1].AnnualRate = 300_001
	require.EqualValues(t, 1, Amount(two))
	// A balance of 10^15 fen for 92 days at 10%: beyond int64 in the
	// product, exact in 128 bits.
	require.EqualValues(t, 25_555_555_555_556, Amount(seg(92_000_000_000_000_000, MaxRate)))
}

func TestSettlementIn(t *testing.T) {
	s, ok := SettlementIn(0, 20250319, 20250321)
	require.True(t, ok)
	require.Equal(t, uint32(20250320), s)
	s, ok = SettlementIn(20, 20250620, 20250623)
	require.True(t, ok, "the settlement day itself is a business day")
	require.Equal(t, uint32(20250620), s)
	_, ok = SettlementIn(20, 20250321, 20250324)
	require.False(t, ok)
	s, ok = SettlementIn(20, 20251219, 20260105)
	require.True(t, ok)
	require.Equal(t, uint32(20251220), s, "a Saturday settlement day is paid by the close before it")
}

func TestIntegrateSplitsAtRateChange(t *testing.T) {
	sched := &custodyv1.InterestSchedule{Rates: []*custodyv1.InterestRate{{Effective: 20250101, AnnualRate: 350_000}, {Effective: 20250210, AnnualRate: 200_000}}}
	a := &custodyv1.Accrual{LastBalance: 100, LastDate: 20250205}
	integrate(a, sched, 20250215)
	require.Equal(t, []*custodyv1.AccrualSegment{{AnnualRate: 350_000, BalanceDays: 500}, {AnnualRate: 200_000, BalanceDays: 500}}, a.Segments)
	require.Equal(t, uint32(20250215), a.LastDate)
}
