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
		case last != nil && (last.Seq+1 != f.NextSeq || last.Balance != f.Balance || last.Frozen != f.Frozen):
			bad = fmt.Sprintf("account %s: last entry %d (balance %d, frozen %d) does not match funds (next %d, balance %d, frozen %d)",
				id, last.Seq, last.Balance, last.Frozen, f.NextSeq, f.Balance, f.Frozen)
		}
	})
	if bad != "" {
		return bad, true
	}
	return fmt.Sprintf("%d accounts: every change of funds is in the fund ledger", n), false
}

// checkConserved: the sum of every client's balance equals the supply, and
// the supply is what the banks paid in minus what they paid out. Only bank
// transfers change it.
func checkConserved(store contracts.Store) (string, bool) {
	var sum int64
	overflow := false
	ForEach(store, func(_ string, f *custodyv1.Funds) {
		s, ok := add(sum, f.Balance)
		overflow = overflow || !ok
		sum = s
	})
	s := GetSupply(store)
	switch {
	case overflow:
		return "the sum of balances overflows int64", true
	case s.Total < 0 || s.Deposited < 0 || s.Withdrawn < 0:
		return fmt.Sprintf("negative supply figure: %v", s), true
	case s.Total != s.Deposited-s.Withdrawn:
		return fmt.Sprintf("supply %d ≠ deposited %d − withdrawn %d", s.Total, s.Deposited, s.Withdrawn), true
	case sum != s.Total:
		return fmt.Sprintf("sum of balances %d ≠ supply %d", sum, s.Total), true
	}
	return fmt.Sprintf("sum of balances = supply = %d (deposited %d − withdrawn %d)", sum, s.Deposited, s.Withdrawn), false
}
