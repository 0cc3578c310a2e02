package main

import (
	"strings"
	"testing"

	"github.com/custody-ledger/custody/contracts/transfers"
)

func TestParseCNY(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64 // 0: refused
		why  string
	}{
		{"12.34", 1234, ""},
		{"1,000.00", 100000, ""},
		{"1,234,567.8", 123456780, ""},
		{"500", 50000, ""},
		{"0.01", 1, ""},
		{" 7.5 ", 750, ""},
		{"1234fen", 1234, ""},
		{"1234 fen", 1234, ""},
		{"", 0, "empty"},
		{"0", 0, "more than zero"},
		{"0.00", 0, "more than zero"},
		{"0fen", 0, "more than zero"},
		{"-5", 0, "positive"},
		{"-5fen", 0, "positive"},
		{"12.345", 0, "two decimals"},
		{"12.", 0, "two decimals"},
		{"1,00", 0, "every three digits"},
		{"1000,000", 0, "every three digits"},
		{",100", 0, "not a number"},
		{"12a", 0, "not a number"},
		{"1e5", 0, "not a number"},
		{"12.3x", 0, "not a number"},
		{"+5fen", 0, "whole number of fen"},
		{"1.5fen", 0, "whole number of fen"},
		{"99999999999999999999", 0, "too large"},
	} {
		got, err := parseCNY(c.in)
		if c.want != 0 {
			if err != nil || got != c.want {
				t.Errorf("parseCNY(%q) = %d, %v; want %d", c.in, got, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.why) {
			t.Errorf("parseCNY(%q) = %d, %v; want an error saying %q", c.in, got, err, c.why)
		}
	}
	if _, err := parseCNY(formatFenPlain(transfers.MaxAmount+1) + "fen"); err == nil {
		t.Error("an amount over transfers.MaxAmount was accepted")
	}
}

func formatFenPlain(v int64) string {
	return strings.TrimSuffix(strings.ReplaceAll(formatCNY(v), ",", ""), " CNY")
}

func TestFormatCNY(t *testing.T) {
	for in, want := range map[int64]string{
		0: "0.00 CNY", 1: "0.01 CNY", 1234: "12.34 CNY", 100000: "1,000.00 CNY",
		123456789: "1,234,567.89 CNY", -250: "-2.50 CNY",
	} {
		if got := formatCNY(in); got != want {
			t.Errorf("formatCNY(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestQuantityFlag(t *testing.T) {
	var q int64
	f := &quantityFlag{name: "quantity", dst: &q}
	if err := f.require(); err == nil {
		t.Error("an unset quantity passed require")
	}
	for _, bad := range []string{"0", "-100", "1.5", "x", "99999999999"} {
		if err := f.Set(bad); err == nil {
			t.Errorf("quantity %q accepted", bad)
		}
	}
	if err := f.Set("1,000"); err != nil || q != 1000 {
		t.Errorf("1,000: %d %v", q, err)
	}
}
