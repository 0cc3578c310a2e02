package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/node"
	"github.com/custody-ledger/custody/testnet/load"
)

func newBenchCmd() *cobra.Command {
	cfg := load.BenchConfig{Load: load.DefaultConfig(), Tuning: load.DefaultTuning(), KeysPerParticipant: 8}
	var inProcess bool
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "measure the custody network against CometBFT's kvstore under the same load",
		Long: `Bench writes a four-validator network under --dir/custody, runs each node as
a child process, opens and funds --accounts client accounts, and sends the
custody mix (deposits, withdrawal requests and confirmations, account
openings, freezes) as fast as blocks take it, at most --in-flight txs at a
time, for --warmup and then the measured --duration. It then does the same
with CometBFT's example kvstore application in place of ours (--dir/kvstore),
with txs padded to the custody run's median size, and prints both, their
ratios, and last the line "vs kvstore: throughput X.XX, p99 latency Y.YY".
The tuning flags apply to both networks alike.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Dir == "" {
				return &usageError{errors.New("--dir is required")}
			}
			if err := cfg.Load.Validate(); err != nil {
				return &usageError{err}
			}
			if !inProcess {
				custodyd, err := custodydBinary()
				if err != nil {
					return err
				}
				self, err := os.Executable()
				if err != nil {
					return err
				}
				// Our nodes run the node binary; the kvstore baseline runs
				// through this one (custodynet bench node), with the same
				// node wiring.
				cfg.Binary, cfg.BaselineBinary = custodyd, self
			}
			cfg.Out = cmd.OutOrStdout()
			rep, err := load.RunBench(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			rep.Write(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Dir, "dir", "", "directory for the two networks (replaced)")
	f.DurationVar(&cfg.Load.Duration, "duration", cfg.Load.Duration, "measured window per network")
	f.DurationVar(&cfg.Load.Warmup, "warmup", cfg.Load.Warmup, "unmeasured load before the window")
	f.DurationVar(&cfg.Load.Drain, "drain", cfg.Load.Drain, "wait after the load for txs in flight before calling them lost")
	f.IntVar(&cfg.Load.InFlight, "in-flight", cfg.Load.InFlight, "most txs sent and not yet in a block, over all signers")
	f.IntVar(&cfg.Load.MaxTxs, "max-txs", cfg.Load.MaxTxs, "stop each run after this many txs (0: only the duration bounds it)")
	f.Int64Var(&cfg.Load.Seed, "seed", cfg.Load.Seed, "seed of the workload's random choices")
	f.IntVar(&cfg.Custody.Accounts, "accounts", 64, "client accounts, each signing its own withdrawals")
	f.IntVar(&cfg.KeysPerParticipant, "keys", cfg.KeysPerParticipant, "signing keys of the bank, the broker and the regulator each")
	f.StringVar(&cfg.Tuning.TxIndex, "tx-index", cfg.Tuning.TxIndex, `tx_index.indexer on both networks ("kv" or "null")`)
	f.IntVar(&cfg.Tuning.MempoolSize, "mempool-size", cfg.Tuning.MempoolSize, "mempool.size on both networks")
	f.DurationVar(&cfg.Tuning.TimeoutCommit, "timeout-commit", cfg.Tuning.TimeoutCommit, "consensus.timeout_commit on both networks")
	f.DurationVar(&cfg.Tuning.TimeoutPropose, "timeout-propose", cfg.Tuning.TimeoutPropose, "consensus.timeout_propose on both networks")
	f.DurationVar(&cfg.Tuning.FlushThrottle, "flush-throttle", cfg.Tuning.FlushThrottle, "p2p.flush_throttle_timeout on both networks")
	f.DurationVar(&cfg.Tuning.GossipSleep, "gossip-sleep", cfg.Tuning.GossipSleep, "consensus.peer_gossip_sleep_duration on both networks")
	f.StringVar(&cfg.ProfileDir, "profile-dir", "", "write CPU and allocation profiles of each network's first node here")
	f.BoolVar(&inProcess, "in-process", false, "run every node in this process (CPU and memory are then the process's totals)")
	cmd.AddCommand(newBenchNodeCmd())
	return cmd
}

// newBenchNodeCmd runs one node of the benchmark's baseline network:
// the node wiring of custodyd with CometBFT's kvstore as the application.
func newBenchNodeCmd() *cobra.Command {
	var home, app string
	cmd := &cobra.Command{
		Use:    "node",
		Short:  "run one baseline node (CometBFT's kvstore through the node's wiring) until interrupted",
		Hidden: true,
		Args:   exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if home == "" {
				return &usageError{errors.New("--home is required")}
			}
			if app != "kvstore" {
				return &usageError{fmt.Errorf(`--app %q: only "kvstore" is a baseline`, app)}
			}
			n, err := node.New(home, node.WithLogOutput(cmd.ErrOrStderr()), node.WithApplication(load.NewKVStoreApp))
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if err := n.Start(ctx); err != nil {
				return err
			}
			<-ctx.Done()
			return n.Stop()
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "the node's home directory")
	cmd.Flags().StringVar(&app, "app", "kvstore", `the baseline application ("kvstore")`)
	return cmd
}
