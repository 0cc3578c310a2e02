// Package transfers moves money across the bank boundary (银证转账), only
// between a client's custody fund account and the client's own bank card
// at the account's custody bank:
//
//   - bank_to_broker (银转证): the custody bank reports money received and
//     the client's balance is credited at once. Idempotent on the bank's
//     transfer id (交易重发): the same transfer sent again returns the first
//     outcome and changes nothing, so a bank that lost the response may
//     resend safely; the same id with other details is refused.
//   - request_withdrawal (证转银): the client's own key asks for money back;
//     the amount (≤ withdrawable) is frozen at once and the request waits.
//   - confirm_withdrawal: the custody bank executes the request (the frozen
//     amount leaves balance and frozen together) or refuses it (the amount
//     is unfrozen). A regulator-frozen account cannot be paid out.
//
// Money moves only through the funds package, which keeps the fund ledger,
// the bank's custody total per broker and the chain-wide supply in step.
package transfers

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/funds"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Days tells the transfers contract about the business calendar, which it
// cannot read itself (the trading contract, which keeps the business date,
// depends on this one). contracts/ledger wires it.
type Days interface {
	// BusinessDate is the chain's current business date (0 before the
	// first day opens).
	BusinessDate(store contracts.Store) uint32
	// CheckTransferWindow refuses a transfer outside the transfer hours
	// of a trading day, judged by block time.
	CheckTransferWindow(ctx *contracts.Context) error
}

// Routes of the transfers contract.
func Routes(days Days) []contracts.Route {
	c := contract{days: days}
	return []contracts.Route{
		contracts.Handle("bank_to_broker", []custodyv1.Role{custodyv1.Role_ROLE_BANK}, ValidateBankToBroker, c.BankToBroker),
		contracts.Handle("request_withdrawal", []custodyv1.Role{custodyv1.Role_ROLE_CLIENT}, ValidateRequestWithdrawal, c.RequestWithdrawal),
		contracts.Handle("confirm_withdrawal", []custodyv1.Role{custodyv1.Role_ROLE_BANK}, ValidateConfirmWithdrawal, c.ConfirmWithdrawal),
		contracts.Handle("reverse_transfer", []custodyv1.Role{custodyv1.Role_ROLE_BANK}, ValidateReverseTransfer, c.ReverseTransfer),
	}
}

// contract is the transfers contract with its view of the calendar.
type contract struct{ days Days }

// Get returns the transfer (bankID, transferID), or ErrUnknownTransfer.
func Get(store contracts.Store, bankID, transferID string) (*custodyv1.Transfer, error) {
	k := TransferKey(bankID, transferID)
	bz := store.Get(k)
	if bz == nil {
		return nil, ErrUnknownTransfer.Wrapf("%s", RefID(bankID, transferID))
	}
	var t custodyv1.Transfer
	contracts.Unmarshal(k, bz, &t)
	return &t, nil
}

func set(store contracts.Store, t *custodyv1.Transfer) []byte {
	bz := contracts.Marshal(t)
	store.Set(TransferKey(t.BankId, t.Id), bz)
	return bz
}

// BankToBroker credits an active account at the signing bank. Writes: the
// transfer, the funds, one ledger entry, the custody total, the supply.
//
// A resend (the same id, account and amount) returns the first outcome and
// writes nothing; the same id with other details is ErrDuplicateTransfer.
func (c contract) BankToBroker(ctx *contracts.Context, m *custodyv1.MsgBankToBroker) ([]byte, error) {
	bank := ctx.Signer.Owner
	if prev, err := Get(ctx.Store, bank, m.TransferId); err == nil {
		if prev.Direction != custodyv1.TransferDirection_TRANSFER_DIRECTION_BANK_TO_BROKER ||
			prev.AccountId != m.AccountId || prev.Amount != m.Amount {
			return nil, ErrDuplicateTransfer.Wrapf("%s was %d fen to %s", RefID(bank, m.TransferId), prev.Amount, prev.AccountId)
		}
		return resent(ctx, prev, FirstOutcome(prev)), nil
	}
	if err := c.days.CheckTransferWindow(ctx); err != nil {
		return nil, err
	}
	a, err := accounts.GetActive(ctx.Store, m.AccountId)
	if err != nil {
		return nil, err
	}
	if a.BankId != bank {
		return nil, accounts.ErrWrongBank.Wrapf("account %s is held at %s, not %s", a.Id, a.BankId, bank)
	}
	ref := RefID(bank, m.TransferId)
	if _, err := funds.Deposit(ctx, accounts.Holder(a), m.Amount, ref); err != nil {
		return nil, err
	}
	// New money pays what a reversed deposit left owed first.
	funds.CollectReceivable(ctx, accounts.Holder(a), ref)
	t := &custodyv1.Transfer{
		Id:              m.TransferId,
		BankId:          bank,
		AccountId:       a.Id,
		BrokerId:        a.BrokerId,
		Direction:       custodyv1.TransferDirection_TRANSFER_DIRECTION_BANK_TO_BROKER,
		Amount:          m.Amount,
		Status:          custodyv1.TransferStatus_TRANSFER_STATUS_COMPLETED,
		RequestedHeight: ctx.Block.Height,
		RequestedTime:   ctx.Block.UnixNano(),
		CompletedHeight: ctx.Block.Height,
		CompletedTime:   ctx.Block.UnixNano(),
		BusinessDate:    c.days.BusinessDate(ctx.Store),
	}
	ctx.Emit("bank_to_broker", "ref_id", ref, "account_id", a.Id, "amount", fmt.Sprint(m.Amount))
	return set(ctx.Store, t), nil
}

// RequestWithdrawal freezes amount of the client's withdrawable funds and
// records a pending transfer. Writes: the transfer, the funds, one entry.
// A resend (same id and amount) returns the first outcome; an account that
// owes its bank after a deposit reversal withdraws nothing until it is
// paid (ErrReceivableOpen).
func (c contract) RequestWithdrawal(ctx *contracts.Context, m *custodyv1.MsgRequestWithdrawal) ([]byte, error) {
	if ctx.Signer.Owner != m.AccountId {
		return nil, accounts.ErrNotOwner.Wrapf("key of %s may not withdraw from %s", ctx.Signer.Owner, m.AccountId)
	}
	a, err := accounts.GetActive(ctx.Store, m.AccountId)
	if err != nil {
		return nil, err
	}
	if prev, err := Get(ctx.Store, a.BankId, m.TransferId); err == nil {
		if prev.Amount != m.Amount || prev.AccountId != a.Id {
			return nil, ErrDuplicateTransfer.Wrapf("%s was %d fen", RefID(a.BankId, m.TransferId), prev.Amount)
		}
		// The request's answer was the pending record, whatever the
		// bank has answered since.
		first := FirstOutcome(prev)
		first.Status, first.Reason, first.CompletedHeight, first.CompletedTime = custodyv1.TransferStatus_TRANSFER_STATUS_PENDING, "", 0, 0
		return resent(ctx, prev, first), nil
	}
	if a.Frozen {
		return nil, ErrSenderFrozen.Wrapf("account %s", a.Id)
	}
	if r := funds.GetReceivable(ctx.Store, a.Id); r != nil {
		return nil, ErrReceivableOpen.Wrapf("account %s owes %d fen after a deposit reversal", a.Id, r.Owed)
	}
	if err := c.days.CheckTransferWindow(ctx); err != nil {
		return nil, err
	}
	ref := RefID(a.BankId, m.TransferId)
	if _, err := funds.Freeze(ctx, a.Id, m.Amount, ref); err != nil {
		return nil, err
	}
	t := &custodyv1.Transfer{
		Id:              m.TransferId,
		BankId:          a.BankId,
		AccountId:       a.Id,
		BrokerId:        a.BrokerId,
		Direction:       custodyv1.TransferDirection_TRANSFER_DIRECTION_BROKER_TO_BANK,
		Amount:          m.Amount,
		Status:          custodyv1.TransferStatus_TRANSFER_STATUS_PENDING,
		RequestedHeight: ctx.Block.Height,
		RequestedTime:   ctx.Block.UnixNano(),
		BusinessDate:    c.days.BusinessDate(ctx.Store),
	}
	ctx.Emit("withdrawal_requested", "ref_id", ref, "account_id", a.Id, "amount", fmt.Sprint(m.Amount))
	return set(ctx.Store, t), nil
}

// ConfirmWithdrawal is the custody bank's execution of a pending
// withdrawal: success pays the frozen amount out (writes: transfer, funds,
// entry, custody total, supply); failure unfreezes it (transfer, funds,
// entry). The same answer to an answered request returns the first
// outcome; the other answer is ErrNotPending.
func (c contract) ConfirmWithdrawal(ctx *contracts.Context, m *custodyv1.MsgConfirmWithdrawal) ([]byte, error) {
	bank := ctx.Signer.Owner
	acctID, _ := SplitWithdrawalID(m.TransferId) // validated
	a, err := accounts.Get(ctx.Store, acctID)
	if err != nil {
		return nil, err
	}
	if a.BankId != bank {
		return nil, accounts.ErrWrongBank.Wrapf("account %s is held at %s, not %s", a.Id, a.BankId, bank)
	}
	t, err := Get(ctx.Store, bank, m.TransferId)
	if err != nil {
		return nil, err
	}
	if t.Status != custodyv1.TransferStatus_TRANSFER_STATUS_PENDING {
		paid := t.Status == custodyv1.TransferStatus_TRANSFER_STATUS_COMPLETED
		if paid == m.Success && (paid || t.Status == custodyv1.TransferStatus_TRANSFER_STATUS_REFUSED) {
			return resent(ctx, t, FirstOutcome(t)), nil
		}
		return nil, ErrNotPending.Wrapf("%s is %s", RefID(bank, t.Id), t.Status)
	}
	ref := RefID(bank, t.Id)
	if m.Success {
		if a.Frozen {
			return nil, ErrSenderFrozen.Wrapf("account %s cannot be paid out while frozen", a.Id)
		}
		funds.PayOut(ctx, accounts.Holder(a), t.Amount, ref)
		t.Status = custodyv1.TransferStatus_TRANSFER_STATUS_COMPLETED
		// The money moved today: a reversal is possible until today closes.
		t.BusinessDate = c.days.BusinessDate(ctx.Store)
		ctx.Emit("withdrawal_completed", "ref_id", ref, "account_id", a.Id, "amount", fmt.Sprint(t.Amount))
	} else {
		funds.Release(ctx, a.Id, t.Amount, ref)
		t.Status = custodyv1.TransferStatus_TRANSFER_STATUS_REFUSED
		t.Reason = m.Reason
		ctx.Emit("withdrawal_refused", "ref_id", ref, "account_id", a.Id, "amount", fmt.Sprint(t.Amount), "reason", m.Reason)
	}
	t.CompletedHeight, t.CompletedTime = ctx.Block.Height, ctx.Block.UnixNano()
	return set(ctx.Store, t), nil
}

// ByAccount returns the transfers of an account in the order they began,
// found through the account's fund ledger from entry fromSeq on (each
// transfer begins with exactly one deposit or freeze entry), and the
// ledger sequence to continue from. At most limit transfers (funds' page
// bound when limit ≤ 0).
func ByAccount(store contracts.Store, accountID string, fromSeq uint64, limit int) ([]*custodyv1.Transfer, uint64) {
	if limit <= 0 || limit > funds.MaxEntriesPerPage {
		limit = funds.MaxEntriesPerPage
	}
	var out []*custodyv1.Transfer
	next := fromSeq
	for len(out) < limit {
		entries := funds.Entries(store, accountID, next, funds.MaxEntriesPerPage)
		if len(entries) == 0 {
			break
		}
		for _, e := range entries {
			if len(out) == limit {
				break
			}
			next = e.Seq + 1
			// Each transfer begins with one of these entries; a
			// reversal's own entry lists the reversal beside its
			// original, so the journal shows the pair.
			switch e.Reason {
			case custodyv1.LedgerReason_LEDGER_REASON_DEPOSIT,
				custodyv1.LedgerReason_LEDGER_REASON_WITHDRAWAL_FREEZE,
				custodyv1.LedgerReason_LEDGER_REASON_DEPOSIT_REVERSED,
				custodyv1.LedgerReason_LEDGER_REASON_WITHDRAWAL_REVERSED:
			default:
				continue
			}
			bank, id, ok := cutRef(e.RefId)
			if !ok {
				continue
			}
			if t, err := Get(store, bank, id); err == nil {
				out = append(out, t)
			}
		}
	}
	return out, next
}

// FirstOutcome is the answer the transfer's first message returned: the
// record as it was then, before any later confirmation or reversal. A
// resend returns it, byte for byte.
func FirstOutcome(t *custodyv1.Transfer) *custodyv1.Transfer {
	first := proto.Clone(t).(*custodyv1.Transfer)
	first.ReversedBy = ""
	return first
}

// resent answers a resend with the first outcome: it writes nothing and
// emits transfer_resent, so the bank's retry is visible in the events.
func resent(ctx *contracts.Context, t, first *custodyv1.Transfer) []byte {
	ctx.Emit("transfer_resent", "ref_id", RefID(t.BankId, t.Id), "account_id", t.AccountId, "status", first.Status.String())
	return contracts.Marshal(first)
}

func cutRef(ref string) (bank, id string, ok bool) {
	for i := 0; i < len(ref); i++ {
		if ref[i] == '/' {
			return ref[:i], ref[i+1:], true
		}
	}
	return "", "", false
}
