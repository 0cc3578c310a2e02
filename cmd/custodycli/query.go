package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/client"
)

// proveFlags are the flags of a query that can be proven.
type proveFlags struct {
	prove       bool
	primary     string
	witnesses   []string
	trustHeight int64
	trustHash   string
}

func (f *proveFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.prove, "prove", false, "read the raw value with its proof and check it against a header verified by the light client")
	fl.StringVar(&f.primary, "light-primary", "", "RPC address the light client takes headers from (default --node)")
	fl.StringSliceVar(&f.witnesses, "witness", nil, "RPC address of another node that cross-checks the headers (repeat; at least one for --prove)")
	fl.Int64Var(&f.trustHeight, "trust-height", 0, "height of a header you trust (default: the one pinned with light pin)")
	fl.StringVar(&f.trustHash, "trust-hash", "", "hash (hex) of the header at --trust-height")
}

func newQueryCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "query",
		Aliases: []string{"q"},
		Short:   "read the ledger (with --prove: only what a proof shows)",
	}
	cmd.AddCommand(
		newProvableQuery(e, "account ACCOUNT_ID", "a client account", func(ctx context.Context, c *client.Client, v *client.Verifier, arg string) (proto.Message, *client.Proven, error) {
			return unpack(c.ProvenAccount(ctx, v, arg))
		}, func(arg string) string { return "account/" + arg }),
		newProvableQuery(e, "funds ACCOUNT_ID", "an account's funds: balance, available, frozen, withdrawable", func(ctx context.Context, c *client.Client, v *client.Verifier, arg string) (proto.Message, *client.Proven, error) {
			return unpack(c.ProvenFunds(ctx, v, arg))
		}, func(arg string) string { return "funds/" + arg }),
		newProvableQuery(e, "transfer BANK_ID/TRANSFER_ID", "a bank-securities transfer", func(ctx context.Context, c *client.Client, v *client.Verifier, arg string) (proto.Message, *client.Proven, error) {
			bank, id, ok := strings.Cut(arg, "/")
			if !ok || bank == "" || id == "" {
				return nil, nil, usagef(fmt.Errorf("transfer %q: want BANK_ID/TRANSFER_ID", arg))
			}
			return unpack(c.ProvenTransfer(ctx, v, bank, id))
		}, func(arg string) string { return "transfer/" + arg }),
		newProvableQuery(e, "signer ADDRESS", "a signing key: role, owner, next sequence", func(ctx context.Context, c *client.Client, v *client.Verifier, arg string) (proto.Message, *client.Proven, error) {
			return unpack(c.ProvenSigner(ctx, v, arg))
		}, func(arg string) string { return "signer/" + arg }),
		newLedgerQuery(e),
		newTransfersQuery(e),
		newJSONQuery(e, "participants", "the participants: banks, brokers, regulator, clearing house", "participants"),
		newJSONQuery(e, "invariants", "the ledger's invariants, checked by the node on its latest state", "invariants"),
	)
	cmd.AddCommand(newTradingQueryCmds(e)...)
	cmd.AddCommand(newCorrectionsQueryCmds(e)...)
	cmd.AddCommand(newOperatorQueryCmds(e)...)
	cmd.AddCommand(newMoneyQueryCmds(e)...)
	cmd.AddCommand(newGovernanceQueryCmds(e)...)
	return cmd
}

// unpack turns a typed (value, proof, error) into the generic form.
func unpack[M proto.Message](m M, p *client.Proven, err error) (proto.Message, *client.Proven, error) {
	return m, p, err
}

type provenRead func(ctx context.Context, c *client.Client, v *client.Verifier, arg string) (proto.Message, *client.Proven, error)

func newProvableQuery(e *env, use, short string, read provenRead, path func(string) string) *cobra.Command {
	var pf proveFlags
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := e.dial(ctx)
			if err != nil {
				return err
			}
			if !pf.prove {
				raw, err := c.QueryJSON(ctx, path(args[0]))
				if err != nil {
					return err
				}
				return e.printRaw(raw)
			}
			v, err := e.verifier(ctx, c.ChainID(), &pf)
			if err != nil {
				return err
			}
			defer v.Close()
			m, p, err := read(ctx, c, v, args[0])
			if err != nil {
				return err
			}
			return e.printProven(p, m)
		},
	}
	pf.register(cmd)
	return cmd
}

func newLedgerQuery(e *env) *cobra.Command {
	var (
		pf    proveFlags
		from  uint64
		limit int
	)
	cmd := &cobra.Command{
		Use:   "ledger ACCOUNT_ID",
		Short: "an account's fund ledger (资金流水); with --prove every entry is proven and the list proven complete",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := e.dial(ctx)
			if err != nil {
				return err
			}
			if !pf.prove {
				raw, err := c.QueryJSON(ctx, fmt.Sprintf("ledger/%s?from=%d&limit=%d", args[0], from, limit))
				if err != nil {
					return err
				}
				return e.printRaw(raw)
			}
			v, err := e.verifier(ctx, c.ChainID(), &pf)
			if err != nil {
				return err
			}
			defer v.Close()
			entries, f, height, err := c.ProvenLedger(ctx, v, args[0], from, limit)
			if err != nil {
				return err
			}
			list := make([]json.RawMessage, 0, len(entries))
			for _, en := range entries {
				list = append(list, protoJSON(en))
			}
			out := struct {
				Height  int64             `json:"height"`
				Proven  bool              `json:"proven"`
				NextSeq uint64            `json:"next_seq"`
				Entries []json.RawMessage `json:"entries"`
			}{height, true, f.NextSeq, list}
			if e.output == "json" {
				return e.printJSON(out)
			}
			fmt.Fprintf(e.stdout, "proven at height %d: %d of %d entries\n", height, len(entries), f.NextSeq)
			return e.printJSON(out.Entries)
		},
	}
	pf.register(cmd)
	cmd.Flags().Uint64Var(&from, "from", 0, "first entry sequence number")
	cmd.Flags().IntVar(&limit, "limit", 100, "most entries to return (0: all with --prove, the node's page size without)")
	return cmd
}

func newJSONQuery(e *env, use, short, path string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short + " (the node's answer; no proof)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.dial(cmd.Context())
			if err != nil {
				return err
			}
			raw, err := c.QueryJSON(cmd.Context(), path)
			if err != nil {
				return err
			}
			return e.printRaw(raw)
		},
	}
}

var protoJSONOpts = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

func protoJSON(m proto.Message) json.RawMessage {
	bz, err := protoJSONOpts.Marshal(m)
	if err != nil {
		// A proto message always marshals; this is a bug.
		panic(fmt.Sprintf("custodycli: protojson %T: %v", m, err))
	}
	return bz
}

// printProven prints a proven value: with its height and the header's app
// hash, so a reader can see what it was checked against.
func (e *env) printProven(p *client.Proven, m proto.Message) error {
	out := struct {
		Height  int64           `json:"height"`
		Proven  bool            `json:"proven"`
		AppHash string          `json:"app_hash"`
		Header  int64           `json:"verified_header"`
		Value   json.RawMessage `json:"value"`
	}{p.Height, true, p.Header.AppHash.String(), p.Header.Height, protoJSON(m)}
	if e.output == "json" {
		return e.printJSON(out)
	}
	fmt.Fprintf(e.stdout, "proven at height %d against app hash %s of header %d (verified by the light client)\n",
		p.Height, out.AppHash, p.Header.Height)
	return e.printJSON(out.Value)
}

// printRaw prints JSON from the node: compact for -o json, indented for text.
func (e *env) printRaw(raw json.RawMessage) error {
	if e.output == "json" {
		_, err := fmt.Fprintf(e.stdout, "%s\n", bytes.TrimSpace(raw))
		return err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return fmt.Errorf("the node's answer is not JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err := e.stdout.Write(buf.Bytes())
	return err
}

func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	if e.output != "json" {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}

func newTransfersQuery(e *env) *cobra.Command {
	var (
		from  uint64
		limit int
	)
	cmd := &cobra.Command{
		Use:   "transfers ACCOUNT_ID",
		Short: "an account's transfers, found through its fund ledger (the node's answer; no proof)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := e.dial(cmd.Context())
			if err != nil {
				return err
			}
			raw, err := c.QueryJSON(cmd.Context(), fmt.Sprintf("transfers/%s?from=%d&limit=%d", args[0], from, limit))
			if err != nil {
				return err
			}
			return e.printRaw(raw)
		},
	}
	cmd.Flags().Uint64Var(&from, "from", 0, "fund-ledger sequence number to start from")
	cmd.Flags().IntVar(&limit, "limit", 0, "most transfers to return (0: the node's page size)")
	return cmd
}
