package transfers

import (
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Each amount function also refuses, with the same code, what the message's
// Execute would refuse on the current state, so that only a message that
// would execute now is ever held for approval (it is executed again, in
// full, when approved).

// MoneyMovements are the transfer messages that move money across the bank
// boundary, with the amount each moves. contracts/approvals holds one sent by
// an operator key above its amount limit until a second operator of the same
// institution approves it (maker-checker). A new money-moving message (a
// correction, a reversal) joins the dual control by having an entry here.
func MoneyMovements() map[string]contracts.AmountFunc {
	return map[string]contracts.AmountFunc{
		"bank_to_broker":     contracts.Amount(bankToBrokerAmount),
		"confirm_withdrawal": contracts.Amount(confirmWithdrawalAmount),
		"reverse_transfer":   contracts.Amount(reverseTransferAmount),
	}
}

// bankToBrokerAmount is the deposit's amount; an account that is not
// active or not held at the signing bank is refused. A used transfer id
// moves nothing: the handler answers a resend with the first outcome (or
// refuses other details), so it is never held for approval.
func bankToBrokerAmount(ctx *contracts.Context, m *custodyv1.MsgBankToBroker) (int64, error) {
	bank := ctx.Signer.Owner
	if ctx.Store.Has(TransferKey(bank, m.TransferId)) {
		return 0, nil
	}
	a, err := accounts.GetActive(ctx.Store, m.AccountId)
	if err != nil {
		return 0, err
	}
	if a.BankId != bank {
		return 0, accounts.ErrWrongBank.Wrapf("account %s is held at %s, not %s", a.Id, a.BankId, bank)
	}
	return m.Amount, nil
}

// confirmWithdrawalAmount is the pending withdrawal's amount when the bank
// pays it out, and 0 when it refuses it (a refusal only unfreezes the
// client's own money). An unknown or settled withdrawal is refused as
// ConfirmWithdrawal would refuse it, so it is never held for approval.
func confirmWithdrawalAmount(ctx *contracts.Context, m *custodyv1.MsgConfirmWithdrawal) (int64, error) {
	if !m.Success {
		return 0, nil
	}
	bank := ctx.Signer.Owner
	t, err := Get(ctx.Store, bank, m.TransferId)
	if err != nil {
		return 0, err
	}
	if t.Status != custodyv1.TransferStatus_TRANSFER_STATUS_PENDING {
		// An answered withdrawal moves nothing more: the handler answers
		// a resend with the first outcome, the other answer with
		// ErrNotPending.
		return 0, nil
	}
	if a, err := accounts.Get(ctx.Store, t.AccountId); err == nil && a.BankId != bank {
		return 0, accounts.ErrWrongBank.Wrapf("account %s is held at %s, not %s", a.Id, a.BankId, bank)
	}
	return t.Amount, nil
}

// reverseTransferAmount is what a reversal moves: the original's amount
// (a deposit reversal takes at most that back, a withdrawal reversal pays
// it in), 0 for a reversal already made (the handler answers the first
// one). An unknown original is refused as ReverseTransfer would refuse it.
func reverseTransferAmount(ctx *contracts.Context, m *custodyv1.MsgReverseTransfer) (int64, error) {
	bank := ctx.Signer.Owner
	if ctx.Store.Has(TransferKey(bank, ReversalID(m.TransferId))) {
		return 0, nil
	}
	t, err := Get(ctx.Store, bank, m.TransferId)
	if err != nil {
		return 0, err
	}
	return t.Amount, nil
}
