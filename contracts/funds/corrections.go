package funds

import (
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Corrections of client money (issue #18): reversals of bank-securities
// transfers (冲正), the receivable a deposit reversal leaves when the money
// was already spent, and adjustments (调账). All of them cross the bank
// boundary, so each moves the balance, the custody total of the client's
// (bank, broker) and the supply together, and counts the crossing as what
// it is in money terms: money custody pays back to the bank is Withdrawn,
// money the bank pays into custody is Deposited. The conservation
// invariant (supply = deposited − withdrawn ± clearing = Σ balances) is
// thereby the same one that covers ordinary transfers.

// ReceivableKey is the key of an account's Receivable: 0x21 | account id.
func ReceivableKey(accountID string) []byte {
	return append([]byte{contracts.PrefixReceivable}, accountID...)
}

// GetReceivable returns what the account owes its bank after a deposit
// reversal, or nil when it owes nothing.
func GetReceivable(store contracts.Store, accountID string) *custodyv1.Receivable {
	k := ReceivableKey(accountID)
	bz := store.Get(k)
	if bz == nil {
		return nil
	}
	var r custodyv1.Receivable
	contracts.Unmarshal(k, bz, &r)
	return &r
}

// ForEachReceivable calls fn for every open receivable in account order.
func ForEachReceivable(store contracts.Store, fn func(*custodyv1.Receivable)) {
	prefix := []byte{contracts.PrefixReceivable}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	for ; it.Valid(); it.Next() {
		var r custodyv1.Receivable
		contracts.Unmarshal(it.Key(), it.Value(), &r)
		fn(&r)
	}
}

// ReverseDeposit takes back a reversed deposit of amount (> 0): as much as
// the account still has available now (its balance less what open orders
// and withdrawals freeze), at once; the rest is added to the account's
// receivable, which later incoming money pays (CollectReceivable). It
// returns what was taken and what is owed. Writes: one ledger entry
// (DEPOSIT_REVERSED, even when nothing could be taken, so the fund ledger
// shows the reversal), funds, custody total, supply, and the receivable
// when something is owed.
func ReverseDeposit(ctx *contracts.Context, h Holder, amount int64, refID string) (taken, owed int64) {
	f := mustGet(ctx.Store, h.AccountID)
	if amount <= 0 {
		panic(fmt.Sprintf("funds: deposit reversal of %d", amount))
	}
	taken = min(amount, f.Available)
	owed = amount - taken
	f.Owed += owed // ≤ Σ deposits, which fit in the supply
	payBack(ctx, h, f, taken, custodyv1.LedgerReason_LEDGER_REASON_DEPOSIT_REVERSED, refID)
	if owed > 0 {
		r := GetReceivable(ctx.Store, h.AccountID)
		if r == nil {
			r = &custodyv1.Receivable{AccountId: h.AccountID, BankId: h.BankID, BrokerId: h.BrokerID, OpenedHeight: ctx.Block.Height}
		}
		// owed ≤ amount ≤ a deposit that fitted in the supply: the sums
		// of what one account owes stay below the total ever deposited.
		r.Owed += owed
		r.Total += owed
		ctx.Store.Set(ReceivableKey(h.AccountID), contracts.Marshal(r))
		ctx.Emit("receivable_opened", "account_id", h.AccountID, "ref_id", refID,
			"owed", fmt.Sprint(owed), "outstanding", fmt.Sprint(r.Owed))
	}
	return taken, owed
}

// payBack moves amount (≥ 0) of f's available funds out of custody back to
// the bank and writes the entry: balance, custody total and supply fall;
// the supply counts it as withdrawn.
func payBack(ctx *contracts.Context, h Holder, f *custodyv1.Funds, amount int64, reason custodyv1.LedgerReason, refID string) *custodyv1.LedgerEntry {
	if amount < 0 || amount > f.Available {
		panic(fmt.Sprintf("funds: paying %d back from %s with %d available", amount, h.AccountID, f.Available))
	}
	if amount > 0 {
		total := GetCustodyTotal(ctx.Store, h.BankID, h.BrokerID)
		supply := GetSupply(ctx.Store)
		withdrawn, ok := add(supply.Withdrawn, amount)
		if total < amount || supply.Total < amount || !ok {
			panic(fmt.Sprintf("funds: invariant broken: paying %d back from %s with custody total %d, supply %v",
				amount, h.AccountID, total, supply))
		}
		f.Balance -= amount
		supply.Total -= amount
		supply.Withdrawn = withdrawn
		setTotal(ctx.Store, h, total-amount)
		ctx.Store.Set(SupplyKey(), contracts.Marshal(supply))
	}
	return write(ctx, h.AccountID, f, reason, refID, -amount, 0)
}

// payIn credits amount (> 0) that the bank pays into custody: balance,
// custody total and supply rise; the supply counts it as deposited.
func payIn(ctx *contracts.Context, h Holder, f *custodyv1.Funds, amount int64, reason custodyv1.LedgerReason, refID string) (*custodyv1.LedgerEntry, error) {
	total := GetCustodyTotal(ctx.Store, h.BankID, h.BrokerID)
	supply := GetSupply(ctx.Store)
	balance, ok1 := add(f.Balance, amount)
	newTotal, ok2 := add(total, amount)
	newSupply, ok3 := add(supply.Total, amount)
	deposited, ok4 := add(supply.Deposited, amount)
	if amount <= 0 || !ok1 || !ok2 || !ok3 || !ok4 {
		return nil, ErrOverflow.Wrapf("%d into %s", amount, h.AccountID)
	}
	f.Balance = balance
	supply.Total, supply.Deposited = newSupply, deposited
	setTotal(ctx.Store, h, newTotal)
	ctx.Store.Set(SupplyKey(), contracts.Marshal(supply))
	return write(ctx, h.AccountID, f, reason, refID, amount, 0), nil
}

// ReturnWithdrawal credits back amount (> 0) of a completed withdrawal
// that the bank reverses (it booked the payment but the money never
// reached the card). Writes: entry (WITHDRAWAL_REVERSED), funds, custody
// total, supply.
func ReturnWithdrawal(ctx *contracts.Context, h Holder, amount int64, refID string) (*custodyv1.LedgerEntry, error) {
	return payIn(ctx, h, mustGet(ctx.Store, h.AccountID), amount, custodyv1.LedgerReason_LEDGER_REASON_WITHDRAWAL_REVERSED, refID)
}

// CollectReceivable pays the account's receivable, if any, from what it has
// available now, and returns what it paid. Every path that brings money
// into an account calls it right after (a deposit, a withdrawal reversal,
// an adjustment's credit), and end-of-day clearing sweeps every open
// receivable, so the bank is paid back before the client can spend or
// withdraw new money. refID names what brought the money in. Writes, when
// something is paid: entry (RECEIVABLE_PAID), funds, custody total,
// supply, and the receivable (deleted when paid off).
func CollectReceivable(ctx *contracts.Context, h Holder, refID string) int64 {
	r := GetReceivable(ctx.Store, h.AccountID)
	if r == nil {
		return 0
	}
	f := mustGet(ctx.Store, h.AccountID)
	pay := min(r.Owed, f.Available)
	if pay == 0 {
		return 0
	}
	f.Owed -= pay
	payBack(ctx, h, f, pay, custodyv1.LedgerReason_LEDGER_REASON_RECEIVABLE_PAID, refID)
	r.Owed -= pay
	r.Paid += pay
	if r.Owed == 0 {
		ctx.Store.Delete(ReceivableKey(h.AccountID))
	} else {
		ctx.Store.Set(ReceivableKey(h.AccountID), contracts.Marshal(r))
	}
	ctx.Emit("receivable_paid", "account_id", h.AccountID, "ref_id", refID,
		"paid", fmt.Sprint(pay), "outstanding", fmt.Sprint(r.Owed))
	return pay
}

// Adjust applies one leg of an adjustment: amount > 0 is paid in by the
// bank (and then pays any receivable first), amount < 0 is taken out of
// the account's available funds back to the bank. A debit larger than
// what is available is refused (ErrInsufficient) and writes nothing.
// Writes: entry (ADJUSTMENT), funds, custody total, supply.
func Adjust(ctx *contracts.Context, h Holder, amount int64, refID string) error {
	f := mustGet(ctx.Store, h.AccountID)
	switch {
	case amount == 0 || amount == minInt64:
		return ErrOverflow.Wrapf("adjustment of %d", amount)
	case amount < 0:
		if -amount > f.Available {
			return ErrInsufficient.Wrapf("account %s: %d to take back, %d available", h.AccountID, -amount, f.Available)
		}
		payBack(ctx, h, f, -amount, custodyv1.LedgerReason_LEDGER_REASON_ADJUSTMENT, refID)
		return nil
	}
	if _, err := payIn(ctx, h, f, amount, custodyv1.LedgerReason_LEDGER_REASON_ADJUSTMENT, refID); err != nil {
		return err
	}
	CollectReceivable(ctx, h, refID)
	return nil
}

// checkReceivables: every open receivable owes something, owes its total
// less what was paid, and belongs to an account with funds.
func checkReceivables(store contracts.Store) (string, bool) {
	n := 0
	var owed int64
	var bad string
	ForEachReceivable(store, func(r *custodyv1.Receivable) {
		n++
		owed += r.Owed
		switch {
		case bad != "":
		case r.Owed <= 0 || r.Paid < 0 || r.Owed != r.Total-r.Paid:
			bad = fmt.Sprintf("receivable of %s: owed %d ≠ total %d − paid %d, or not positive", r.AccountId, r.Owed, r.Total, r.Paid)
		case Get(store, r.AccountId) == nil || Get(store, r.AccountId).Owed != r.Owed:
			bad = fmt.Sprintf("receivable of %s owes %d, its funds say otherwise", r.AccountId, r.Owed)
		}
	})
	ForEach(store, func(id string, f *custodyv1.Funds) {
		if bad == "" && f.Owed != 0 && GetReceivable(store, id) == nil {
			bad = fmt.Sprintf("account %s owes %d without a receivable", id, f.Owed)
		}
	})
	if bad != "" {
		return bad, true
	}
	return fmt.Sprintf("%d open receivables, %d fen owed back to the banks", n, owed), false
}

// SettleSalesAmount makes amount (> 0) of the account's unsettled sale
// proceeds withdrawable: one day's proceeds, when clearing settles that day
// (while proceeds of a day held by a settlement break stay unsettled). It
// panics when less is unsettled: the callers sum the fills that made it.
func SettleSalesAmount(ctx *contracts.Context, accountID string, amount int64, refID string) *custodyv1.LedgerEntry {
	f := mustGet(ctx.Store, accountID)
	if amount <= 0 || f.Unsettled < amount {
		panic(fmt.Sprintf("funds: invariant broken: settling %d of %s with %d unsettled", amount, accountID, f.Unsettled))
	}
	return writeEntry(ctx, accountID, f, custodyv1.LedgerReason_LEDGER_REASON_SALE_SETTLED, refID, 0, 0, -amount)
}

// AdjustAgainstClearing applies one leg of an adjustment that resolves a
// settlement break: the money crosses the clearing boundary, not the
// bank's — a credit comes from the clearing house (Supply.from_clearing), a
// debit goes to it (Supply.to_clearing) — while the client's balance and
// its custody total move as for any leg. A debit beyond what is available
// is refused (ErrInsufficient) and writes nothing.
func AdjustAgainstClearing(ctx *contracts.Context, h Holder, amount int64, refID string) error {
	f := mustGet(ctx.Store, h.AccountID)
	total := GetCustodyTotal(ctx.Store, h.BankID, h.BrokerID)
	supply := GetSupply(ctx.Store)
	switch {
	case amount == 0 || amount == minInt64:
		return ErrOverflow.Wrapf("adjustment of %d", amount)
	case amount < 0 && -amount > f.Available:
		return ErrInsufficient.Wrapf("account %s: %d to take back, %d available", h.AccountID, -amount, f.Available)
	}
	balance, ok1 := add(f.Balance, amount)
	newTotal, ok2 := add(total, amount)
	newSupply, ok3 := add(supply.Total, amount)
	var ok4 bool
	if amount > 0 {
		supply.FromClearing, ok4 = add(supply.FromClearing, amount)
	} else {
		supply.ToClearing, ok4 = add(supply.ToClearing, -amount)
	}
	if !ok1 || !ok2 || !ok3 || !ok4 || newTotal < 0 || newSupply < 0 {
		return ErrOverflow.Wrapf("%d for %s", amount, h.AccountID)
	}
	f.Balance, supply.Total = balance, newSupply
	setTotal(ctx.Store, h, newTotal)
	ctx.Store.Set(SupplyKey(), contracts.Marshal(supply))
	write(ctx, h.AccountID, f, custodyv1.LedgerReason_LEDGER_REASON_ADJUSTMENT, refID, amount, 0)
	if amount > 0 {
		CollectReceivable(ctx, h, refID)
	}
	return nil
}
