package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/interest"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// newMoneyQueryCmds are the reads of interest and reconciliation: a
// client's statement (对账单), the six checks of a date, the interest
// postings of a settlement day.
func newMoneyQueryCmds(e *env) []*cobra.Command {
	return []*cobra.Command{
		newStatementQuery(e),
		newJSONArgQuery(e, "reconciliation-checks DATE", "the six reconciliation checks of a date, each with what broke", "reconciliation-checks/"),
		newJSONArgQuery(e, "interest-postings PERIOD_END", "the interest paid for the period ending on a settlement day (YYYYMMDD)", "interest-postings/"),
	}
}

func newJSONArgQuery(e *env, use, short, prefix string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short + " (the node's answer; no proof)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := e.dial(cmd.Context())
			if err != nil {
				return err
			}
			raw, err := c.QueryJSON(cmd.Context(), prefix+args[0])
			if err != nil {
				return err
			}
			return e.printRaw(raw)
		},
	}
}

// newStatementQuery: custodycli query statement ACCOUNT_ID --date YYYYMMDD
// | --month YYYYMM. With --prove every ledger entry of the statement is read
// again with its proof against a verified header and must be the same.
func newStatementQuery(e *env) *cobra.Command {
	var (
		pf          proveFlags
		date, month string
	)
	cmd := &cobra.Command{
		Use:   "statement ACCOUNT_ID",
		Short: "a client's statement (对账单) of a day or a month: balances, entries, fills with fees, holdings",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (date == "") == (month == "") {
				return usagef(fmt.Errorf("give one of --date YYYYMMDD or --month YYYYMM"))
			}
			period := date + month
			if _, _, err := interest.StatementPeriod(period); err != nil || len(date) != 0 && len(date) != 8 || len(month) != 0 && len(month) != 6 {
				return usagef(fmt.Errorf("period %q: want --date YYYYMMDD or --month YYYYMM", period))
			}
			ctx := cmd.Context()
			c, err := e.dial(ctx)
			if err != nil {
				return err
			}
			raw, err := c.QueryJSON(ctx, "statement/"+args[0]+"/"+period)
			if err != nil {
				return err
			}
			if !pf.prove {
				return e.printRaw(raw)
			}
			var st custodyv1.ClientStatement
			if err := protojson.Unmarshal(raw, &st); err != nil {
				return fmt.Errorf("statement: %w", err)
			}
			v, err := e.verifier(ctx, c.ChainID(), &pf)
			if err != nil {
				return err
			}
			defer v.Close()
			var height int64
			for _, en := range st.Entries {
				var got custodyv1.LedgerEntry
				p, err := c.ProvenMessage(ctx, v, funds.EntryKey(st.AccountId, en.Seq), height, &got)
				if err != nil {
					return fmt.Errorf("entry %d: %w", en.Seq, err)
				}
				height = p.Height
				if !proto.Equal(&got, en) {
					return fmt.Errorf("entry %d of the statement is not the proven one", en.Seq)
				}
			}
			out := struct {
				ProvenEntries int             `json:"proven_entries"`
				Height        int64           `json:"height"`
				Statement     json.RawMessage `json:"statement"`
			}{len(st.Entries), height, protoJSON(&st)}
			if e.output != "json" {
				fmt.Fprintf(e.stdout, "%d ledger entries proven at height %d\n", len(st.Entries), height)
			}
			return e.printJSON(out)
		},
	}
	pf.register(cmd)
	cmd.Flags().StringVar(&date, "date", "", "the day, YYYYMMDD")
	cmd.Flags().StringVar(&month, "month", "", "the month, YYYYMM")
	return cmd
}
