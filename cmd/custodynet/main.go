// Command custodynet is Custody Ledger's developer tooling: local networks
// on loopback, the scripted demo day, the benchmark against CometBFT's
// kvstore and the fault scenarios. It runs every node as a `custodyd
// start` child process (custodyd next to this binary, or --custodyd), so
// the node binary stays the node alone.
//
//	custodynet testnet init --dir DIR [--banks N --brokers N --validators N --force]
//	custodynet testnet start --dir DIR
//	custodynet demo [--dir DIR]
//	custodynet bench --dir DIR
//	custodynet faults --dir DIR
//	custodynet version
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
	fmt.Fprintln(stderr, "custodynet:", err)
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}
