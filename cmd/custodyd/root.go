package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// usageError marks an error caused by bad flags or arguments (exit code 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// newRootCmd is the node's command tree. It holds the node alone: the
// developer tooling (local networks, the demo, benchmarks, fault runs) is
// cmd/custodynet, so a validator's binary links no simulator, capture or
// risk code.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "custodyd",
		Short:         "run a custody ledger node",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(newInitCmd(), newGenesisCmd(), newStartCmd(), newShowNodeIDCmd(), newShowValidatorCmd(),
		newExportCmd(), newRollbackCmd(), newVersionCmd())
	return root
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return &usageError{fmt.Errorf("%s takes %d arguments, got %d", cmd.CommandPath(), n, len(args))}
		}
		return nil
	}
}
