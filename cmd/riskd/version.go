package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/internal/version"
)

func newVersionCmd(stdout, _ io.Writer) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "print the version and commit of riskd, and of the cometbft and go it was built with",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if output != "text" && output != "json" {
				return usagef("--output must be text or json, got %q", output)
			}
			return version.Get("riskd").Write(stdout, output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}
