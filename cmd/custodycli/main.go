// Command custodycli is the command-line client of Custody Ledger: a
// keyring of signing keys, every transaction of the custody contracts, and
// queries of accounts, funds, the fund ledger, transfers, signers,
// participants and invariants, with --prove checking each value's proof
// against a header verified by CometBFT's light client.
//
// It is a thin layer over the Go SDK (package client): flag parsing, a call,
// printing. The command tree is built by newRootCmd, so tests run fresh
// trees with their own arguments and buffers.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd(newEnv(os.Stdin, os.Stdout, os.Stderr, os.Getenv)).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
	}
	os.Exit(exitCode(err))
}
