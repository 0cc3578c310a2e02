package funds

import (
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Invariants of the funds contract, in a fixed order.
func Invariants() []contracts.Invariant {
	return []contracts.Invariant{
		{Name: "funds/figures", Check: checkFigures},
		{Name: "funds/ledger-tail", Check: checkLedgerTail},
		{Name: "funds/money-conserved", Check: checkConserved},
		{Name: "funds/system-accounts", Check: checkSystem},
	}
}

// checkFigures: per account, balance = available + frozen, none negative,
// withdrawable = max(available − unsettled, 0).
func checkFigures(store contracts.Store) (string, bool) {
	n := 0
	var bad string
	ForEach(store, func(id string, f *custodyv1.Funds) {
		n++
		if bad != "" {
			return
		}
		switch {
		case f.Balance < 0 || f.Frozen < 0 || f.Available < 0 || f.Unsettled < 0 || f.Withdrawable < 0:
			bad = fmt.Sprintf("account %s has a negative figure: %v", id, f)
		case f.Available != f.Balance-f.Frozen:
			bad = fmt.Sprintf("account %s: balance %d ≠ available %d + frozen %d", id, f.Balance, f.Available, f.Frozen)
		case f.Withdrawable != max(f.Available-f.Unsettled, 0):
			bad = fmt.Sprintf("account %s: withdrawable %d ≠ available %d − unsettled %d", id, f.Withdrawable, f.Available, f.Unsettled)
		}
	})
	if bad != "" {
		return bad, true
	}
	return fmt.Sprintf("%d accounts: balance = available + frozen, none negative", n), false
}

// checkLedgerTail: the newest fund-ledger entry of each account carries the
// account's current balance and frozen, and is numbered next_seq − 1. With
// entries written only together with the Funds record, this says that no
// change of funds went unrecorded.
func checkLedgerTail(store contracts.Store) (string, bool) {
	n := 0
	var bad string
	ForEach(store, func(id string, f *custodyv1.Funds) {
		n++
		if bad != "" {
			return
		}
		last := LastEntry(store, id)
		switch {
		case last == nil && (f.NextSeq != 0 || f.Balance != 0 || f.Frozen != 0):
			bad = fmt.Sprintf("account %s has funds %v but no ledger entry", id, f)
		case last != nil && (last.Seq+1 != f.NextSeq || last.Balance != f.Balance || last.Frozen != f.Frozen || last.Unsettled != f.Unsettled):
			bad = fmt.Sprintf("account %s: last entry %d (balance %d, frozen %d, unsettled %d) does not match funds (next %d, balance %d, frozen %d, unsettled %d)",
				id, last.Seq, last.Balance, last.Frozen, last.Unsettled, f.NextSeq, f.Balance, f.Frozen, f.Unsettled)
		}
	})
	if bad != "" {
		return bad, true
	}
	return fmt.Sprintf("%d accounts: every change of funds is in the fund ledger", n), false
}

// checkConserved: the sum of every client's balance and every system
// account's balance (fee payees, broker settlement accounts) equals the
// supply, and the supply is what crossed the custody boundary: paid in by
// the banks minus paid out, plus what the clearing house paid the brokers'
// clients net minus what it received. Trading and clearing otherwise only
// move money between the accounts.
func checkConserved(store contracts.Store) (string, bool) {
	var clients, system int64
	overflow := false
	ForEach(store, func(_ string, f *custodyv1.Funds) {
		s, ok := add(clients, f.Balance)
		overflow = overflow || !ok
		clients = s
	})
	ForEachSystem(store, func(a *custodyv1.SystemAccount) {
		s, ok := add(system, a.Balance)
		overflow = overflow || !ok
		system = s
	})
	sum, ok := add(clients, system)
	overflow = overflow || !ok
	s := GetSupply(store)
	in0, ok0 := add(s.Deposited, s.Interest)
	in, ok1 := add(in0, s.FromClearing)
	out, ok2 := add(s.Withdrawn, s.ToClearing)
	switch {
	case overflow || !ok0 || !ok1 || !ok2:
		return "the sum of balances overflows int64", true
	case s.Total < 0 || s.Deposited < 0 || s.Withdrawn < 0 || s.FromClearing < 0 || s.ToClearing < 0 || s.Interest < 0:
		return fmt.Sprintf("negative supply figure: %v", s), true
	case s.Total != in-out:
		return fmt.Sprintf("supply %d ≠ deposited %d + interest %d − withdrawn %d + from clearing %d − to clearing %d",
			s.Total, s.Deposited, s.Interest, s.Withdrawn, s.FromClearing, s.ToClearing), true
	case sum != s.Total:
		return fmt.Sprintf("client balances %d + system accounts %d = %d ≠ supply %d", clients, system, sum, s.Total), true
	}
	return fmt.Sprintf("client balances %d + system accounts %d = supply %d (deposited %d + interest %d − withdrawn %d + from clearing %d − to clearing %d)",
		clients, system, sum, s.Deposited, s.Interest, s.Withdrawn, s.FromClearing, s.ToClearing), false
}

// checkSystem: every system account's balance is what was credited minus
// what was debited, both non-negative, and only the signed kinds (a
// broker's settlement account, the clearing house) are below zero.
func checkSystem(store contracts.Store) (string, bool) {
	n := 0
	var bad string
	ForEachSystem(store, func(a *custodyv1.SystemAccount) {
		n++
		switch {
		case bad != "":
		case a.Credited < 0 || a.Debited < 0 || a.Balance != a.Credited-a.Debited:
			bad = fmt.Sprintf("system account %s/%s: balance %d ≠ credited %d − debited %d", a.Kind, a.Owner, a.Balance, a.Credited, a.Debited)
		case a.Balance < 0 && !Signed(a.Kind):
			bad = fmt.Sprintf("system account %s/%s is negative: %d", a.Kind, a.Owner, a.Balance)
		case a.Kind == custodyv1.SystemAccountKind_SYSTEM_ACCOUNT_KIND_UNSPECIFIED || custodyv1.SystemAccountKind_name[int32(a.Kind)] == "":
			bad = fmt.Sprintf("system account %q has no kind", a.Owner)
		}
	})
	if bad != "" {
		return bad, true
	}
	return fmt.Sprintf("%d system accounts: balance = credited − debited, only broker settlement accounts signed", n), false
}
