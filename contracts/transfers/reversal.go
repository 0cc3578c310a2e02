package transfers

import (
	"fmt"
	"strings"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/funds"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Reversal (冲正) undoes a bank-securities transfer that the bank booked in
// error or that timed out half-way (DOMAIN.md). Rules:
//
//   - only the transfer's own bank reverses it, naming the original id and
//     a reason;
//   - only a COMPLETED deposit or withdrawal (a pending withdrawal is
//     refused with confirm_withdrawal instead) and never a reversal;
//   - only on the business day the original began: after end-of-day
//     clearing the day's figures are in the custody snapshot the banks
//     reconcile against, so a later correction is an adjustment (调账);
//   - a reversal is itself a transfer, "<original id>#R" at the same bank,
//     in the opposite direction. '#' is in no transfer id, so the two can
//     never collide; the original records reversed_by, the reversal
//     reverses, and the account's journal lists both.
//   - reversing again returns the first reversal (交易重发).
//
// A deposit reversal takes back what the client still has available; when
// the client already spent or committed part of it (bought securities,
// froze it for an order or a withdrawal), the rest is a Receivable that
// the account's next incoming money pays first (funds.CollectReceivable),
// and the account withdraws nothing until it is paid. A withdrawal
// reversal credits the money back (and pays any receivable from it).
// Reversals are not bound to the transfer hours: the business-day rule is
// what limits them, and a bank must be able to undo a transfer that timed
// out at the window's end.

// ReversalSuffix ends a reversal's transfer id.
const ReversalSuffix = "#R"

// ReversalID is the transfer id of the reversal of transfer id.
func ReversalID(id string) string { return id + ReversalSuffix }

// MaxReversalReasonLen bounds a reversal's reason, in bytes.
const MaxReversalReasonLen = 256

// ValidateReverseTransfer is the stateless check of MsgReverseTransfer: the
// id is a bank serial or a withdrawal id, and a reason is given.
func ValidateReverseTransfer(m *custodyv1.MsgReverseTransfer) error {
	if strings.Contains(m.TransferId, "/") {
		if _, err := SplitWithdrawalID(m.TransferId); err != nil {
			return err
		}
	} else if err := ValidateBankSerial(m.TransferId); err != nil {
		return err
	}
	if m.Reason == "" || accounts.ValidateReason(m.Reason) != nil || len(m.Reason) > MaxReversalReasonLen {
		return ErrBadReason.Wrapf("%d bytes", len(m.Reason))
	}
	return nil
}

// ReverseTransfer reverses a completed transfer of the signing bank on its
// own business day. Checks, in order: a reversal already exists (the first
// outcome is returned), the original exists, is completed and not itself
// a reversal, its business day is today's. Writes: the reversal, the
// original's reversed_by, the funds moves (deposit: what is taken back and
// any receivable; withdrawal: the credit and any receivable it pays).
func (c contract) ReverseTransfer(ctx *contracts.Context, m *custodyv1.MsgReverseTransfer) ([]byte, error) {
	bank := ctx.Signer.Owner
	revID := ReversalID(m.TransferId)
	if prev, err := Get(ctx.Store, bank, revID); err == nil {
		return resent(ctx, prev, prev), nil
	}
	orig, err := Get(ctx.Store, bank, m.TransferId)
	if err != nil {
		return nil, err
	}
	if orig.Status != custodyv1.TransferStatus_TRANSFER_STATUS_COMPLETED {
		return nil, ErrNotReversible.Wrapf("%s is %s", RefID(bank, orig.Id), orig.Status)
	}
	if today := c.days.BusinessDate(ctx.Store); orig.BusinessDate != today {
		return nil, ErrReversalWindowOver.Wrapf("%s began on business day %d, today is %d", RefID(bank, orig.Id), orig.BusinessDate, today)
	}
	a, err := accounts.GetActive(ctx.Store, orig.AccountId)
	if err != nil {
		return nil, err
	}
	h := accounts.Holder(a)
	ref := RefID(bank, revID)
	rev := &custodyv1.Transfer{
		Id:              revID,
		BankId:          bank,
		AccountId:       orig.AccountId,
		BrokerId:        orig.BrokerId,
		Amount:          orig.Amount,
		Status:          custodyv1.TransferStatus_TRANSFER_STATUS_COMPLETED,
		Reason:          m.Reason,
		RequestedHeight: ctx.Block.Height,
		RequestedTime:   ctx.Block.UnixNano(),
		CompletedHeight: ctx.Block.Height,
		CompletedTime:   ctx.Block.UnixNano(),
		BusinessDate:    orig.BusinessDate,
		Reverses:        orig.Id,
	}
	switch orig.Direction {
	case custodyv1.TransferDirection_TRANSFER_DIRECTION_BANK_TO_BROKER:
		rev.Direction = custodyv1.TransferDirection_TRANSFER_DIRECTION_BROKER_TO_BANK
		rev.TakenBack, rev.Owed = funds.ReverseDeposit(ctx, h, orig.Amount, ref)
	case custodyv1.TransferDirection_TRANSFER_DIRECTION_BROKER_TO_BANK:
		rev.Direction = custodyv1.TransferDirection_TRANSFER_DIRECTION_BANK_TO_BROKER
		if _, err := funds.ReturnWithdrawal(ctx, h, orig.Amount, ref); err != nil {
			return nil, err
		}
		funds.CollectReceivable(ctx, h, ref)
	default:
		return nil, ErrNotReversible.Wrapf("%s has no direction", RefID(bank, orig.Id))
	}
	orig.ReversedBy = revID
	set(ctx.Store, orig)
	ctx.Emit("transfer_reversed", "ref_id", ref, "reverses", RefID(bank, orig.Id), "account_id", orig.AccountId,
		"amount", fmt.Sprint(orig.Amount), "taken_back", fmt.Sprint(rev.TakenBack), "owed", fmt.Sprint(rev.Owed), "reason", m.Reason)
	return set(ctx.Store, rev), nil
}

// IsReversal reports whether t is a reversal record.
func IsReversal(t *custodyv1.Transfer) bool { return t.Reverses != "" }
