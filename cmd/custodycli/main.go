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
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/custody-ledger/custody/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := newEnv(os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	err := newRootCmd(e).ExecuteContext(ctx)
	stop()
	code := exitCode(err)
	if err != nil {
		reportError(e, err, code)
	}
	os.Exit(code)
}

// cliError is an error as `-o json` prints it (to stderr, like the text
// form): the exit status, the registered code when the chain or node
// answered with one, and the message.
type cliError struct {
	Error struct {
		Exit      int    `json:"exit"`
		Codespace string `json:"codespace,omitempty"`
		Code      uint32 `json:"code,omitempty"`
		Message   string `json:"message"`
	} `json:"error"`
}

// reportError writes err to stderr: "error: ..." or, with -o json, one
// JSON object scripts can read.
func reportError(e *env, err error, exit int) {
	if e.output != "json" {
		fmt.Fprintln(e.stderr, "error:", err)
		return
	}
	var out cliError
	out.Error.Exit, out.Error.Message = exit, err.Error()
	var (
		tx *client.TxError
		q  *client.QueryError
	)
	switch {
	case errors.As(err, &tx):
		out.Error.Codespace, out.Error.Code = tx.Codespace, tx.Code
	case errors.As(err, &q):
		out.Error.Codespace, out.Error.Code = q.Codespace, q.Code
	}
	bz, _ := json.Marshal(out)
	fmt.Fprintln(e.stderr, string(bz))
}
