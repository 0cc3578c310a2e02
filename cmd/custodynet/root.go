package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"
)

// usageError marks an error caused by bad flags or arguments (exit code 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// custodydFlag is --custodyd, shared by every command that starts nodes.
var custodydFlag string

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "custodynet",
		Short:         "local Custody Ledger networks, the demo day, benchmarks and fault runs (developer tooling)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.PersistentFlags().StringVar(&custodydFlag, "custodyd", "", "the custodyd that runs each node (default: custodyd next to custodynet, else on PATH)")
	root.AddCommand(newTestnetCmd(), newDemoCmd(), newBenchCmd(), newFaultsCmd(), newVersionCmd())
	return root
}

// custodydBinary finds the node binary the child processes run: --custodyd,
// else custodyd beside this executable (make build puts both in build/),
// else custodyd on PATH.
func custodydBinary() (string, error) {
	if custodydFlag != "" {
		if !isFile(custodydFlag) {
			return "", &usageError{fmt.Errorf("--custodyd %s: no such file", custodydFlag)}
		}
		return custodydFlag, nil
	}
	if self, err := os.Executable(); err == nil {
		if p := filepath.Join(filepath.Dir(self), "custodyd"); isFile(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath("custodyd"); err == nil {
		return p, nil
	}
	return "", errors.New("custodyd not found next to custodynet or on PATH: run make build, or pass --custodyd PATH")
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return &usageError{fmt.Errorf("%s takes %d arguments, got %d", cmd.CommandPath(), n, len(args))}
		}
		return nil
	}
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
