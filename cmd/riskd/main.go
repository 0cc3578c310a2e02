// Command riskd is the capture-and-risk daemon: it decodes the mirrored
// exchange links into normalized order-flow events (decode, capture), runs
// the risk core live (run) or over a capture (replay), checks an alert
// against the root anchored on chain (verify-alert), and records a sample
// capture from the exchange simulators (sample).
//
// Exit codes: 0 success; 1 a failure while running; 2 a usage error (an
// unknown command or flag, a bad flag value or argument count, a missing
// required flag, a configuration file that does not load or validate);
// 130 interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/risk/config"
)

// subcommands builds every subcommand; add new ones here.
var subcommands = []func(io.Writer, io.Writer) *cobra.Command{
	newDecodeCmd,
	newCaptureCmd,
	newReplayCmd,
	newVerifyAlertCmd,
	newRunCmd,
	newVersionCmd,
	newSampleCmd,
}

// Exit codes.
const (
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// usageError marks an error as the caller's: the command line or the
// configuration it names is wrong (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef is a usage error with a message.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// args wraps a cobra argument check so that its error is a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return &usageError{err}
		}
		return nil
	}
}

// loadConfig loads the risk config; a file that is missing, does not
// parse or does not validate is a usage error.
func loadConfig(path string) (config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return cfg, &usageError{err}
	}
	return cfg, nil
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
		sub := mk(stdout, stderr)
		if sub.Args != nil {
			sub.Args = args(sub.Args)
		}
		root.AddCommand(sub)
	}
	// Flag parse errors, missing required flags: the caller's.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	return root
}

// exitCode classifies the error Execute returned.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ue):
		return exitUsage
	case strings.HasPrefix(err.Error(), "unknown command"), strings.HasPrefix(err.Error(), "unknown flag"),
		strings.HasPrefix(err.Error(), "unknown shorthand flag"), strings.HasPrefix(err.Error(), "required flag(s)"):
		// cobra's own, raised before any command's hooks run.
		return exitUsage
	}
	return exitFailure
}

// run executes riskd with args and returns its exit code, having printed
// the error (and, for a usage error, a pointer to --help).
func run(ctx context.Context, argv []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(argv)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil {
		fmt.Fprintln(stderr, "riskd:", err)
		if code == exitUsage {
			fmt.Fprintln(stderr, "run 'riskd --help' or 'riskd COMMAND --help' for usage")
		}
	}
	return code
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
