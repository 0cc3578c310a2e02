package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/client"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// txFlags are the flags every tx command has.
type txFlags struct {
	from string
	memo string
	sync bool
}

func (f *txFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.from, "from", "", "name of the signing key in the keyring (required)")
	cmd.Flags().StringVar(&f.memo, "memo", "", "free text for your own reference (at most 256 bytes)")
	cmd.Flags().BoolVar(&f.sync, "sync", false, "return once the node's CheckTx accepted the tx, without waiting for the block")
}

func newTxCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tx",
		Short: "sign and broadcast a transaction",
	}
	cmd.AddCommand(
		newOpenAccountCmd(e), newConfirmAccountCmd(e), newCloseAccountCmd(e),
		newProposeClientKeyCmd(e), newConfirmClientKeyCmd(e),
		newDepositCmd(e), newWithdrawCmd(e), newConfirmWithdrawalCmd(e),
		newFreezeCmd(e, true), newFreezeCmd(e, false),
	)
	cmd.AddCommand(newTradingTxCmds(e)...)
	cmd.AddCommand(newCorrectionsTxCmds(e)...)
	cmd.AddCommand(newOperatorTxCmds(e)...)
	cmd.AddCommand(newGovernanceTxCmds(e)...)
	return cmd
}

// dial connects the SDK client to --node. With --as, every query carries
// that key's credential: the node answers what it may read and, to
// anyone, answers a record it may not read as one that does not exist.
func (e *env) dial(ctx context.Context) (*client.Client, error) {
	var opts client.Options
	if e.as != "" {
		key, err := e.unlock(e.as)
		if err != nil {
			return nil, err
		}
		opts.ReadKey = key
	}
	return client.Dial(ctx, e.node, e.chainID, opts)
}

// submit unlocks --from, signs msg and broadcasts it, then prints the result.
func (e *env) submit(ctx context.Context, f *txFlags, msg proto.Message) error {
	if f.from == "" {
		return usagef(errors.New("--from is required"))
	}
	kr, err := e.openKeyring()
	if err != nil {
		return err
	}
	pass, err := e.passphrase("passphrase of "+f.from, false)
	if err != nil {
		return err
	}
	key, err := kr.Key(f.from, pass)
	if err != nil {
		return err
	}
	c, err := e.dial(ctx)
	if err != nil {
		return err
	}
	mode := client.ModeCommit
	if f.sync {
		mode = client.ModeSync
	}
	res, err := c.Submit(ctx, key, msg, client.SubmitOptions{Mode: mode, Memo: f.memo})
	if err != nil {
		return err
	}
	// A money movement above an operator's limit is held, not executed.
	approval, held := client.HeldForApproval(res)
	if e.output == "json" {
		return e.printJSON(struct {
			Hash     string `json:"hash"`
			Height   int64  `json:"height"`
			Code     uint32 `json:"code"`
			Data     string `json:"data,omitempty"`
			Approval uint64 `json:"pending_approval_id,omitempty"`
		}{res.HashString(), res.Height, 0, hex.EncodeToString(res.Data), approval})
	}
	if res.Height == 0 {
		fmt.Fprintf(e.stdout, "tx %s accepted into the mempool\n", res.HashString())
	} else {
		fmt.Fprintf(e.stdout, "tx %s committed at height %d\n", res.HashString(), res.Height)
	}
	if held {
		fmt.Fprintf(e.stdout, "held for approval %d: it executes when a second operator runs tx approve --id %d\n", approval, approval)
	}
	return nil
}

// hexFlag decodes a hex flag value of a fixed length (0: any).
func hexFlag(name, v string, n int) ([]byte, error) {
	b, err := hex.DecodeString(v)
	if err != nil {
		return nil, usagef(fmt.Errorf("--%s: %w", name, err))
	}
	if n > 0 && len(b) != n {
		return nil, usagef(fmt.Errorf("--%s: %d bytes, want %d", name, len(b), n))
	}
	return b, nil
}

func newCloseAccountCmd(e *env) *cobra.Command {
	var (
		f txFlags
		m custodyv1.MsgCloseAccount
	)
	cmd := &cobra.Command{
		Use:   "close-account",
		Short: "broker: close an empty account",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.submit(cmd.Context(), &f, &m)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&m.AccountId, "account-id", "", "the account to close")
	return cmd
}

func newDepositCmd(e *env) *cobra.Command {
	var (
		f      txFlags
		m      custodyv1.MsgBankToBroker
		amount *amountFlag
	)
	cmd := &cobra.Command{
		Use:   "deposit",
		Short: "bank: credit a client's custody fund account (bank-to-broker, 银转证)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := amount.require(); err != nil {
				return err
			}
			return e.submit(cmd.Context(), &f, &m)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&m.TransferId, "transfer-id", "", "the bank's transfer id (a second deposit with it is refused)")
	cmd.Flags().StringVar(&m.AccountId, "account-id", "", "the client account")
	amount = amountVar(cmd.Flags(), &m.Amount, "amount", "amount to credit")
	return cmd
}

func newWithdrawCmd(e *env) *cobra.Command {
	var (
		f      txFlags
		m      custodyv1.MsgRequestWithdrawal
		amount *amountFlag
	)
	cmd := &cobra.Command{
		Use:   "withdraw",
		Short: "client: request money back to the bank card (broker-to-bank, 证转银); the amount is frozen until the bank confirms",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := amount.require(); err != nil {
				return err
			}
			return e.submit(cmd.Context(), &f, &m)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&m.TransferId, "transfer-id", "", "a new transfer id")
	cmd.Flags().StringVar(&m.AccountId, "account-id", "", "the client's own account")
	amount = amountVar(cmd.Flags(), &m.Amount, "amount", "amount to send back to the bank card, at most the withdrawable funds")
	return cmd
}

func newConfirmWithdrawalCmd(e *env) *cobra.Command {
	var (
		f    txFlags
		m    custodyv1.MsgConfirmWithdrawal
		fail bool
	)
	cmd := &cobra.Command{
		Use:   "confirm-withdrawal",
		Short: "bank: execute a withdrawal request (or --fail it, which unfreezes the amount)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m.Success = !fail
			return e.submit(cmd.Context(), &f, &m)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&m.TransferId, "transfer-id", "", "the withdrawal request's transfer id")
	cmd.Flags().BoolVar(&fail, "fail", false, "the payment failed: unfreeze the amount instead of paying it out")
	cmd.Flags().StringVar(&m.Reason, "reason", "", "why the payment failed")
	return cmd
}

// newFreezeCmd builds freeze (freeze true) or unfreeze.
func newFreezeCmd(e *env, freeze bool) *cobra.Command {
	var (
		f               txFlags
		account, reason string
		use, short      string
	)
	if freeze {
		use, short = "freeze", "regulator: freeze an account (it can receive, not send)"
	} else {
		use, short = "unfreeze", "regulator: lift a freeze"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var msg proto.Message = &custodyv1.MsgUnfreezeAccount{AccountId: account, Reason: reason}
			if freeze {
				msg = &custodyv1.MsgFreezeAccount{AccountId: account, Reason: reason}
			}
			return e.submit(cmd.Context(), &f, msg)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&account, "account-id", "", "the account")
	cmd.Flags().StringVar(&reason, "reason", "", "the reason, recorded on chain")
	return cmd
}
