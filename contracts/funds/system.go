package funds

import (
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// SystemKey names a system account: a kind and an owner (a broker id, a
// market, or "" for the single tax authority, regulator and clearing house
// accounts).
type SystemKey struct {
	Kind  custodyv1.SystemAccountKind
	Owner string
}

// The system accounts trading uses.
func BrokerSettlement(brokerID string) SystemKey {
	return SystemKey{custodyv1.SystemAccountKind_SYSTEM_ACCOUNT_KIND_BROKER_SETTLEMENT, brokerID}
}

// Commission is a broker's commission income.
func Commission(brokerID string) SystemKey {
	return SystemKey{custodyv1.SystemAccountKind_SYSTEM_ACCOUNT_KIND_COMMISSION, brokerID}
}

// StampDuty is the tax authority's account.
func StampDuty() SystemKey {
	return SystemKey{Kind: custodyv1.SystemAccountKind_SYSTEM_ACCOUNT_KIND_STAMP_DUTY}
}

// TransferFee is the clearing house's transfer-fee income.
func TransferFee() SystemKey {
	return SystemKey{Kind: custodyv1.SystemAccountKind_SYSTEM_ACCOUNT_KIND_TRANSFER_FEE}
}

// HandlingFee is an exchange's handling-fee income; market is "SSE" or "SZSE".
func HandlingFee(market string) SystemKey {
	return SystemKey{custodyv1.SystemAccountKind_SYSTEM_ACCOUNT_KIND_HANDLING_FEE, market}
}

// RegulatorLevy is the regulator's levy income.
func RegulatorLevy() SystemKey {
	return SystemKey{Kind: custodyv1.SystemAccountKind_SYSTEM_ACCOUNT_KIND_REGULATOR_LEVY}
}

// Signed reports whether a kind of system account may hold a negative
// balance: only a broker's settlement account, during the day, when its
// clients sold more than they bought (the proceeds arrive from the
// clearing house at end of day).
func Signed(kind custodyv1.SystemAccountKind) bool {
	return kind == custodyv1.SystemAccountKind_SYSTEM_ACCOUNT_KIND_BROKER_SETTLEMENT
}

// SystemAccountKey is the key of a system account: 0x16 | kind (1 byte) |
// owner.
func SystemAccountKey(k SystemKey) []byte {
	return append([]byte{contracts.PrefixSystemAccount, byte(k.Kind)}, k.Owner...)
}

// GetSystem returns a system account; one never written is empty.
func GetSystem(store contracts.Store, k SystemKey) *custodyv1.SystemAccount {
	key := SystemAccountKey(k)
	a := &custodyv1.SystemAccount{Kind: k.Kind, Owner: k.Owner}
	if bz := store.Get(key); bz != nil {
		contracts.Unmarshal(key, bz, a)
	}
	return a
}

// ForEachSystem calls fn for every system account in key order.
func ForEachSystem(store contracts.Store, fn func(*custodyv1.SystemAccount)) {
	prefix := []byte{contracts.PrefixSystemAccount}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	for ; it.Valid(); it.Next() {
		var a custodyv1.SystemAccount
		contracts.Unmarshal(it.Key(), it.Value(), &a)
		fn(&a)
	}
}

// systemChange is the new state of a system account after a signed change,
// or an error when a figure would overflow or an unsigned account would go
// below zero.
func systemChange(a *custodyv1.SystemAccount, delta int64) (*custodyv1.SystemAccount, error) {
	out := &custodyv1.SystemAccount{Kind: a.Kind, Owner: a.Owner, Credited: a.Credited, Debited: a.Debited}
	var ok bool
	if delta >= 0 {
		out.Credited, ok = add(a.Credited, delta)
	} else {
		out.Debited, ok = add(a.Debited, -delta)
	}
	bal, ok2 := add(a.Balance, delta)
	if !ok || !ok2 || delta == minInt64 {
		return nil, ErrOverflow.Wrapf("system account %s/%s by %d", a.Kind, a.Owner, delta)
	}
	if bal < 0 && !Signed(a.Kind) {
		return nil, ErrInsufficient.Wrapf("system account %s/%s holds %d, %d asked", a.Kind, a.Owner, a.Balance, -delta)
	}
	out.Balance = bal
	return out, nil
}

const minInt64 = -1 << 63

func setSystem(store contracts.Store, a *custodyv1.SystemAccount) {
	store.Set(SystemAccountKey(SystemKey{a.Kind, a.Owner}), contracts.Marshal(a))
}

// MoveSystem moves amount (> 0) from one system account to another: how
// clearing pays a broker's settlement account out to the fee payees. The
// supply does not change. It checks before it writes.
func MoveSystem(ctx *contracts.Context, from, to SystemKey, amount int64, refID string) error {
	if amount <= 0 {
		return ErrOverflow.Wrapf("move of %d", amount)
	}
	if from == to {
		return nil
	}
	a, err := systemChange(GetSystem(ctx.Store, from), -amount)
	if err != nil {
		return err
	}
	b, err := systemChange(GetSystem(ctx.Store, to), amount)
	if err != nil {
		return err
	}
	setSystem(ctx.Store, a)
	setSystem(ctx.Store, b)
	ctx.Emit("system_transfer",
		"from", fmt.Sprintf("%s/%s", from.Kind, from.Owner),
		"to", fmt.Sprintf("%s/%s", to.Kind, to.Owner),
		"amount", fmt.Sprint(amount), "ref_id", refID)
	return nil
}

// SettleWithClearing settles a broker's net obligation with the clearing
// house, across the custody boundary: amount > 0 leaves the broker's
// settlement account for the clearing house (its clients bought more than
// they sold), amount < 0 arrives from it. The supply moves with it
// (to_clearing, from_clearing). It checks before it writes.
func SettleWithClearing(ctx *contracts.Context, brokerID string, amount int64, refID string) error {
	if amount == 0 {
		return nil
	}
	k := BrokerSettlement(brokerID)
	a, err := systemChange(GetSystem(ctx.Store, k), -amount)
	if err != nil {
		return err
	}
	s := GetSupply(ctx.Store)
	total, ok := add(s.Total, -amount)
	var ok2 bool
	if amount > 0 {
		s.ToClearing, ok2 = add(s.ToClearing, amount)
	} else {
		s.FromClearing, ok2 = add(s.FromClearing, -amount)
	}
	if !ok || !ok2 || amount == minInt64 {
		return ErrOverflow.Wrapf("clearing settlement of %d for %s", amount, brokerID)
	}
	if total < 0 {
		panic(fmt.Sprintf("funds: invariant broken: settling %d for %s leaves supply %d", amount, brokerID, total))
	}
	s.Total = total
	setSystem(ctx.Store, a)
	ctx.Store.Set(SupplyKey(), contracts.Marshal(s))
	ctx.Emit("clearing_settlement", "broker_id", brokerID, "amount", fmt.Sprint(amount), "ref_id", refID)
	return nil
}
