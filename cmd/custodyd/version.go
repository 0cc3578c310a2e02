package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/internal/version"
)

func newVersionCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "print the version and commit of custodyd, and of the cometbft and go it was built with",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "text" && output != "json" {
				return &usageError{fmt.Errorf("--output must be text or json, got %q", output)}
			}
			return version.Get("custodyd").Write(cmd.OutOrStdout(), output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}
