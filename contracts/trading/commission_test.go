package trading

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/contracts/fees"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// TestCommissionByClass: a broker's commission schedule is picked per
// product class, the broker's own class entry first, then its flat rate
// with the class's default minimum, then the class default.
func TestCommissionByClass(t *testing.T) {
	p := DefaultParams()
	p.BrokerCommissions = []*custodyv1.BrokerCommission{
		{BrokerId: "flat", Rate: 30_000},
		{BrokerId: "own", Rate: 20_000, Classes: []*custodyv1.ClassCommission{
			{Class: custodyv1.FeeClass_FEE_CLASS_FUND, Rate: 10_000, Minimum: 10}, // "免五": 0.10 minimum on ETFs
		}},
	}
	require.NoError(t, ValidateParams(p))
	cases := []struct {
		broker string
		class  fees.Class
		want   fees.Commission
	}{
		{"other", fees.ClassEquity, fees.Commission{Rate: 25_000, Minimum: 500}},
		{"other", fees.ClassFund, fees.Commission{Rate: 25_000, Minimum: 500}},
		{"other", fees.ClassBond, fees.Commission{Rate: 2_000, Minimum: 100}},
		{"flat", fees.ClassEquity, fees.Commission{Rate: 30_000, Minimum: 500}},
		{"flat", fees.ClassBond, fees.Commission{Rate: 30_000, Minimum: 100}},
		{"own", fees.ClassFund, fees.Commission{Rate: 10_000, Minimum: 10}},
		{"own", fees.ClassEquity, fees.Commission{Rate: 20_000, Minimum: 500}},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, Commission(p, tc.broker, tc.class), "%s %s", tc.broker, tc.class)
	}

	bad := DefaultParams()
	bad.ClassCommissions = append(bad.ClassCommissions, &custodyv1.ClassCommission{Class: custodyv1.FeeClass_FEE_CLASS_BOND})
	require.ErrorIs(t, ValidateParams(bad), ErrBadParams, "a class listed twice")
	bad = DefaultParams()
	bad.BrokerCommissions = []*custodyv1.BrokerCommission{{BrokerId: "b", Classes: []*custodyv1.ClassCommission{
		{Class: custodyv1.FeeClass_FEE_CLASS_BOND, Rate: 300_001}}}}
	require.ErrorIs(t, ValidateParams(bad), ErrBadParams, "a class rate above the cap")
}
