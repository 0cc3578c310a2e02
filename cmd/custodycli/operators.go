package main

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/custody-ledger/custody/client"
)

// Institution keys and dual control: tx rotate-key, revoke-key,
// add-operator, approve, reject-approval; query keys, key-history,
// approvals.

func newOperatorTxCmds(e *env) []*cobra.Command {
	return []*cobra.Command{newRotateKeyCmd(e), newRevokeKeyCmd(e), newAddOperatorCmd(e), newApproveCmd(e), newRejectApprovalCmd(e)}
}

func newOperatorQueryCmds(e *env) []*cobra.Command {
	var pending bool
	approvals := newArgJSONQuery(e, "approvals PARTICIPANT_ID", "an institution's approvals (maker-checker), oldest first",
		func(arg string) string {
			return fmt.Sprintf("approvals/%s?pending=%t", url.PathEscape(arg), pending)
		})
	approvals.Flags().BoolVar(&pending, "pending", false, "only the approvals still waiting for a checker")
	return []*cobra.Command{
		newArgJSONQuery(e, "keys PARTICIPANT_ID", "every key registered for a participant, with its grant and state",
			func(arg string) string { return "keys/" + url.PathEscape(arg) }),
		newArgJSONQuery(e, "key-history PARTICIPANT_ID", "a participant's key rotations, revocations and operators added",
			func(arg string) string { return "key-history/" + url.PathEscape(arg) }),
		approvals,
	}
}

// pubKeyFlag is a public key given as --NAME-pubkey HEX or taken from the
// keyring entry --NAME-key.
func (e *env) pubKeyFlag(what, pubHex, keyName string) ([]byte, error) {
	switch {
	case pubHex != "" && keyName == "":
		return hexFlag(what+"-pubkey", pubHex, 32)
	case pubHex == "" && keyName != "":
		kr, err := e.openKeyring()
		if err != nil {
			return nil, err
		}
		info, err := kr.Show(keyName)
		if err != nil {
			return nil, err
		}
		return info.PubKey, nil
	default:
		return nil, usagef(fmt.Errorf("give exactly one of --%[1]s-pubkey and --%[1]s-key", what))
	}
}

func newRotateKeyCmd(e *env) *cobra.Command {
	var (
		f               txFlags
		pubHex, keyName string
		reason          string
	)
	cmd := &cobra.Command{
		Use:   "rotate-key",
		Short: "institution: replace the --from key by a new one (the rotation is the old key's last tx)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pub, err := e.pubKeyFlag("new", pubHex, keyName)
			if err != nil {
				return err
			}
			return e.submit(cmd.Context(), &f, client.RotateKey(pub, reason))
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&pubHex, "new-pubkey", "", "the new ed25519 public key, hex")
	cmd.Flags().StringVar(&keyName, "new-key", "", "take the new public key from this keyring entry")
	cmd.Flags().StringVar(&reason, "reason", "", "why (at most 256 bytes)")
	return cmd
}

func newRevokeKeyCmd(e *env) *cobra.Command {
	var (
		f               txFlags
		address, reason string
	)
	cmd := &cobra.Command{
		Use:   "revoke-key",
		Short: "regulator (any institution) or an institution's admin key (its own): disable a key at once",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if address == "" || reason == "" {
				return usagef(errors.New("--address and --reason are required"))
			}
			return e.submit(cmd.Context(), &f, client.RevokeKey(address, reason))
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&address, "address", "", "address of the key to revoke (40 hex digits)")
	cmd.Flags().StringVar(&reason, "reason", "", "why (required, at most 256 bytes)")
	return cmd
}

func newAddOperatorCmd(e *env) *cobra.Command {
	var (
		f               txFlags
		pubHex, keyName string
		grant           []string
		limit           int64
		limitFlag       *amountFlag
		label           string
	)
	cmd := &cobra.Command{
		Use:   "add-operator",
		Short: "bank or broker admin key: register an operator key limited to --grant messages and --amount-limit",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pub, err := e.pubKeyFlag("operator", pubHex, keyName)
			if err != nil {
				return err
			}
			if len(grant) == 0 {
				return usagef(errors.New("--grant is required (e.g. --grant bank_to_broker,approve_pending)"))
			}
			if err := limitFlag.require(); err != nil {
				return err
			}
			return e.submit(cmd.Context(), &f, client.AddOperator(pub, grant, limit, label))
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&pubHex, "operator-pubkey", "", "the operator's ed25519 public key, hex")
	fl.StringVar(&keyName, "operator-key", "", "take the operator's public key from this keyring entry")
	fl.StringSliceVar(&grant, "grant", nil, "message types the operator may send, as Msg field names (repeat or comma-separate)")
	limitFlag = amountVar(fl, &limit, "amount-limit", "largest money movement the operator executes alone; above it a second operator approves")
	fl.StringVar(&label, "label", "", "a name for people (at most 64 bytes)")
	return cmd
}

func newApproveCmd(e *env) *cobra.Command {
	var (
		f  txFlags
		id uint64
	)
	cmd := &cobra.Command{
		Use:   "approve",
		Short: "operator: approve (and so execute) a pending money movement of your institution",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.submit(cmd.Context(), &f, client.ApprovePending(id))
		},
	}
	f.register(cmd)
	cmd.Flags().Uint64Var(&id, "id", 0, "the approval id (query approvals PARTICIPANT_ID --pending)")
	return cmd
}

func newRejectApprovalCmd(e *env) *cobra.Command {
	var (
		f      txFlags
		id     uint64
		reason string
	)
	cmd := &cobra.Command{
		Use:   "reject-approval",
		Short: "operator (or the maker): close a pending money movement without effect",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.submit(cmd.Context(), &f, client.RejectPending(id, reason))
		},
	}
	f.register(cmd)
	cmd.Flags().Uint64Var(&id, "id", 0, "the approval id")
	cmd.Flags().StringVar(&reason, "reason", "", "why (at most 256 bytes)")
	return cmd
}

// newArgJSONQuery is newJSONQuery with one argument in the path.
func newArgJSONQuery(e *env, use, short string, path func(string) string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short + " (the node's answer; no proof)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := e.dial(cmd.Context())
			if err != nil {
				return err
			}
			raw, err := c.QueryJSON(cmd.Context(), path(args[0]))
			if err != nil {
				return err
			}
			return e.printRaw(raw)
		},
	}
}
