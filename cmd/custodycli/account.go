package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/client"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// The account opening and key replacement, party by party (docs/cli.md):
//
//	broker  account opening-request   identity and card numbers (stdin or a file, never flags)
//	                                   → keyed hashes → an unsigned OpeningRequest file
//	client  account sign-opening      reviews it, signs it with the client's own key → signed file
//	broker  tx open-account --request  submits the signed file unchanged
//	bank    tx confirm-account --client-pubkey  names the key the client gave at its counter
//
//	client  account sign-key-change   the NEW key signs a ClientKeyRequest → signed file
//	broker  tx propose-client-key --request
//	bank    tx confirm-client-key --client-pubkey
//
// Nothing here needs a node except the chain id, which offline signing
// takes from --chain-id.

func newAccountCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "account",
		Short: "prepare and sign account openings and client key replacements offline (nothing is sent)",
	}
	cmd.AddCommand(newOpeningRequestCmd(e), newSignOpeningCmd(e), newSignKeyChangeCmd(e))
	return cmd
}

var fileJSON = protojson.MarshalOptions{UseProtoNames: true, Multiline: true, Indent: "  "}

// writeMsg writes m as protojson to path, or stdout for "" or "-".
func (e *env) writeMsg(path string, m proto.Message) error {
	bz, err := fileJSON.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	bz = append(bz, '\n')
	if path == "" || path == "-" {
		_, err = e.stdout.Write(bz)
		return err
	}
	return os.WriteFile(path, bz, 0o600)
}

// readMsg reads protojson from path, or stdin for "-".
func (e *env) readMsg(flag, path string, m proto.Message) error {
	var (
		bz  []byte
		err error
	)
	switch path {
	case "":
		return usagef(fmt.Errorf("--%s is required (a file, or - for stdin)", flag))
	case "-":
		bz, err = io.ReadAll(e.lineReader())
	default:
		bz, err = os.ReadFile(path)
	}
	if err != nil {
		return fmt.Errorf("--%s: %w", flag, err)
	}
	if err := protojson.Unmarshal(bz, m); err != nil {
		return usagef(fmt.Errorf("--%s %s: %w", flag, path, err))
	}
	return nil
}

// chainIDFor is --chain-id, or the node's.
func (e *env) chainIDFor(cmd *cobra.Command) (string, error) {
	if e.chainID != "" {
		return e.chainID, nil
	}
	c, err := e.dial(cmd.Context())
	if err != nil {
		return "", fmt.Errorf("no --chain-id, and the node is unreachable: %w", err)
	}
	return c.ChainID(), nil
}

// readNumbers reads the identity number and the bank card number, one a
// line: from file, or else from stdin (prompted, echo off on a terminal).
// They are never flags: a command line is visible to every user of the
// machine and kept in shell histories.
func (e *env) readNumbers(file string) (identity, card string, err error) {
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", "", fmt.Errorf("--numbers-file: %w", err)
		}
		defer f.Close()
		r := bufio.NewReader(f)
		id, err1 := readLine(r)
		cd, err2 := readLine(r)
		if err := errors.Join(err1, err2); err != nil {
			return "", "", usagef(fmt.Errorf("--numbers-file %s: want the identity number and the card number on two lines: %w", file, err))
		}
		return string(id), string(cd), nil
	}
	id, err := e.prompt("identity number", false)
	if err != nil {
		return "", "", err
	}
	cd, err := e.prompt("bank card number", false)
	if err != nil {
		return "", "", err
	}
	return string(id), string(cd), nil
}

func newOpeningRequestCmd(e *env) *cobra.Command {
	var (
		r                      custodyv1.OpeningRequest
		secretFile, numbers    string
		idHashHex, cardHashHex string
		out                    string
	)
	cmd := &cobra.Command{
		Use:   "opening-request",
		Short: "broker: write an unsigned opening request for the client to sign (identity and card numbers from stdin or --numbers-file, hashed with the network's identity secret)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			switch {
			case idHashHex != "" && cardHashHex != "":
				if r.IdentityHash, err = hexFlag("identity-hash", idHashHex, 32); err != nil {
					return err
				}
				if r.BankCardHash, err = hexFlag("bank-card-hash", cardHashHex, 32); err != nil {
					return err
				}
			case idHashHex == "" && cardHashHex == "":
				if secretFile == "" {
					return usagef(errors.New("--identity-secret-file is required (or give both --identity-hash and --bank-card-hash)"))
				}
				secret, err := client.LoadIdentitySecret(secretFile)
				if err != nil {
					return usagef(err)
				}
				id, card, err := e.readNumbers(numbers)
				if err != nil {
					return err
				}
				if r.IdentityHash, err = client.IdentityHash(secret, id); err != nil {
					return usagef(err)
				}
				if r.BankCardHash, err = client.CardHash(secret, card); err != nil {
					return usagef(err)
				}
			default:
				return usagef(errors.New("give both --identity-hash and --bank-card-hash, or neither"))
			}
			if r.ChainId, err = e.chainIDFor(cmd); err != nil {
				return err
			}
			return e.writeMsg(out, &r)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&r.AccountId, "account-id", "", "the client's custody fund account number (1-32 of [0-9A-Za-z-])")
	fl.StringVar(&r.BrokerId, "broker-id", "", "your broker participant id (the one that will submit the request)")
	fl.StringVar(&r.BankId, "bank-id", "", "the custody bank participant id")
	fl.StringSliceVar(&r.ShareholderAccounts, "shareholder", nil, "exchange securities account (repeat or comma-separate)")
	fl.StringVar(&secretFile, "identity-secret-file", "", "the network's identity secret (hex, at least 32 bytes; never on chain)")
	fl.StringVar(&numbers, "numbers-file", "", "file with the identity number and the bank card number on two lines (default: prompt on stdin)")
	fl.StringVar(&idHashHex, "identity-hash", "", "identity hash computed elsewhere (client.IdentityHash), hex")
	fl.StringVar(&cardHashHex, "bank-card-hash", "", "bank card hash computed elsewhere (client.CardHash), hex")
	fl.StringVar(&out, "out", "", "write the request here (default stdout)")
	return cmd
}

func newSignOpeningCmd(e *env) *cobra.Command {
	var from, in, out string
	cmd := &cobra.Command{
		Use:   "sign-opening",
		Short: "client: review and sign an opening request with your own key; hand the output to the broker",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var r custodyv1.OpeningRequest
			if err := e.readMsg("request", in, &r); err != nil {
				return err
			}
			key, err := e.unlock(from)
			if err != nil {
				return err
			}
			m, err := client.OpenAccountMsg(key, &r)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "signed: account %s at broker %s, custody bank %s, chain %s, client key %x\n",
				r.AccountId, r.BrokerId, r.BankId, r.ChainId, r.ClientPubKey)
			fmt.Fprintf(e.stderr, "tell your bank this key when you sign the agreement there: %x\n", r.ClientPubKey)
			return e.writeMsg(out, m)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "your client key in the keyring (required; `custodycli keys add` makes one)")
	fl.StringVar(&in, "request", "", "the broker's unsigned request (a file, or - for stdin)")
	fl.StringVar(&out, "out", "", "write the signed request here (default stdout)")
	return cmd
}

func newSignKeyChangeCmd(e *env) *cobra.Command {
	var (
		from, out string
		r         custodyv1.ClientKeyRequest
	)
	cmd := &cobra.Command{
		Use:   "sign-key-change",
		Short: "client: sign a request to replace your lost key, with the NEW key; hand the output to the broker",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if r.ChainId, err = e.chainIDFor(cmd); err != nil {
				return err
			}
			key, err := e.unlock(from)
			if err != nil {
				return err
			}
			m, err := client.ProposeClientKeyMsg(key, &r, "")
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "tell your bank this new key: %x\n", r.NewClientPubKey)
			return e.writeMsg(out, m)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "the NEW client key in the keyring (required)")
	fl.StringVar(&r.AccountId, "account-id", "", "your custody fund account")
	fl.StringVar(&r.BrokerId, "broker-id", "", "your broker participant id")
	fl.StringVar(&r.BankId, "bank-id", "", "your custody bank participant id")
	fl.StringVar(&out, "out", "", "write the signed request here (default stdout)")
	return cmd
}

// Broker and bank txs of the opening and of a key replacement.

func newOpenAccountCmd(e *env) *cobra.Command {
	var (
		f  txFlags
		in string
	)
	cmd := &cobra.Command{
		Use:   "open-account",
		Short: "broker: submit a client's signed opening request (from `custodycli account sign-opening`); the bank confirms it",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var m custodyv1.MsgOpenAccount
			if err := e.readMsg("request", in, &m); err != nil {
				return err
			}
			return e.submit(cmd.Context(), &f, &m)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&in, "request", "", "the client's signed opening request (a file, or - for stdin)")
	return cmd
}

func newConfirmAccountCmd(e *env) *cobra.Command {
	var (
		f         txFlags
		m         custodyv1.MsgConfirmAccount
		reject    bool
		clientPub string
	)
	cmd := &cobra.Command{
		Use:   "confirm-account",
		Short: "bank: approve a pending opening, naming the client key the client gave you (or --reject)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m.Approve = !reject
			if m.Approve {
				var err error
				if m.ClientPubKey, err = hexFlag("client-pubkey", clientPub, 32); err != nil {
					return err
				}
			}
			return e.submit(cmd.Context(), &f, &m)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&m.AccountId, "account-id", "", "the pending account")
	cmd.Flags().StringVar(&clientPub, "client-pubkey", "", "the client's public key (hex) as the client gave it to you at your counter or in your app; required to approve")
	cmd.Flags().BoolVar(&reject, "reject", false, "reject the opening instead of approving it (needs --reason)")
	cmd.Flags().StringVar(&m.Reason, "reason", "", "why the opening is rejected")
	return cmd
}

func newProposeClientKeyCmd(e *env) *cobra.Command {
	var (
		f          txFlags
		in, reason string
	)
	cmd := &cobra.Command{
		Use:   "propose-client-key",
		Short: "broker: propose a client's new key (from `custodycli account sign-key-change`); the bank confirms it",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var m custodyv1.MsgProposeClientKey
			if err := e.readMsg("request", in, &m); err != nil {
				return err
			}
			m.Reason = reason
			return e.submit(cmd.Context(), &f, &m)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&in, "request", "", "the client's signed key request (a file, or - for stdin)")
	cmd.Flags().StringVar(&reason, "reason", "", `why the key is replaced, e.g. "lost phone"`)
	return cmd
}

func newConfirmClientKeyCmd(e *env) *cobra.Command {
	var (
		f         txFlags
		m         custodyv1.MsgConfirmClientKey
		reject    bool
		clientPub string
	)
	cmd := &cobra.Command{
		Use:   "confirm-client-key",
		Short: "bank: approve a proposed client key replacement, naming the new key the client gave you (or --reject)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m.Approve = !reject
			if m.Approve {
				var err error
				if m.NewClientPubKey, err = hexFlag("client-pubkey", strings.TrimSpace(clientPub), 32); err != nil {
					return err
				}
			}
			return e.submit(cmd.Context(), &f, &m)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&m.AccountId, "account-id", "", "the account")
	cmd.Flags().StringVar(&clientPub, "client-pubkey", "", "the client's NEW public key (hex) as the client gave it to you; required to approve")
	cmd.Flags().BoolVar(&reject, "reject", false, "reject the replacement (needs --reason)")
	cmd.Flags().StringVar(&m.Reason, "reason", "", "why the replacement is rejected")
	return cmd
}
