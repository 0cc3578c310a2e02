package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/testnet/fault"
	"github.com/custody-ledger/custody/testnet/load"
)

func newFaultsCmd() *cobra.Command {
	cfg := fault.Config{Load: load.DefaultConfig()}
	cfg.Load.InFlight = 1000
	var only string
	cmd := &cobra.Command{
		Use:   "faults",
		Short: "kill, restart, corrupt and fill the disks of a network under load, and check nothing is lost",
		Long: `Faults writes a four-validator network under --dir, runs each node as a
child process, puts it under the custody load, and runs the fault scenarios
one after the other (` + strings.Join(fault.Names(), ", ") + `).
After each it checks that every node has the same block and app hash at
every height the load saw, that every account's funds on every node equal
what the committed txs make them, and that the invariants hold. It prints a
PASS, FAIL or SKIP line per scenario with the evidence, and fails if any
scenario failed.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Dir == "" {
				return &usageError{errors.New("--dir is required")}
			}
			if only != "" {
				cfg.Scenarios = strings.Split(only, ",")
			}
			custodyd, err := custodydBinary()
			if err != nil {
				return err
			}
			cfg.Binary = custodyd
			cfg.Out = cmd.OutOrStdout()
			t0 := time.Now()
			results, err := fault.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			failed := 0
			for _, r := range results {
				if !r.Pass && !r.Skipped {
					failed++
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d scenarios, %d failed, in %s\n", len(results), failed, time.Since(t0).Round(time.Second))
			if failed > 0 {
				return fmt.Errorf("%d fault scenarios failed", failed)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Dir, "dir", "", "directory for the network and the scenarios' files (replaced)")
	f.StringVar(&only, "scenarios", "", "comma-separated scenarios to run, in order (default: all)")
	f.IntVar(&cfg.Load.InFlight, "in-flight", cfg.Load.InFlight, "most txs of the background load sent and not yet in a block")
	f.Int64Var(&cfg.Load.Seed, "seed", cfg.Load.Seed, "seed of the load's random choices")
	f.IntVar(&cfg.Custody.Accounts, "accounts", 32, "client accounts of the load")
	return cmd
}
