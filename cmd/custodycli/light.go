package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	dbm "github.com/cometbft/cometbft-db"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/client"
)

// errHeader marks a header that could not be verified or pinned.
var errHeader = errors.New("header not verified")

// trustPin is the root of trust the user pinned for one chain.
type trustPin struct {
	ChainID string `json:"chain_id"`
	Height  int64  `json:"height"`
	Hash    string `json:"hash"`
}

func (e *env) lightDir() string { return filepath.Join(e.home, "light") }

func (e *env) pinFile(chainID string) string {
	return filepath.Join(e.lightDir(), chainID+".trust.json")
}

// verifier builds the light client of a --prove query: headers from
// --light-primary (default --node), cross-checked with every --witness,
// trusting --trust-height/--trust-hash or the pinned header; verified headers
// are kept under <home>/light between runs.
func (e *env) verifier(ctx context.Context, chainID string, f *proveFlags) (*client.Verifier, error) {
	if len(f.witnesses) == 0 {
		return nil, usagef(errors.New("--prove needs at least one --witness: another node that cross-checks the headers"))
	}
	height, hash := f.trustHeight, []byte(nil)
	switch {
	case f.trustHeight > 0 && f.trustHash != "":
		var err error
		if hash, err = hex.DecodeString(f.trustHash); err != nil {
			return nil, usagef(fmt.Errorf("--trust-hash: %w", err))
		}
	case f.trustHeight > 0 || f.trustHash != "":
		return nil, usagef(errors.New("give --trust-height and --trust-hash together"))
	default:
		pin, err := e.readPin(chainID)
		if err != nil {
			return nil, err
		}
		height = pin.Height
		if hash, err = hex.DecodeString(pin.Hash); err != nil {
			return nil, fmt.Errorf("pinned hash in %s: %w", e.pinFile(chainID), err)
		}
	}
	if err := os.MkdirAll(e.lightDir(), 0o700); err != nil {
		return nil, err
	}
	db, err := dbm.NewGoLevelDB(chainID, e.lightDir())
	if err != nil {
		return nil, fmt.Errorf("light store: %w", err)
	}
	primary := f.primary
	if primary == "" {
		primary = e.node
	}
	v, err := client.NewVerifier(ctx, client.LightConfig{
		ChainID: chainID, Primary: primary, Witnesses: f.witnesses,
		TrustHeight: height, TrustHash: hash, DB: db,
	})
	if err != nil {
		db.Close()
		if errors.Is(err, client.ErrNoWitness) {
			return nil, usagef(err)
		}
		return nil, fmt.Errorf("%w: %w", errHeader, err)
	}
	return v, nil
}

func (e *env) readPin(chainID string) (*trustPin, error) {
	bz, err := os.ReadFile(e.pinFile(chainID))
	if errors.Is(err, os.ErrNotExist) {
		return nil, usagef(fmt.Errorf("no trusted header for chain %s: run `custodycli light pin` or give --trust-height and --trust-hash", chainID))
	}
	if err != nil {
		return nil, err
	}
	var pin trustPin
	if err := json.Unmarshal(bz, &pin); err != nil {
		return nil, fmt.Errorf("%s: %w", e.pinFile(chainID), err)
	}
	if pin.ChainID != chainID || pin.Height <= 0 {
		return nil, fmt.Errorf("%s: pin is for chain %q at height %d", e.pinFile(chainID), pin.ChainID, pin.Height)
	}
	return &pin, nil
}

func newLightCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "light",
		Short: "the light client's root of trust",
	}
	cmd.AddCommand(newLightPinCmd(e), newLightShowCmd(e))
	return cmd
}

func newLightPinCmd(e *env) *cobra.Command {
	var (
		height    int64
		witnesses []string
		force     bool
	)
	cmd := &cobra.Command{
		Use:   "pin",
		Short: "trust the header at --height (default 1) of --node, after every --witness agrees on its hash",
		Long: `pin records the root of trust of --prove: the hash of one header. It is
trust on first use: the header comes from --node, and every --witness must
report the same hash. On a real network take the height and hash from a
source you trust and give them to --prove as --trust-height/--trust-hash.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			c, err := e.dial(ctx)
			if err != nil {
				return err
			}
			chainID := c.ChainID()
			if _, err := os.Stat(e.pinFile(chainID)); err == nil && !force {
				return usagef(fmt.Errorf("chain %s already has a pinned header in %s (--force replaces it)", chainID, e.pinFile(chainID)))
			}
			if height <= 0 {
				return usagef(errors.New("--height must be positive"))
			}
			hash, err := headerHashAt(ctx, e.node, height)
			if err != nil {
				return err
			}
			for _, w := range witnesses {
				wh, err := headerHashAt(ctx, w, height)
				if err != nil {
					return err
				}
				if !strings.EqualFold(wh, hash) {
					return fmt.Errorf("%w: header %d is %s at %s but %s at %s", errHeader, height, hash, e.node, wh, w)
				}
			}
			pin := trustPin{ChainID: chainID, Height: height, Hash: hash}
			bz, err := json.MarshalIndent(pin, "", "  ")
			if err != nil {
				return err
			}
			if err := os.MkdirAll(e.lightDir(), 0o700); err != nil {
				return err
			}
			if err := os.WriteFile(e.pinFile(chainID), append(bz, '\n'), 0o600); err != nil {
				return err
			}
			if e.output == "json" {
				return e.printJSON(pin)
			}
			fmt.Fprintf(e.stdout, "pinned chain %s at height %d, header hash %s (%d witnesses agree)\n", chainID, height, hash, len(witnesses))
			return nil
		},
	}
	cmd.Flags().Int64Var(&height, "height", 1, "height of the header to trust")
	cmd.Flags().StringSliceVar(&witnesses, "witness", nil, "RPC address of another node that must report the same header hash (repeat)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing pin")
	return cmd
}

func newLightShowCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "print the pinned header of the node's chain",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			chainID := e.chainID
			if chainID == "" {
				c, err := e.dial(cmd.Context())
				if err != nil {
					return err
				}
				chainID = c.ChainID()
			}
			pin, err := e.readPin(chainID)
			if err != nil {
				return err
			}
			if e.output == "json" {
				return e.printJSON(pin)
			}
			fmt.Fprintf(e.stdout, "chain %s: trusted header %d, hash %s\n", pin.ChainID, pin.Height, pin.Hash)
			return nil
		},
	}
}

// headerHashAt asks node for the header at height and hashes it here.
func headerHashAt(ctx context.Context, node string, height int64) (string, error) {
	rpc, err := rpchttp.New(node, "/websocket")
	if err != nil {
		return "", fmt.Errorf("rpc %s: %w", node, err)
	}
	res, err := rpc.Header(ctx, &height)
	if err != nil {
		return "", fmt.Errorf("header %d from %s: %w", height, node, err)
	}
	if res.Header == nil || res.Header.Height != height {
		return "", fmt.Errorf("%w: %s answered no header for height %d", errHeader, node, height)
	}
	return res.Header.Hash().String(), nil
}
