package funds

import (
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// FreezeOrder freezes amount (> 0) of the account's available funds for an
// order: a buy's value and highest fees, or a sell's fee reserve. Unlike a
// withdrawal it may use same-day sale proceeds (available, not only
// withdrawable).
func FreezeOrder(ctx *contracts.Context, accountID string, amount int64, orderID string) (*custodyv1.LedgerEntry, error) {
	f := mustGet(ctx.Store, accountID)
	if amount <= 0 {
		panic(fmt.Sprintf("funds: order freeze of %d", amount))
	}
	if amount > f.Available {
		return nil, ErrInsufficient.Wrapf("account %s: %s to freeze, %s available", accountID, contracts.CNY(amount), contracts.CNY(f.Available))
	}
	return write(ctx, accountID, f, custodyv1.LedgerReason_LEDGER_REASON_ORDER_FREEZE, orderID, 0, amount), nil
}

// ReleaseOrder releases amount (> 0) that an order still froze: the order
// filled with less than it froze, was cancelled or expired.
func ReleaseOrder(ctx *contracts.Context, accountID string, amount int64, orderID string) *custodyv1.LedgerEntry {
	f := mustGet(ctx.Store, accountID)
	if amount <= 0 || f.Frozen < amount {
		panic(fmt.Sprintf("funds: invariant broken: account %s releases %d of order %s with frozen %d",
			accountID, amount, orderID, f.Frozen))
	}
	return write(ctx, accountID, f, custodyv1.LedgerReason_LEDGER_REASON_ORDER_RELEASE, orderID, 0, -amount)
}

// Change is what a fill does to a client's cash.
type Change struct {
	// Amount is the change of the balance: negative pays (a buy's value and
	// fees, or a sell's fees beyond its proceeds), positive receives.
	Amount int64
	// FromFrozen (≥ 0, at most −Amount) is the part of a payment taken from
	// the order's frozen funds; the rest comes from available funds.
	FromFrozen int64
	// Unsettled (≥ 0, at most Amount) is the part of a receipt that is sale
	// proceeds: usable at once, withdrawable only after clearing.
	Unsettled int64
}

// Trade moves c.Amount between a client and a system account (the broker's
// settlement account, which the clearing pays out): the client's balance,
// the bank's custody total for the client's broker and the system account
// move together, so the supply does not change. Writes: funds, one ledger
// entry, custody total, system account. It checks before it writes:
// ErrInsufficient when the client's available funds would go negative,
// ErrOverflow when a figure would leave int64.
func Trade(ctx *contracts.Context, h Holder, c Change, reason custodyv1.LedgerReason, refID string, counter SystemKey) (*custodyv1.LedgerEntry, error) {
	f := mustGet(ctx.Store, h.AccountID)
	if c.FromFrozen < 0 || c.Unsettled < 0 || (c.FromFrozen > 0 && c.FromFrozen > -c.Amount) || c.Unsettled > max(c.Amount, 0) {
		panic(fmt.Sprintf("funds: malformed change %+v", c))
	}
	if c.FromFrozen > f.Frozen {
		return nil, ErrInsufficient.Wrapf("account %s: %s to take from %s frozen", h.AccountID, contracts.CNY(c.FromFrozen), contracts.CNY(f.Frozen))
	}
	balance, ok1 := add(f.Balance, c.Amount)
	_, ok2 := add(f.Unsettled, c.Unsettled)
	total, ok3 := add(GetCustodyTotal(ctx.Store, h.BankID, h.BrokerID), c.Amount)
	if !ok1 || !ok2 || !ok3 || c.Amount == minInt64 {
		return nil, ErrOverflow.Wrapf("account %s: change of %d", h.AccountID, c.Amount)
	}
	if balance < 0 || balance-(f.Frozen-c.FromFrozen) < 0 {
		return nil, ErrInsufficient.Wrapf("account %s: balance %d, frozen %d, change %+v", h.AccountID, f.Balance, f.Frozen, c)
	}
	sys, err := systemChange(GetSystem(ctx.Store, counter), -c.Amount)
	if err != nil {
		return nil, err
	}
	f.Balance = balance
	setTotal(ctx.Store, h, total)
	setSystem(ctx.Store, sys)
	return writeEntry(ctx, h.AccountID, f, reason, refID, c.Amount, -c.FromFrozen, c.Unsettled), nil
}

// SettleSales makes the account's unsettled sale proceeds withdrawable:
// clearing has settled them. It returns nil and writes nothing when nothing
// is unsettled.
func SettleSales(ctx *contracts.Context, accountID, refID string) *custodyv1.LedgerEntry {
	f := mustGet(ctx.Store, accountID)
	if f.Unsettled == 0 {
		return nil
	}
	return writeEntry(ctx, accountID, f, custodyv1.LedgerReason_LEDGER_REASON_SALE_SETTLED, refID, 0, 0, -f.Unsettled)
}
