package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/node"
)

func newStartCmd() *cobra.Command {
	var home, api string
	cmd := &cobra.Command{
		Use:   "start",
		Short: "run one node from its home until interrupted",
		Long: `Start runs the node whose home is --home: CometBFT's config/config.toml,
genesis.json and keys, and the application's config/app.toml. SIGINT or
SIGTERM stops it cleanly.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if home == "" {
				return &usageError{errors.New("--home is required")}
			}
			var opts []node.Option
			opts = append(opts, node.WithLogOutput(cmd.ErrOrStderr()), node.WithMigrations(upgrades...))
			if api != "" {
				if _, err := node.ParseTCPAddress(api); err != nil {
					return &usageError{err}
				}
				opts = append(opts, node.WithAPIAddress(api))
			}
			n, err := node.New(home, opts...)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if err := n.Start(ctx); err != nil {
				return err
			}
			<-ctx.Done()
			return n.Stop()
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "the node's home directory (config/ and data/)")
	cmd.Flags().StringVar(&api, "api", "", `override [api] address of app.toml, e.g. "tcp://127.0.0.1:1317"`)
	return cmd
}
