package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/adjustments"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Commands of the corrections (issue #18): reversal, adjustments, the
// clearing house's corrected trade file and trading calendar, and their
// reads.

func newCorrectionsTxCmds(e *env) []*cobra.Command {
	return []*cobra.Command{newReverseTransferCmd(e), newProposeAdjustmentCmd(e), newApproveAdjustmentCmd(e),
		newRejectAdjustmentCmd(e), newCorrectTradeTotalsCmd(e), newSetCalendarCmd(e)}
}

func newCorrectionsQueryCmds(e *env) []*cobra.Command {
	return []*cobra.Command{
		newProvableQuery(e, "adjustment ID", "an adjustment (调账): break, legs, status, approvals", func(ctx context.Context, c *client.Client, v *client.Verifier, arg string) (proto.Message, *client.Proven, error) {
			var a custodyv1.Adjustment
			p, err := c.ProvenMessage(ctx, v, adjustments.Key(arg), 0, &a)
			return &a, p, err
		}, func(arg string) string { return "adjustment/" + arg }),
		newJSONQuery(e, "adjustments", "every adjustment, by id", "adjustments"),
		newJSONQueryArg(e, "receivable ACCOUNT_ID", "what an account owes its bank after a deposit reversal", func(a string) string { return "receivable/" + a }, 1),
		newJSONQuery(e, "held-settlements", "the broker days a settlement break holds unsettled", "held-settlements"),
		newJSONQueryArg(e, "held-settlement DATE/BROKER_ID", "what a settlement break holds of one broker's day", func(a string) string { return "held-settlement/" + a }, 1),
		newJSONQuery(e, "calendar", "the calendar parameters (transfer hours, always_open) and the dates it covers", "calendar"),
		newJSONQueryArg(e, "trading-day DATE", "whether a date is a trading day", func(a string) string { return "calendar/" + a }, 1),
	}
}

func newReverseTransferCmd(e *env) *cobra.Command {
	var (
		f txFlags
		m custodyv1.MsgReverseTransfer
	)
	cmd := &cobra.Command{
		Use:   "reverse-transfer",
		Short: "bank: reverse (冲正) a completed deposit or withdrawal of today; sent again, it returns the first reversal",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.submit(cmd.Context(), &f, &m)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&m.TransferId, "transfer-id", "", "the original transfer's id at your bank")
	cmd.Flags().StringVar(&m.Reason, "reason", "", "why it is void (required)")
	return cmd
}

// parseSignedCNY reads a CNY amount as fen (parseCNY), with a leading "-"
// for a debit.
func parseSignedCNY(v string) (int64, error) {
	neg := strings.HasPrefix(strings.TrimSpace(v), "-")
	n, err := parseCNY(strings.TrimPrefix(strings.TrimSpace(v), "-"))
	if neg {
		n = -n
	}
	return n, err
}

// parseLegs reads "ACCOUNT:AMOUNT" pairs (amount in CNY, a leading "-"
// debits).
func parseLegs(in []string) ([]*custodyv1.AdjustmentLeg, int64, error) {
	var legs []*custodyv1.AdjustmentLeg
	var net int64
	for _, s := range in {
		acct, amt, ok := strings.Cut(s, ":")
		n, err := parseSignedCNY(amt)
		if !ok || acct == "" || err != nil {
			return nil, 0, usagef(fmt.Errorf("--leg %q: want ACCOUNT_ID:AMOUNT in CNY, negative debits (%v)", s, err))
		}
		legs = append(legs, &custodyv1.AdjustmentLeg{AccountId: acct, Amount: n})
		net += n
	}
	return legs, net, nil
}

func newProposeAdjustmentCmd(e *env) *cobra.Command {
	var (
		f    txFlags
		m    custodyv1.MsgProposeAdjustment
		b    custodyv1.BreakRef
		kind string
		legs []string
		net  string
	)
	cmd := &cobra.Command{
		Use:   "propose-adjustment",
		Short: "bank, broker or clearing house: propose an adjustment (调账) that resolves a break; the other party approves",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch kind {
			case "reconciliation":
				b.Kind = custodyv1.BreakKind_BREAK_KIND_RECONCILIATION
			case "settlement":
				b.Kind = custodyv1.BreakKind_BREAK_KIND_SETTLEMENT
			default:
				return usagef(fmt.Errorf("--kind %q: reconciliation or settlement", kind))
			}
			var sum int64
			var err error
			m.Legs, sum, err = parseLegs(legs)
			if err != nil {
				return err
			}
			// The net crossing the boundary is stated explicitly; by default
			// it is the legs' sum, which the chain checks either way.
			m.NetBoundary = sum
			if cmd.Flags().Changed("net-boundary") {
				if m.NetBoundary, err = parseSignedCNY(net); err != nil {
					return usagef(fmt.Errorf("--net-boundary %q: %w", net, err))
				}
			}
			m.Break = &b
			return e.submit(cmd.Context(), &f, &m)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&m.AdjustmentId, "adjustment-id", "", "a new adjustment id")
	cmd.Flags().StringVar(&kind, "kind", "reconciliation", "the break's kind: reconciliation or settlement")
	cmd.Flags().Uint32Var(&b.Date, "date", 0, "the break's business date, YYYYMMDD")
	cmd.Flags().StringVar(&b.BankId, "bank-id", "", "the break's bank (reconciliation breaks)")
	cmd.Flags().StringVar(&b.BrokerId, "broker-id", "", "the break's broker")
	cmd.Flags().StringArrayVar(&legs, "leg", nil, "ACCOUNT_ID:AMOUNT in CNY, repeatable (-AMOUNT debits)")
	cmd.Flags().StringVar(&net, "net-boundary", "", "what crosses the boundary, CNY (default: the legs' sum)")
	cmd.Flags().StringVar(&m.Reason, "reason", "", "why (required)")
	return cmd
}

func newApproveAdjustmentCmd(e *env) *cobra.Command {
	var (
		f txFlags
		m custodyv1.MsgApproveAdjustment
	)
	cmd := &cobra.Command{
		Use:   "approve-adjustment",
		Short: "the other party (or the regulator, above the threshold): approve an adjustment; the last approval applies it",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.submit(cmd.Context(), &f, &m)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&m.AdjustmentId, "adjustment-id", "", "the pending adjustment")
	return cmd
}

func newRejectAdjustmentCmd(e *env) *cobra.Command {
	var (
		f txFlags
		m custodyv1.MsgRejectAdjustment
	)
	cmd := &cobra.Command{
		Use:   "reject-adjustment",
		Short: "a party: reject (or withdraw) a pending adjustment; the regulator: veto it",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.submit(cmd.Context(), &f, &m)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&m.AdjustmentId, "adjustment-id", "", "the pending adjustment")
	cmd.Flags().StringVar(&m.Reason, "reason", "", "why (required)")
	return cmd
}

func newCorrectTradeTotalsCmd(e *env) *cobra.Command {
	var (
		f      txFlags
		m      custodyv1.MsgCorrectTradeTotals
		totals []string
	)
	cmd := &cobra.Command{
		Use:   "correct-trade-totals",
		Short: "clearing house: send a cleared date's trade file again; matching totals release the held settlement",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, s := range totals {
				broker, figures, _ := strings.Cut(s, "=")
				p := strings.Split(figures, ":")
				var n [3]int64
				var err error
				for i := 0; i < 3 && err == nil && len(p) == 3; i++ {
					n[i], err = strconv.ParseInt(p[i], 10, 64)
				}
				if broker == "" || len(p) != 3 || err != nil || n[0] < 0 || n[0] > 1<<32-1 {
					return usagef(fmt.Errorf("--totals %q: want BROKER_ID=FILLS:BUY_FEN:SELL_FEN", s))
				}
				m.TradeTotals = append(m.TradeTotals, &custodyv1.TradeTotals{BrokerId: broker, FillCount: uint32(n[0]), BuyValue: n[1], SellValue: n[2]})
			}
			return e.submit(cmd.Context(), &f, &m)
		},
	}
	f.register(cmd)
	cmd.Flags().Uint32Var(&m.Date, "date", 0, "the cleared business date, YYYYMMDD")
	cmd.Flags().StringArrayVar(&totals, "totals", nil, "BROKER_ID=FILLS:BUY_FEN:SELL_FEN, repeatable")
	return cmd
}

func newSetCalendarCmd(e *env) *cobra.Command {
	var (
		f    txFlags
		m    custodyv1.MsgSetTradingCalendar
		days []string
	)
	cmd := &cobra.Command{
		Use:   "set-calendar",
		Short: "clearing house: define the trading days of a date range (the others are closed)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, d := range days {
				for _, one := range strings.Split(d, ",") {
					n, err := strconv.ParseUint(strings.TrimSpace(one), 10, 32)
					if err != nil {
						return usagef(fmt.Errorf("--trading-days %q: want YYYYMMDD,YYYYMMDD,...", d))
					}
					m.TradingDays = append(m.TradingDays, uint32(n))
				}
			}
			return e.submit(cmd.Context(), &f, &m)
		},
	}
	f.register(cmd)
	cmd.Flags().Uint32Var(&m.FirstDate, "first-date", 0, "first date of the range, YYYYMMDD")
	cmd.Flags().Uint32Var(&m.LastDate, "last-date", 0, "last date of the range, YYYYMMDD")
	cmd.Flags().StringArrayVar(&days, "trading-days", nil, "the trading days in the range, YYYYMMDD, comma-separated or repeated")
	return cmd
}
