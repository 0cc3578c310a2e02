package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/custody-ledger/custody/contracts/trading"
	"github.com/custody-ledger/custody/contracts/transfers"
)

// Money on the command line is written as people write it: CNY with at
// most two decimals and optional thousands separators ("12.34",
// "1,000.00", "500"). The chain keeps integer fen; a fen amount may still
// be given explicitly with the suffix "fen" ("1234fen"). Everything is
// checked before anything is signed, so a typo never becomes a refused tx.

// parseCNY reads an amount as fen. Its errors say what is wrong and how
// to write it; cobra prefixes the flag and the value.
func parseCNY(s string) (int64, error) {
	bad := func(why string) error {
		return fmt.Errorf("%s (write CNY as 12.34 or 1,000.00, or fen as 1234fen)", why)
	}
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, bad("empty")
	}
	if strings.HasPrefix(in, "-") {
		return 0, bad("must be positive")
	}
	var fen int64
	if digits, ok := strings.CutSuffix(in, "fen"); ok {
		digits = strings.TrimSpace(digits)
		v, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || digits == "" || strings.HasPrefix(digits, "+") {
			return 0, bad("not a whole number of fen")
		}
		fen = v
	} else {
		whole, frac, hasDot := strings.Cut(in, ".")
		if hasDot && (len(frac) == 0 || len(frac) > 2) {
			return 0, bad("at most two decimals: the smallest unit is one fen (0.01)")
		}
		whole, err := ungroup(whole)
		if err != nil {
			return 0, bad(err.Error())
		}
		w, err := strconv.ParseInt(whole, 10, 64)
		if err != nil || w > transfers.MaxAmount/100 {
			return 0, bad("too large")
		}
		f := int64(0)
		if frac != "" {
			if strings.Trim(frac, "0123456789") != "" {
				return 0, bad("not a number")
			}
			f, _ = strconv.ParseInt(frac+strings.Repeat("0", 2-len(frac)), 10, 64)
		}
		fen = w*100 + f
	}
	switch {
	case fen <= 0:
		return 0, bad("must be more than zero")
	case fen > transfers.MaxAmount:
		return 0, bad("more than the largest amount the chain takes, " + formatCNY(transfers.MaxAmount))
	}
	return fen, nil
}

// ungroup removes thousands separators, refusing misplaced ones
// ("1,00" is a typo, not 100).
func ungroup(s string) (string, error) {
	if s == "" || strings.Trim(s, "0123456789,") != "" || strings.HasPrefix(s, ",") {
		return "", errors.New("not a number")
	}
	if !strings.Contains(s, ",") {
		return s, nil
	}
	groups := strings.Split(s, ",")
	if len(groups[0]) > 3 {
		return "", errors.New("thousands separators every three digits")
	}
	for _, g := range groups[1:] {
		if len(g) != 3 {
			return "", errors.New("thousands separators every three digits")
		}
	}
	return strings.Join(groups, ""), nil
}

// formatCNY writes fen as people read money: "1,000.00 CNY".
func formatCNY(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	whole := strconv.FormatInt(fen/100, 10)
	var sb strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(r)
	}
	return fmt.Sprintf("%s%s.%02d CNY", sign, sb.String(), fen%100)
}

// amountFlag is a --amount style flag holding fen, parsed with parseCNY.
type amountFlag struct {
	name string
	dst  *int64
	set  bool
}

func (f *amountFlag) String() string {
	if f.dst == nil || !f.set {
		return ""
	}
	return formatCNY(*f.dst)
}

func (f *amountFlag) Set(s string) error {
	v, err := parseCNY(s)
	if err != nil {
		return err
	}
	*f.dst, f.set = v, true
	return nil
}

func (f *amountFlag) Type() string { return "CNY" }

// amountVar defines a required money flag on fs writing fen to dst; the
// command checks it with requireAmount before signing.
func amountVar(fs *pflag.FlagSet, dst *int64, name, usage string) *amountFlag {
	f := &amountFlag{name: name, dst: dst}
	fs.Var(f, name, usage+` (CNY: "12.34", "1,000.00"; or fen: "1234fen")`)
	return f
}

// require reports a usage error when the flag was not given.
func (f *amountFlag) require() error {
	if !f.set {
		return usagef(fmt.Errorf("--%s is required (CNY, e.g. --%s 100.00)", f.name, f.name))
	}
	return nil
}

// quantityFlag is a share count: a whole number above zero and at most
// trading.MaxQuantity.
type quantityFlag struct {
	name string
	dst  *int64
	set  bool
}

func (f *quantityFlag) String() string {
	if f.dst == nil || !f.set {
		return ""
	}
	return strconv.FormatInt(*f.dst, 10)
}

func (f *quantityFlag) Set(s string) error {
	v, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(s), ",", ""), 10, 64)
	switch {
	case err != nil:
		return errors.New("want a whole number of shares")
	case v <= 0:
		return errors.New("must be more than zero shares")
	case v > trading.MaxQuantity:
		return fmt.Errorf("more than %d shares", trading.MaxQuantity)
	}
	*f.dst, f.set = v, true
	return nil
}

func (f *quantityFlag) Type() string { return "shares" }

func quantityVar(fs *pflag.FlagSet, dst *int64, name, usage string) *quantityFlag {
	f := &quantityFlag{name: name, dst: dst}
	fs.Var(f, name, usage)
	return f
}

func (f *quantityFlag) require() error {
	if !f.set {
		return usagef(fmt.Errorf("--%s is required (shares, e.g. --%s 100)", f.name, f.name))
	}
	return nil
}
