package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/node"
	"github.com/custody-ledger/custody/node/genesis"
)

func newExportCmd() *cobra.Command {
	var (
		home, out, chainID, at string
		height                 int64
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "write the state at a height as a genesis.json a new chain can start from (node stopped)",
		Long: `Export reads the stopped node's application state at --height (default: the
latest) and writes a genesis for the chain --chain-id whose app_state holds
every key of it; InitChain writes them verbatim and refuses the file unless
every invariant holds. The validators are those of the home's genesis.
Every institution exports at the agreed height and compares the printed
hash before the new chain starts.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if home == "" || out == "" || chainID == "" {
				return &usageError{errors.New("--home, --out and --chain-id are required")}
			}
			t := time.Now().UTC().Truncate(time.Second)
			if at != "" {
				var err error
				if t, err = time.Parse(time.RFC3339, at); err != nil {
					return &usageError{fmt.Errorf("--genesis-time: %w", err)}
				}
			}
			gen, version, err := node.Export(home, height, chainID, t)
			if err != nil {
				return err
			}
			if err := genesis.Validate(gen); err != nil {
				return err
			}
			if err := gen.SaveAs(out); err != nil {
				return err
			}
			hash, err := genesis.Hash(out)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "exported the state at height %d to %s for chain %s\ngenesis hash: %s\n", version, out, chainID, hash)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&home, "home", "", "the stopped node's home")
	f.Int64Var(&height, "height", 0, "the height whose state to export (default: the latest)")
	f.StringVar(&out, "out", "", "where to write the new genesis.json")
	f.StringVar(&chainID, "chain-id", "", "the new chain's id")
	f.StringVar(&at, "genesis-time", "", "the new chain's start, RFC 3339 (default: now)")
	return cmd
}

func newRollbackCmd() *cobra.Command {
	var (
		home        string
		removeBlock bool
	)
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "move a stopped node's CometBFT and application state back one height",
		Long: `Rollback moves CometBFT's state and the application state of a stopped node
back one height together and checks they agree; on restart the node applies
that block again. Use it after a block was applied by a faulty binary.
--hard also removes the block, which the node then fetches from its peers.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if home == "" {
				return &usageError{errors.New("--home is required")}
			}
			h, appHash, err := node.Rollback(home, removeBlock)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "rolled back to height %d, app hash %X\n", h, appHash)
			return err
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "the stopped node's home")
	cmd.Flags().BoolVar(&removeBlock, "hard", false, "also remove the last block from the block store")
	return cmd
}
