// Package funds keeps a client's cash: the four figures of DOMAIN.md
// (balance, frozen, available, withdrawable) and the unsettled sale
// proceeds, the fund ledger (资金流水) that records every change of them,
// the bank's custody total per broker, the system accounts (fee payees,
// broker settlement accounts and the clearing house) and the chain-wide
// supply.
//
// It has no messages of its own. The transfers contract moves money across
// the bank boundary with Deposit, Freeze, Release and PayOut; trading and
// clearing move it between clients and system accounts with FreezeOrder,
// ReleaseOrder, Trade, SettleSales and MoveSystem. Each writes the Funds
// record and one ledger entry (or the system accounts), plus the custody
// total when a client's balance moves and the supply when money crosses the
// bank boundary. That one path is what makes the invariants hold:
//
//	balance = available + frozen, none negative, withdrawable ≤ available
//	Σ client balances + Σ system balances = supply.total = deposited − withdrawn
//	custody total (bank, broker) = Σ balances of that broker's clients at that bank
//
// Each function checks everything before it writes anything, so a refusal
// leaves the store untouched even before the tx's cache is dropped.
// Arithmetic is checked: a sum that would leave int64 is refused
// (ErrOverflow), never wrapped. Inconsistent state (releasing more than is
// frozen) is a broken invariant and panics: the node stops rather than
// diverge.
package funds

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Holder names an account and the (bank, broker) pair whose custody total
// its balance counts in.
type Holder struct {
	AccountID string
	BankID    string
	BrokerID  string
}

// Get returns an account's Funds, or nil if the account has none (it was
// never confirmed).
func Get(store contracts.Store, accountID string) *custodyv1.Funds {
	k := FundsKey(accountID)
	bz := store.Get(k)
	if bz == nil {
		return nil
	}
	var f custodyv1.Funds
	contracts.Unmarshal(k, bz, &f)
	return &f
}

// Open writes the empty Funds of a newly confirmed account. It writes no
// ledger entry: nothing has changed yet.
func Open(store contracts.Store, accountID string) {
	store.Set(FundsKey(accountID), contracts.Marshal(&custodyv1.Funds{}))
}

// IsEmpty reports whether nothing is left in f: no balance, nothing frozen,
// no open withdrawal. A nil f (no funds record) is empty.
func IsEmpty(f *custodyv1.Funds) bool {
	return f == nil || (f.Balance == 0 && f.Frozen == 0 && f.Unsettled == 0 && f.OpenWithdrawals == 0)
}

// GetCustodyTotal returns the custody total of (bank, broker), 0 if none.
func GetCustodyTotal(store contracts.Store, bankID, brokerID string) int64 {
	k := CustodyTotalKey(bankID, brokerID)
	bz := store.Get(k)
	if bz == nil {
		return 0
	}
	var t custodyv1.CustodyTotal
	contracts.Unmarshal(k, bz, &t)
	return t.Total
}

// GetSupply returns the chain-wide supply (zero before the first deposit).
func GetSupply(store contracts.Store) *custodyv1.Supply {
	k := SupplyKey()
	bz := store.Get(k)
	var s custodyv1.Supply
	if bz != nil {
		contracts.Unmarshal(k, bz, &s)
	}
	return &s
}

// Deposit credits amount (> 0) to the holder's balance: 银转证. It moves
// the custody total and the supply by the same amount.
func Deposit(ctx *contracts.Context, h Holder, amount int64, refID string) (*custodyv1.LedgerEntry, error) {
	f := mustGet(ctx.Store, h.AccountID)
	total := GetCustodyTotal(ctx.Store, h.BankID, h.BrokerID)
	supply := GetSupply(ctx.Store)
	balance, ok1 := add(f.Balance, amount)
	newTotal, ok2 := add(total, amount)
	newSupply, ok3 := add(supply.Total, amount)
	deposited, ok4 := add(supply.Deposited, amount)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return nil, ErrOverflow.Wrapf("deposit of %s to %s", contracts.CNY(amount), h.AccountID)
	}
	f.Balance = balance
	supply.Total, supply.Deposited = newSupply, deposited
	setTotal(ctx.Store, h, newTotal)
	ctx.Store.Set(SupplyKey(), contracts.Marshal(supply))
	return write(ctx, h.AccountID, f, custodyv1.LedgerReason_LEDGER_REASON_DEPOSIT, refID, amount, 0), nil
}

// CreditInterest credits the custodian bank's interest (结息, amount > 0)
// to the holder's balance. Like a deposit it enters custody at the bank
// boundary: the custody total and the supply (Supply.interest) move with it.
func CreditInterest(ctx *contracts.Context, h Holder, amount int64, refID string) (*custodyv1.LedgerEntry, error) {
	f := mustGet(ctx.Store, h.AccountID)
	total := GetCustodyTotal(ctx.Store, h.BankID, h.BrokerID)
	supply := GetSupply(ctx.Store)
	balance, ok1 := add(f.Balance, amount)
	newTotal, ok2 := add(total, amount)
	newSupply, ok3 := add(supply.Total, amount)
	interest, ok4 := add(supply.Interest, amount)
	if amount <= 0 || !ok1 || !ok2 || !ok3 || !ok4 {
		return nil, ErrOverflow.Wrapf("interest of %d to %s", amount, h.AccountID)
	}
	f.Balance = balance
	supply.Total, supply.Interest = newSupply, interest
	setTotal(ctx.Store, h, newTotal)
	ctx.Store.Set(SupplyKey(), contracts.Marshal(supply))
	return write(ctx, h.AccountID, f, custodyv1.LedgerReason_LEDGER_REASON_INTEREST, refID, amount, 0), nil
}

// Freeze moves amount (> 0) of the account's withdrawable funds into frozen
// for a withdrawal request, and counts the request as open.
func Freeze(ctx *contracts.Context, accountID string, amount int64, refID string) (*custodyv1.LedgerEntry, error) {
	f := mustGet(ctx.Store, accountID)
	if amount > f.Withdrawable {
		return nil, ErrOverdraft.Wrapf("account %s: %s requested, %s withdrawable", accountID, contracts.CNY(amount), contracts.CNY(f.Withdrawable))
	}
	if f.OpenWithdrawals == math.MaxUint32 {
		return nil, ErrOverflow.Wrapf("account %s has too many open withdrawals", accountID)
	}
	f.OpenWithdrawals++
	return write(ctx, accountID, f, custodyv1.LedgerReason_LEDGER_REASON_WITHDRAWAL_FREEZE, refID, 0, amount), nil
}

// Release unfreezes amount frozen by Freeze when the bank refuses or fails
// the withdrawal, and closes the request.
func Release(ctx *contracts.Context, accountID string, amount int64, refID string) *custodyv1.LedgerEntry {
	f := mustGet(ctx.Store, accountID)
	mustHoldFrozen(f, accountID, amount)
	f.OpenWithdrawals--
	return write(ctx, accountID, f, custodyv1.LedgerReason_LEDGER_REASON_WITHDRAWAL_UNFREEZE, refID, 0, -amount)
}

// PayOut pays amount frozen by Freeze out to the client's bank card: 证转银
// executed. Balance and frozen fall together; so do the custody total and
// the supply.
func PayOut(ctx *contracts.Context, h Holder, amount int64, refID string) *custodyv1.LedgerEntry {
	f := mustGet(ctx.Store, h.AccountID)
	mustHoldFrozen(f, h.AccountID, amount)
	total := GetCustodyTotal(ctx.Store, h.BankID, h.BrokerID)
	supply := GetSupply(ctx.Store)
	if total < amount || supply.Total < amount {
		panic(fmt.Sprintf("funds: invariant broken: paying %d out of %s with custody total %d, supply %d",
			amount, h.AccountID, total, supply.Total))
	}
	withdrawn, ok := add(supply.Withdrawn, amount)
	if !ok {
		// Withdrawn ≤ deposited, which fitted in an int64.
		panic(fmt.Sprintf("funds: invariant broken: withdrawn total overflows (%d + %d)", supply.Withdrawn, amount))
	}
	f.OpenWithdrawals--
	f.Balance -= amount
	supply.Total -= amount
	supply.Withdrawn = withdrawn
	setTotal(ctx.Store, h, total-amount)
	ctx.Store.Set(SupplyKey(), contracts.Marshal(supply))
	return write(ctx, h.AccountID, f, custodyv1.LedgerReason_LEDGER_REASON_WITHDRAWAL_PAID, refID, -amount, -amount)
}

// write applies a change of balance and frozen to f, recomputes the derived
// figures, appends the ledger entry and stores both: two writes.
func write(ctx *contracts.Context, accountID string, f *custodyv1.Funds, reason custodyv1.LedgerReason, refID string, amount, frozenChange int64) *custodyv1.LedgerEntry {
	return writeEntry(ctx, accountID, f, reason, refID, amount, frozenChange, 0)
}

// writeEntry is write with a change of the unsettled figure as well (sale
// proceeds and their settlement).
func writeEntry(ctx *contracts.Context, accountID string, f *custodyv1.Funds, reason custodyv1.LedgerReason, refID string, amount, frozenChange, unsettledChange int64) *custodyv1.LedgerEntry {
	// Callers have checked the ranges: balance, frozen and unsettled stay
	// within [0, MaxInt64] and frozen ≤ balance, so these cannot overflow.
	f.Frozen += frozenChange
	f.Unsettled += unsettledChange
	derive(f)
	e := &custodyv1.LedgerEntry{
		Seq:             f.NextSeq,
		Height:          ctx.Block.Height,
		Time:            ctx.Block.UnixNano(),
		Reason:          reason,
		RefId:           refID,
		Amount:          amount,
		FrozenChange:    frozenChange,
		Balance:         f.Balance,
		Frozen:          f.Frozen,
		Available:       f.Available,
		UnsettledChange: unsettledChange,
		Unsettled:       f.Unsettled,
	}
	f.NextSeq++
	if k := BalanceChangedKey(accountID); !ctx.Store.Has(k) {
		// The end-of-day close visits only the accounts marked here, so its
		// cost follows the day's activity, not the number of accounts. The
		// mark holds the first entry since the last close.
		ctx.Store.Set(k, binary.BigEndian.AppendUint64(nil, e.Seq))
	}
	ctx.Store.Set(EntryKey(accountID, e.Seq), contracts.Marshal(e))
	ctx.Store.Set(FundsKey(accountID), contracts.Marshal(f))
	ctx.Emit("funds_changed",
		"account_id", accountID,
		"seq", fmt.Sprint(e.Seq),
		"reason", reason.String(),
		"ref_id", refID,
		"amount", fmt.Sprint(amount),
		"frozen_change", fmt.Sprint(frozenChange),
		"balance", fmt.Sprint(f.Balance),
		"available", fmt.Sprint(f.Available))
	return e
}

// derive recomputes available and withdrawable from balance, frozen and
// unsettled. Withdrawable never goes below zero: unsettled proceeds are
// part of the balance, so available < unsettled only while buy orders
// freeze against them (trading, later).
func derive(f *custodyv1.Funds) {
	f.Available = f.Balance - f.Frozen
	f.Withdrawable = max(f.Available-f.Unsettled, 0)
	if f.Balance < 0 || f.Frozen < 0 || f.Available < 0 || f.Unsettled < 0 {
		panic(fmt.Sprintf("funds: invariant broken: balance %d, frozen %d, unsettled %d", f.Balance, f.Frozen, f.Unsettled))
	}
}

func mustGet(store contracts.Store, accountID string) *custodyv1.Funds {
	f := Get(store, accountID)
	if f == nil {
		panic(fmt.Sprintf("funds: account %s has no funds record", accountID))
	}
	return f
}

func mustHoldFrozen(f *custodyv1.Funds, accountID string, amount int64) {
	if amount <= 0 || f.Frozen < amount || f.Balance < amount || f.OpenWithdrawals == 0 {
		panic(fmt.Sprintf("funds: invariant broken: account %s releases %d with frozen %d, balance %d, %d open",
			accountID, amount, f.Frozen, f.Balance, f.OpenWithdrawals))
	}
}

func setTotal(store contracts.Store, h Holder, total int64) {
	store.Set(CustodyTotalKey(h.BankID, h.BrokerID),
		contracts.Marshal(&custodyv1.CustodyTotal{BankId: h.BankID, BrokerId: h.BrokerID, Total: total}))
}

// add returns a+b and whether it fits in an int64. Only non-negative
// amounts are ever added, so only the upper bound is checked.
func add(a, b int64) (int64, bool) {
	if b > 0 && a > math.MaxInt64-b {
		return 0, false
	}
	if b < 0 && a < math.MinInt64-b {
		return 0, false
	}
	return a + b, true
}
