package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/testnet"
	"github.com/custody-ledger/custody/testnet/demo"
)

func newDemoCmd() *cobra.Command {
	var (
		dir, riskd string
		exit       bool
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "play a scripted business day on a local four-node network, then keep it running",
		Long: `Demo writes the default four-node network (bank, broker, regulator, clearing
house) under --dir, replacing any network there, runs each node as a child
process with its REST API, starts the SZSE and SSE exchange simulators and
the risk core (riskd run, capturing the simulators' traffic live on lo), and
plays one business day: accounts opened and funded, orders, fills and cancels
on both markets, a same-day round trip whose proceeds cannot be withdrawn
before clearing, a spoofing pattern, a wash trade, a burst of 400 orders,
end-of-day clearing, the bank's reconciliation with a deliberate break, and
the risk core's alerts anchored on chain and verified (docs/demo.md).

It then prints the day's summary, read back from the chain with proofs, the
addresses of every node and of the risk core, and commands to explore them,
and keeps everything running until Ctrl-C, when it stops every process it
started. Those processes die with the demo however it ends (on Linux: the
parent-death signal), and --dir is locked while it runs: a second demo there
names the running one and its processes' pids. Logs go to files under --dir, never to the terminal. Live capture
needs root or CAP_NET_RAW.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			custodyd, err := custodydBinary()
			if err != nil {
				return err
			}
			bin := filepath.Dir(custodyd)
			if riskd == "" {
				if p := filepath.Join(bin, "riskd"); isFile(p) {
					riskd = p
				}
			}
			out := cmd.OutOrStdout()
			width := 0
			if f, ok := out.(*os.File); ok {
				if w, tty := demo.Terminal(f); tty {
					width = w
				}
			}
			// The directory is ours while the demo runs: a second demo (or a
			// testnet start) there says what is running instead of replacing
			// files under running nodes.
			lock, err := testnet.LockDir(dir, "custodynet demo")
			if err != nil {
				return err
			}
			defer lock.Release()
			disp := demo.NewDisplay(out, width)
			d, err := demo.New(demo.Config{Dir: dir, Nodes: &testnet.Processes{Binary: custodyd, Lock: lock}, Riskd: riskd,
				Progress: disp.Update, Lock: lock})
			if err != nil {
				return &usageError{err}
			}
			defer d.Stop()
			fmt.Fprintf(out, "Custody Ledger: one business day on a local four-node network (files under %s)\n", dir)
			if riskd == "" {
				fmt.Fprintf(out, "(no riskd next to %s: the risk core runs inside this process)\n", custodyd)
			}
			ctx := cmd.Context()
			sum, err := d.Play(ctx)
			disp.Finish()
			if err != nil {
				fmt.Fprintln(out, "stopping every process the demo started ...")
				return errors.Join(err, d.Stop())
			}
			if _, err := sum.WriteTo(out); err != nil {
				return err
			}
			if _, err := d.Explore(bin).WriteTo(out); err != nil {
				return err
			}
			if exit {
				fmt.Fprintln(out, "\nstopping (--exit) ...")
				return d.Stop()
			}
			fmt.Fprintln(out, "\nRunning. Ctrl-C stops every process the demo started.")
			var died error
			select {
			case <-ctx.Done():
			case what := <-d.Done():
				died = fmt.Errorf("%s exited by itself", what)
			}
			fmt.Fprintln(out, "stopping ...")
			err = errors.Join(died, d.Stop())
			if err == nil {
				fmt.Fprintln(out, "stopped.")
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", filepath.Join("build", "demo"), "directory for the network, the risk core and the logs (replaced)")
	f.StringVar(&riskd, "riskd", "", "riskd executable for the risk core (default: riskd next to custodyd, else in this process)")
	f.BoolVar(&exit, "exit", false, "stop everything after the summary instead of running until Ctrl-C")
	return cmd
}
