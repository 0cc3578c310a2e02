// Command riskd is the capture-and-risk daemon: it decodes the mirrored
// exchange links into normalized order-flow events (decode, capture), runs
// the risk core live (run) or over a capture (replay), and checks an
// alert against the root anchored on chain (verify-alert).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// subcommands builds every subcommand; add new ones here.
var subcommands = []func(io.Writer, io.Writer) *cobra.Command{
	newDecodeCmd,
	newCaptureCmd,
	newReplayCmd,
	newVerifyAlertCmd,
	newRunCmd,
	newVersionCmd,
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "riskd",
		Short:         "capture and risk core: mirrored exchange links to order-flow events and alerts",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	for _, mk := range subcommands {
		root.AddCommand(mk(stdout, stderr))
	}
	return root
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "riskd:", err)
		if errors.Is(err, context.Canceled) {
			os.Exit(130)
		}
		os.Exit(1)
	}
}
