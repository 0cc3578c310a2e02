package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/testnet"
)

func newTestnetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "write and run a local network on loopback",
	}
	cmd.AddCommand(newTestnetInitCmd(), newTestnetStartCmd())
	return cmd
}

func newTestnetInitCmd() *cobra.Command {
	var (
		dir, manifest string
		force         bool
	)
	m := testnet.DefaultManifest()
	cmd := &cobra.Command{
		Use:   "init",
		Short: "write one home per node under --dir",
		Long: `Init writes a network for loopback: one home per node under --dir, with
CometBFT's config/ and data/ layout, a shared genesis.json whose app_state
lists the institutions, free ports, and each institution's unencrypted
test keyring. Flags overlay the manifest (--manifest, default: four nodes).

--hosts h1,h2,... (or the manifest's hosts) writes a network across machines
instead: node i runs on host i mod N, listens on every interface, advertises
host:port to its peers, and uses the standard ports (26656 P2P, 26657 RPC,
26660 metrics, 1317 REST; +10 per extra node on one host). Copy each home to
its host and run "custodyd start --home HOME" there.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return &usageError{errors.New("--dir is required")}
			}
			base := testnet.DefaultManifest()
			if manifest != "" {
				var err error
				if base, err = testnet.LoadManifest(manifest); err != nil {
					return err
				}
			}
			// Flags given on the command line overlay the manifest.
			fl := cmd.Flags()
			for _, f := range []struct {
				name string
				dst  *int
				val  int
			}{
				{"banks", &base.Banks, m.Banks}, {"brokers", &base.Brokers, m.Brokers},
				{"validators", &base.Validators, m.Validators}, {"risk-operators", &base.RiskOperators, m.RiskOperators},
			} {
				if fl.Changed(f.name) {
					*f.dst = f.val
				}
			}
			if fl.Changed("chain-id") {
				base.ChainID = m.ChainID
			}
			if force {
				// Replacing the homes under running nodes would wreck them.
				if _, err := os.Stat(filepath.Join(dir, testnet.StateFile)); err == nil {
					l, err := testnet.LockDir(dir, "custodynet testnet init")
					if err != nil {
						return err
					}
					if err := l.Release(); err != nil {
						return err
					}
				}
			}
			if fl.Changed("hosts") {
				base.Hosts = m.Hosts
			}
			t, err := testnet.Generate(dir, base, testnet.GenerateOptions{Force: force})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "wrote %d nodes of chain %s under %s\n", len(t.Nodes), t.ChainID, dir)
			for _, n := range t.Nodes {
				fmt.Fprintf(out, "  %-18s power %-3d rpc %s  rest %s  p2p %d  metrics %d  home %s\n",
					n.Name, n.Power, n.RPCURL(), n.APIURL(), n.P2PPort, n.PrometheusPort, filepath.Join(dir, n.Name))
			}
			for i := 1; i <= base.RiskOperators; i++ {
				id := fmt.Sprintf("risk-%d", i)
				fmt.Fprintf(out, "  %-18s risk operator (no node)  keyring %s  key %s\n", id, t.RiskOperatorKeyring(id), id)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "", "directory to write the homes into")
	f.StringVar(&manifest, "manifest", "", "manifest file (default: the four-node network of testnet/networks/simple.toml)")
	f.BoolVar(&force, "force", false, "replace a testnet already in --dir")
	f.IntVar(&m.Banks, "banks", m.Banks, "number of custody banks")
	f.IntVar(&m.Brokers, "brokers", m.Brokers, "number of brokers")
	f.IntVar(&m.Validators, "validators", m.Validators, "number of validators (0: one per institution; more adds validator-only nodes)")
	f.IntVar(&m.RiskOperators, "risk-operators", m.RiskOperators, "number of risk operators risk-1, ... (keys in DIR/risk-N/keyring-test, for riskd's [chain] key)")
	f.StringVar(&m.ChainID, "chain-id", m.ChainID, "chain id")
	f.StringSliceVar(&m.Hosts, "hosts", nil, "hosts the nodes run on, comma-separated (default: all on 127.0.0.1 with free ports)")
	return cmd
}

func newTestnetStartCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "start",
		Short: "run every node of --dir as a child process until interrupted",
		Long: `Start runs each node of the testnet in --dir as a "custodyd start" child
process (logs in HOME/node.log) and waits. Ctrl-C stops them all cleanly, in
reverse order. The nodes die with this process however it ends (on Linux:
the parent-death signal), and --dir is locked while it runs: a second start
there names the running launcher and its nodes' pids (--dir/launcher.pids.json).`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return &usageError{errors.New("--dir is required")}
			}
			t, err := testnet.Load(dir)
			if err != nil {
				return err
			}
			custodyd, err := custodydBinary()
			if err != nil {
				return err
			}
			lock, err := testnet.LockDir(dir, "custodynet testnet start")
			if err != nil {
				return err
			}
			defer lock.Release()
			l := testnet.NewLauncher(t, &testnet.Processes{Binary: custodyd, Lock: lock})
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "starting %d nodes of %s\n", len(t.Nodes), t.ChainID)
			startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			err = l.StartAll(startCtx)
			cancel()
			if err != nil {
				return err
			}
			for _, n := range t.Nodes {
				fmt.Fprintf(out, "  %-18s rpc %s  rest %s/v1/status  metrics http://%s:%d/metrics  log %s\n",
					n.Name, n.RPCURL(), n.APIURL(), n.HostOrLoopback(), n.PrometheusPort, filepath.Join(t.Home(n), "node.log"))
			}
			fmt.Fprintln(out, "running; Ctrl-C stops every node")
			exited := make(chan string, len(t.Nodes))
			for _, n := range t.Nodes {
				go func(name string, done <-chan struct{}) {
					if done != nil {
						<-done
						exited <- name
					}
				}(n.Name, l.Done(n.Name))
			}
			select {
			case <-ctx.Done():
				fmt.Fprintln(out, "stopping")
				return l.StopAll()
			case name := <-exited:
				return errors.Join(fmt.Errorf("node %s exited; see its node.log", name), l.StopAll())
			}
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "the testnet directory written by testnet init")
	return cmd
}
