package contracts

import (
	"math"
	"testing"
)

func TestCNYAndPrice(t *testing.T) {
	for in, want := range map[int64]string{0: "0.00 CNY", 5: "0.05 CNY", 123456: "1,234.56 CNY", -250: "-2.50 CNY", 100000000: "1,000,000.00 CNY"} {
		if got := CNY(in); got != want {
			t.Errorf("CNY(%d) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int64]string{102000: "10.20 CNY", 1050: "0.105 CNY", 1: "0.0001 CNY", 918000: "91.80 CNY", 0: "0.00 CNY", 12345678: "1,234.5678 CNY"} {
		if got := Price(in); got != want {
			t.Errorf("Price(%d) = %q, want %q", in, got, want)
		}
	}
	_ = CNY(math.MinInt64) // must not panic
}
