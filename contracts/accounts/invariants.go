package accounts

import (
	"fmt"
	"math"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/funds"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Invariants of the accounts contract, in a fixed order.
func Invariants() []contracts.Invariant {
	return []contracts.Invariant{
		{Name: "accounts/funds-only-when-confirmed", Check: checkFundsOwners},
		{Name: "accounts/custody-total", Check: checkCustodyTotals},
		{Name: "accounts/client-key", Check: checkClientKeys},
	}
}

// checkClientKeys: every live account's client key is claimed by that
// account; an active account's key is registered to it (ROLE_CLIENT, not
// disabled) and a closed account's is disabled; the key history counter
// matches the history; a pending replacement belongs to an active account
// and its key is claimed by it and not yet registered. (A pending
// account's key may meet an institution key registered since; Confirm
// refuses that, so it is no invariant.)
func checkClientKeys(store contracts.Store) (string, bool) {
	n := 0
	var bad string
	ForEach(store, func(a *custodyv1.Account) {
		if bad != "" || a.Status == custodyv1.AccountStatus_ACCOUNT_STATUS_REJECTED {
			return
		}
		n++
		if owner := store.Get(ClaimKey(a.ClientPubKey)); string(owner) != a.Id {
			bad = fmt.Sprintf("account %s: its key is claimed by %q", a.Id, owner)
			return
		}
		rec, err := auth.Get(store, auth.Address(a.ClientPubKey))
		switch a.Status {
		case custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE:
			if err != nil || rec.Disabled || rec.Role != custodyv1.Role_ROLE_CLIENT || rec.Owner != a.Id {
				bad = fmt.Sprintf("active account %s: key record %v %v", a.Id, rec, err)
			}
		case custodyv1.AccountStatus_ACCOUNT_STATUS_CLOSED:
			if err != nil || !rec.Disabled {
				bad = fmt.Sprintf("closed account %s: key record %v %v", a.Id, rec, err)
			}
		}
		if bad != "" {
			return
		}
		if evs := KeyEvents(store, a.Id, 0, 0); uint64(len(evs)) != a.KeyEvents && len(evs) < MaxKeyEventsPerPage {
			bad = fmt.Sprintf("account %s counts %d key events, has %d", a.Id, a.KeyEvents, len(evs))
			return
		}
		if p := GetPendingKey(store, a.Id); p != nil {
			_, regErr := auth.Get(store, auth.Address(p.NewClientPubKey))
			if a.Status != custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE || string(store.Get(ClaimKey(p.NewClientPubKey))) != a.Id || regErr == nil {
				bad = fmt.Sprintf("account %s (%s): bad pending key replacement %v", a.Id, a.Status, p)
			}
		}
	})
	if bad != "" {
		return bad, true
	}
	return fmt.Sprintf("%d accounts' client keys", n), false
}

// checkFundsOwners: an account has a funds record exactly when the bank
// confirmed it (active or, later, closed); a closed account is empty.
func checkFundsOwners(store contracts.Store) (string, bool) {
	n := 0
	var bad string
	ForEach(store, func(a *custodyv1.Account) {
		n++
		if bad != "" {
			return
		}
		f := funds.Get(store, a.Id)
		confirmed := a.Status == custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE ||
			a.Status == custodyv1.AccountStatus_ACCOUNT_STATUS_CLOSED
		switch {
		case confirmed != (f != nil):
			bad = fmt.Sprintf("account %s is %s but has funds record: %v", a.Id, a.Status, f != nil)
		case a.Status == custodyv1.AccountStatus_ACCOUNT_STATUS_CLOSED && !funds.IsEmpty(f):
			bad = fmt.Sprintf("closed account %s is not empty: %v", a.Id, f)
		}
	})
	nf := 0
	funds.ForEach(store, func(string, *custodyv1.Funds) { nf++ })
	if bad == "" && nf > n {
		bad = fmt.Sprintf("%d funds records for %d accounts", nf, n)
	}
	if bad != "" {
		return bad, true
	}
	return fmt.Sprintf("%d accounts, %d with funds", n, nf), false
}

// checkCustodyTotals: the bank's custody total for each broker equals the
// sum of the balances of that broker's clients at that bank (总分核对).
// The sums are built in a map used for look-up only: both comparisons walk
// the store in key order, so no map order is observed.
func checkCustodyTotals(store contracts.Store) (string, bool) {
	type pair struct{ bank, broker string }
	sums := map[pair]int64{}
	var bad string
	ForEach(store, func(a *custodyv1.Account) {
		f := funds.Get(store, a.Id)
		if f == nil || bad != "" {
			return
		}
		p := pair{a.BankId, a.BrokerId}
		if f.Balance > 0 && sums[p] > math.MaxInt64-f.Balance {
			bad = fmt.Sprintf("sum of balances at %s/%s overflows", a.BankId, a.BrokerId)
		}
		sums[p] += f.Balance
	})
	// Every stored total matches its clients (a total with no client must be 0).
	n := 0
	funds.ForEachCustodyTotal(store, func(t *custodyv1.CustodyTotal) {
		n++
		if sum := sums[pair{t.BankId, t.BrokerId}]; bad == "" && sum != t.Total {
			bad = fmt.Sprintf("custody total of bank %s for broker %s is %d, its clients' balances sum to %d",
				t.BankId, t.BrokerId, t.Total, sum)
		}
	})
	// Every pair with clients has its total (a missing total counts as 0).
	ForEach(store, func(a *custodyv1.Account) {
		sum, ok := sums[pair{a.BankId, a.BrokerId}]
		if bad == "" && ok && funds.GetCustodyTotal(store, a.BankId, a.BrokerId) != sum {
			bad = fmt.Sprintf("bank %s has custody total %d for broker %s, whose clients hold %d",
				a.BankId, funds.GetCustodyTotal(store, a.BankId, a.BrokerId), a.BrokerId, sum)
		}
	})
	if bad != "" {
		return bad, true
	}
	return fmt.Sprintf("%d (bank, broker) custody totals match their clients' balances", n), false
}
