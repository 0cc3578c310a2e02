package contracts

import (
	"strconv"
	"strings"
)

// Error messages speak the units people use: money in CNY ("1,000.00
// CNY"), prices in CNY with as many decimals as they carry ("10.20 CNY",
// "0.105 CNY"), never fen or the price scale. Both are plain integer
// formatting, so a message is the same on every node.

// CNY formats fen as "1,234.56 CNY".
func CNY(fen int64) string {
	sign := ""
	u := uint64(fen)
	if fen < 0 {
		sign, u = "-", uint64(-fen)
	}
	return sign + group(u/100) + "." + pad(u%100, 2) + " CNY"
}

// Price formats a price in CNY × 10 000 (the chain's price scale) as
// "10.20 CNY": at least two decimals, more only when the price has them.
func Price(p int64) string {
	sign := ""
	u := uint64(p)
	if p < 0 {
		sign, u = "-", uint64(-p)
	}
	frac := strings.TrimRight(pad(u%10_000, 4), "0")
	for len(frac) < 2 {
		frac += "0"
	}
	return sign + group(u/10_000) + "." + frac + " CNY"
}

func group(u uint64) string {
	s := strconv.FormatUint(u, 10)
	var sb strings.Builder
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte(s[i])
	}
	return sb.String()
}

func pad(u uint64, width int) string {
	s := strconv.FormatUint(u, 10)
	return strings.Repeat("0", width-len(s)) + s
}
