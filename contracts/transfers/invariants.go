package transfers

import (
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/funds"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Invariants of the transfers contract, in a fixed order.
func Invariants() []contracts.Invariant {
	return []contracts.Invariant{
		{Name: "transfers/pending-frozen", Check: checkPendingFrozen},
		{Name: "transfers/reversals-linked", Check: checkReversals},
	}
}

// ForEach calls fn for every transfer in key order.
func ForEach(store contracts.Store, fn func(*custodyv1.Transfer)) {
	prefix := []byte{contracts.PrefixTransfer}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	for ; it.Valid(); it.Next() {
		var t custodyv1.Transfer
		contracts.Unmarshal(it.Key(), it.Value(), &t)
		fn(&t)
	}
}

// checkPendingFrozen: each account's open-withdrawal count is its number of
// pending withdrawals, and its frozen figure holds at least their sum: open
// orders freeze money too. The exact account — frozen = pending withdrawals
// + open orders' freezes — is trading/frozen-funds, which knows the orders.
func checkPendingFrozen(store contracts.Store) (string, bool) {
	type open struct {
		n   uint32
		sum int64
	}
	pending := map[string]open{}
	var bad string
	ForEach(store, func(t *custodyv1.Transfer) {
		if t.Status != custodyv1.TransferStatus_TRANSFER_STATUS_PENDING {
			return
		}
		if t.Direction != custodyv1.TransferDirection_TRANSFER_DIRECTION_BROKER_TO_BANK && bad == "" {
			bad = fmt.Sprintf("transfer %s is pending but not a withdrawal", RefID(t.BankId, t.Id))
		}
		o := pending[t.AccountId]
		o.n++
		o.sum += t.Amount // each ≤ MaxAmount; at most 2^32 of them: no overflow
		pending[t.AccountId] = o
	})
	n, accountsSeen := 0, 0
	funds.ForEach(store, func(id string, f *custodyv1.Funds) {
		o, ok := pending[id]
		if ok {
			accountsSeen++
			n += int(o.n)
		}
		if bad == "" && (f.OpenWithdrawals != o.n || f.Frozen < o.sum) {
			bad = fmt.Sprintf("account %s: %d open withdrawals and frozen %d, but %d pending transfers of %d",
				id, f.OpenWithdrawals, f.Frozen, o.n, o.sum)
		}
	})
	if bad == "" && accountsSeen != len(pending) {
		bad = fmt.Sprintf("pending withdrawals for %d accounts without funds", len(pending)-accountsSeen)
	}
	if bad != "" {
		return bad, true
	}
	return fmt.Sprintf("%d pending withdrawals, each frozen on its account", n), false
}

// checkReversals: every reversal names a completed original at its bank
// that names it back, moves the same amount the other way on the same
// business day, and (for a deposit) took back plus left owed exactly the
// deposit; and every open receivable owes no more than its account's
// deposit reversals left owed.
func checkReversals(store contracts.Store) (string, bool) {
	n := 0
	owed := map[string]int64{}
	var bad string
	ForEach(store, func(t *custodyv1.Transfer) {
		if bad != "" {
			return
		}
		if t.ReversedBy != "" && t.ReversedBy != ReversalID(t.Id) {
			bad = fmt.Sprintf("%s is reversed by %q", RefID(t.BankId, t.Id), t.ReversedBy)
			return
		}
		if t.Reverses == "" {
			return
		}
		n++
		orig, err := Get(store, t.BankId, t.Reverses)
		switch {
		case err != nil:
			bad = fmt.Sprintf("reversal %s has no original", RefID(t.BankId, t.Id))
		case t.Id != ReversalID(orig.Id) || orig.ReversedBy != t.Id:
			bad = fmt.Sprintf("reversal %s and %s do not name each other", RefID(t.BankId, t.Id), RefID(orig.BankId, orig.Id))
		case orig.Status != custodyv1.TransferStatus_TRANSFER_STATUS_COMPLETED || orig.Amount != t.Amount ||
			orig.Direction == t.Direction || orig.AccountId != t.AccountId || orig.BusinessDate != t.BusinessDate:
			bad = fmt.Sprintf("reversal %s does not mirror its original %v", RefID(t.BankId, t.Id), orig)
		case orig.Direction == custodyv1.TransferDirection_TRANSFER_DIRECTION_BANK_TO_BROKER &&
			(t.TakenBack < 0 || t.Owed < 0 || t.TakenBack+t.Owed != t.Amount):
			bad = fmt.Sprintf("deposit reversal %s took %d and left %d of %d", RefID(t.BankId, t.Id), t.TakenBack, t.Owed, t.Amount)
		default:
			owed[t.AccountId] += t.Owed
		}
	})
	if bad == "" {
		funds.ForEachReceivable(store, func(r *custodyv1.Receivable) {
			if bad == "" && r.Total > owed[r.AccountId] {
				bad = fmt.Sprintf("receivable of %s totals %d, its deposit reversals left %d owed", r.AccountId, r.Total, owed[r.AccountId])
			}
		})
	}
	if bad != "" {
		return bad, true
	}
	return fmt.Sprintf("%d reversals, each linked to its original", n), false
}
