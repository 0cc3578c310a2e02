package main

import (
	"encoding/json"
	"errors"
	"fmt"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/node/genesis"
)

// newInitCmd writes a new home for one institution's node. It makes the
// node's own keys only; the institution's signing keys are made with
// custodycli keys add, and genesis.json comes from the ceremony.
func newInitCmd() *cobra.Command {
	var (
		home string
		o    genesis.InitOptions
	)
	cmd := &cobra.Command{
		Use:   "init MONIKER",
		Short: "write a new node home: config.toml, app.toml, the node key and the validator key",
		Long: `Init writes a node home for the chain --chain-id: CometBFT's config/config.toml
(its defaults, with MONIKER and the addresses given), the application's
config/app.toml (every field at its default, with a comment), the node's p2p
key and its validator (consensus) key. It writes no institution signing key
and no genesis.json: those come from "custodycli keys add" and the genesis
ceremony (custodyd genesis ...; docs/operations.md). It refuses a home that
already holds a validator key.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if home == "" {
				return &usageError{errors.New("--home is required")}
			}
			if o.ChainID == "" {
				return &usageError{errors.New("--chain-id is required")}
			}
			o.Moniker = args[0]
			info, err := genesis.InitHome(home, o)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "wrote the home of %s for chain %s in %s\n", info.Moniker, o.ChainID, home)
			fmt.Fprintf(out, "node id        %s\n", info.NodeID)
			fmt.Fprintf(out, "validator key  %X\n", info.ValidatorKey.Bytes())
			fmt.Fprintln(out, "next: custodycli keys add (the institution's signing key), then custodyd genesis add-participant")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&home, "home", "", "the node's home directory (created)")
	f.StringVar(&o.ChainID, "chain-id", "", "the chain this node will join")
	f.StringVar(&o.P2PListen, "p2p-laddr", "", `p2p listen address (default "tcp://0.0.0.0:26656")`)
	f.StringVar(&o.RPCListen, "rpc-laddr", "", `CometBFT RPC listen address (default "tcp://127.0.0.1:26657")`)
	f.StringVar(&o.APIListen, "api-laddr", "", `REST API listen address (default "tcp://127.0.0.1:1317")`)
	f.StringVar(&o.ExternalAddress, "external-address", "", "host:port other nodes dial to reach this one")
	f.BoolVar(&o.Loopback, "loopback", false, "rehearse a network on one machine (allow several peers on 127.0.0.1); never on a real network")
	return cmd
}

func newShowNodeIDCmd() *cobra.Command {
	var home string
	cmd := &cobra.Command{
		Use:   "show-node-id",
		Short: "print the node's p2p id (for other institutions' persistent_peers)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			info, err := genesis.ReadNodeInfo(home)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), info.NodeID)
			return err
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "the node's home directory")
	return cmd
}

func newShowValidatorCmd() *cobra.Command {
	var home string
	cmd := &cobra.Command{
		Use:   "show-validator",
		Short: "print the node's consensus public key, as CometBFT's JSON",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			info, err := genesis.ReadNodeInfo(home)
			if err != nil {
				return err
			}
			bz, err := cmtjson.Marshal(info.ValidatorKey)
			if err != nil {
				return err
			}
			var v any
			_ = json.Unmarshal(bz, &v)
			pretty, _ := json.Marshal(v)
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(pretty))
			return err
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "the node's home directory")
	return cmd
}
