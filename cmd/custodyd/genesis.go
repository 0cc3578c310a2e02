package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/custody-ledger/custody/client/keys"
	"github.com/custody-ledger/custody/node/genesis"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// The genesis ceremony (docs/operations.md, "A network of institutions"):
// each institution runs add-participant on its own machine, one collects,
// everyone validates and installs the same file.
func newGenesisCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "genesis",
		Short: "the genesis ceremony: add-participant, collect, validate, install",
	}
	cmd.AddCommand(newAddParticipantCmd(), newCollectCmd(), newValidateCmd(), newInstallCmd())
	return cmd
}

var roleNames = map[string]custodyv1.Role{
	"bank": custodyv1.Role_ROLE_BANK, "broker": custodyv1.Role_ROLE_BROKER,
	"regulator": custodyv1.Role_ROLE_REGULATOR, "clearing-house": custodyv1.Role_ROLE_CLEARING_HOUSE,
	"risk-operator": custodyv1.Role_ROLE_RISK_OPERATOR,
}

func newAddParticipantCmd() *cobra.Command {
	var (
		home, id, role, name, keyringDir, backend, passFile, p2p string
		from                                                     []string
		power                                                    int64
	)
	cmd := &cobra.Command{
		Use:   "add-participant",
		Short: "write this institution's signed genesis entry (config/gentx/ID.json)",
		Long: `Add-participant writes this institution's genesis entry: its id, role and
name, the public halves of its signing keys (--from, from its own keyring),
and, with --power, its node's validator key and power. Every listed key and
the validator key sign the entry, so no one can list a key it does not hold
or claim another's validator. Send the file to whoever collects; it holds no
secret. The keyring passphrase comes from --passphrase-file or
$CUSTODY_PASSPHRASE (the test backend needs none).`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, ok := roleNames[role]
			switch {
			case home == "" || id == "" || name == "":
				return &usageError{errors.New("--home, --id and --name are required")}
			case !ok:
				return &usageError{fmt.Errorf("--role %q: one of bank, broker, regulator, clearing-house, risk-operator", role)}
			case len(from) == 0:
				return &usageError{errors.New("--from names at least one signing key of the keyring")}
			case power < 0:
				return &usageError{errors.New("--power must not be negative")}
			}
			chainID, err := genesis.ChainID(home)
			if err != nil {
				return err
			}
			info, err := genesis.ReadNodeInfo(home)
			if err != nil {
				return err
			}
			kr, err := keys.Open(keyringDir, keys.Backend(backend))
			if err != nil {
				return err
			}
			pass, err := passphrase(keys.Backend(backend), passFile)
			if err != nil {
				return err
			}
			p := &custodyv1.Participant{Id: id, Role: r, Name: name, ValidatorPower: power}
			var signers []genesis.Signer
			for _, k := range from {
				priv, err := kr.Key(k, pass)
				if err != nil {
					return err
				}
				s := genesis.Ed25519Signer(priv)
				p.PubKeys = append(p.PubKeys, s.Public())
				signers = append(signers, s)
			}
			var val genesis.Signer
			if power > 0 {
				p.ValidatorPubKey = info.ValidatorKey.Bytes()
				if val, err = genesis.ValidatorSigner(home); err != nil {
					return err
				}
			}
			e := &genesis.Entry{ChainID: chainID, Participant: p, NodeID: string(info.NodeID), P2PAddress: p2p}
			if err := e.Sign(signers, val); err != nil {
				return err
			}
			path, err := genesis.WriteEntry(filepath.Join(home, genesis.EntryDir), e)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %s's entry for chain %s: %s\n", id, chainID, path)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&home, "home", "", "this institution's node home (made by custodyd init)")
	f.StringVar(&id, "id", "", "the participant id, e.g. bank-icbc (lower case, digits, -)")
	f.StringVar(&role, "role", "", "bank, broker, regulator, clearing-house or risk-operator")
	f.StringVar(&name, "name", "", "the institution's name")
	f.StringSliceVar(&from, "from", nil, "signing key names in the keyring (repeat or comma-separate)")
	f.Int64Var(&power, "power", 0, "validator power of this institution's node (0: not a validator)")
	f.StringVar(&p2p, "p2p-address", "", "host:port where the other nodes reach this one")
	f.StringVar(&keyringDir, "keyring-dir", "", "the institution's keyring directory (custodycli keys add)")
	f.StringVar(&backend, "keyring-backend", string(keys.BackendFile), `"file" (encrypted) or "test" (local rehearsals only)`)
	f.StringVar(&passFile, "passphrase-file", "", "file holding the keyring passphrase (else $CUSTODY_PASSPHRASE)")
	return cmd
}

// passphrase reads the keyring passphrase for the file backend: custodyd
// runs the ceremony from scripts, so it never prompts.
func passphrase(b keys.Backend, file string) ([]byte, error) {
	if b == keys.BackendTest {
		return nil, nil
	}
	if file != "" {
		bz, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		return bytes.TrimRight(bz, "\r\n"), nil
	}
	if p := os.Getenv("CUSTODY_PASSPHRASE"); p != "" {
		return []byte(p), nil
	}
	return nil, &usageError{errors.New("the file keyring needs --passphrase-file or $CUSTODY_PASSPHRASE")}
}

func newCollectCmd() *cobra.Command {
	var (
		home, dir, out, at, trading string
	)
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "assemble genesis.json from every institution's entry",
		Long: `Collect verifies every entry of --gentx-dir (each key and validator signed
its own entry, for this chain; no id, key or validator twice), assembles
genesis.json with the participants in id order and each participant with
power as a validator, checks that the chain would accept it, writes it
(default: the home's config/genesis.json, with persistent peers set), and
prints its SHA-256 and the persistent peers for the others.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if home == "" || dir == "" {
				return &usageError{errors.New("--home and --gentx-dir are required")}
			}
			chainID, err := genesis.ChainID(home)
			if err != nil {
				return err
			}
			opt := genesis.Options{GenesisTime: time.Now().UTC().Truncate(time.Second)}
			if at != "" {
				if opt.GenesisTime, err = time.Parse(time.RFC3339, at); err != nil {
					return &usageError{fmt.Errorf("--genesis-time: %w", err)}
				}
			}
			if trading != "" {
				bz, err := os.ReadFile(trading)
				if err != nil {
					return err
				}
				opt.Trading = &custodyv1.TradingGenesis{}
				if err := protojson.Unmarshal(bz, opt.Trading); err != nil {
					return &usageError{fmt.Errorf("--trading %s: %w", trading, err)}
				}
			}
			entries, err := genesis.ReadEntries(dir)
			if err != nil {
				return err
			}
			gen, err := genesis.Collect(chainID, entries, opt)
			if err != nil {
				return err
			}
			peers := genesis.PersistentPeers(entries, "")
			if out == "" {
				if err := genesis.Install(home, gen, peers); err != nil {
					return err
				}
				out = filepath.Join(home, "config", "genesis.json")
			} else if err := gen.SaveAs(out); err != nil {
				return err
			}
			hash, err := genesis.Hash(out)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "wrote %s: %d participants, %d validators\n", out, len(entries), len(gen.Validators))
			fmt.Fprintf(w, "genesis hash: %s\n", hash)
			fmt.Fprintf(w, "persistent peers: %s\n", strings.Join(peers, ","))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&home, "home", "", "the collector's node home")
	f.StringVar(&dir, "gentx-dir", "", "directory holding every institution's entry file")
	f.StringVar(&out, "out", "", "write genesis here instead of the home's config/genesis.json")
	f.StringVar(&at, "genesis-time", "", "the chain's start, RFC 3339 (default: now)")
	f.StringVar(&trading, "trading", "", "a custody.v1.TradingGenesis in protojson (parameters, calendar, instruments)")
	return cmd
}

func newValidateCmd() *cobra.Command {
	var home string
	cmd := &cobra.Command{
		Use:   "validate [FILE]",
		Short: "check a genesis.json as the chain would, and print its hash",
		Long: `Validate checks a genesis file (default: the home's config/genesis.json):
CometBFT's checks, the app state as InitChain would take it (the same code,
over an in-memory store), and the validators exactly the participants with
power. It prints the file's SHA-256: compare it with every other
institution's before starting.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := filepath.Join(home, "config", "genesis.json")
			if len(args) == 1 {
				path = args[0]
			} else if home == "" {
				return &usageError{errors.New("give FILE or --home")}
			}
			gen, err := genesis.Load(path)
			if err != nil {
				return err
			}
			hash, err := genesis.Hash(path)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s is valid: chain %s, %d validators\ngenesis hash: %s\n", path, gen.ChainID, len(gen.Validators), hash)
			return err
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "the node's home directory")
	return cmd
}

func newInstallCmd() *cobra.Command {
	var home, peers string
	cmd := &cobra.Command{
		Use:   "install FILE",
		Short: "validate a received genesis.json and install it in the home, with the persistent peers",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if home == "" {
				return &usageError{errors.New("--home is required")}
			}
			chainID, err := genesis.ChainID(home)
			if err != nil {
				return err
			}
			gen, err := genesis.Load(args[0])
			if err != nil {
				return err
			}
			if gen.ChainID != chainID {
				return fmt.Errorf("genesis is for chain %q, this home for %q", gen.ChainID, chainID)
			}
			hash, err := genesis.Hash(args[0])
			if err != nil {
				return err
			}
			var list []string
			if peers != "" {
				list = strings.Split(peers, ",")
			}
			if err := genesis.Install(home, gen, list); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "installed genesis %s in %s\n", hash, home)
			return err
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "the node's home directory")
	cmd.Flags().StringVar(&peers, "persistent-peers", "", "id@host:port,... as collect printed them")
	return cmd
}
