// Command custodyd runs a Custody Ledger node: CometBFT with the custody
// application in-process. It is the validator's binary and links nothing
// else; local networks, the demo, benchmarks and fault runs are
// cmd/custodynet.
//
//	custodyd start --home DIR
//	custodyd version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run builds the command tree, runs it and maps the error to an exit code:
// 0 success, 2 bad usage, 1 anything else.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "custodyd:", err)
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}
