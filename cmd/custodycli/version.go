package main

import (
	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/internal/version"
)

// newVersionCmd prints the build; --output json (the root's flag) gives
// one JSON object.
func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version and commit of custodycli, and of the cometbft and go it was built with",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			return version.Get("custodycli").Write(e.stdout, e.output)
		},
	}
}
