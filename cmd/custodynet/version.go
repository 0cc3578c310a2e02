package main

import (
	"fmt"
	"runtime"

	cmtversion "github.com/cometbft/cometbft/version"
	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/node"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version of custodynet and of the cometbft it embeds",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "custodynet %s\ncometbft %s\ngo %s\n", node.Version, cmtversion.TMCoreSemVer, runtime.Version())
			return err
		},
	}
}
