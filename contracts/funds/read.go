package funds

import (
	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// MaxEntriesPerPage bounds one read of the fund ledger.
const MaxEntriesPerPage = 1000

// Entries returns up to limit fund-ledger entries of an account, from
// sequence fromSeq on, in sequence order. limit ≤ 0 or above
// MaxEntriesPerPage reads MaxEntriesPerPage.
func Entries(store contracts.Store, accountID string, fromSeq uint64, limit int) []*custodyv1.LedgerEntry {
	if limit <= 0 || limit > MaxEntriesPerPage {
		limit = MaxEntriesPerPage
	}
	prefix := EntriesPrefix(accountID)
	it := store.Iterator(EntryKey(accountID, fromSeq), contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []*custodyv1.LedgerEntry
	for ; it.Valid() && len(out) < limit; it.Next() {
		var e custodyv1.LedgerEntry
		contracts.Unmarshal(it.Key(), it.Value(), &e)
		out = append(out, &e)
	}
	return out
}

// LastEntry returns the newest ledger entry of an account, or nil.
func LastEntry(store contracts.Store, accountID string) *custodyv1.LedgerEntry {
	prefix := EntriesPrefix(accountID)
	it := store.ReverseIterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	if !it.Valid() {
		return nil
	}
	var e custodyv1.LedgerEntry
	contracts.Unmarshal(it.Key(), it.Value(), &e)
	return &e
}

// ForEach calls fn for every account's Funds in account-id byte order.
func ForEach(store contracts.Store, fn func(accountID string, f *custodyv1.Funds)) {
	prefix := []byte{contracts.PrefixFunds}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	for ; it.Valid(); it.Next() {
		var f custodyv1.Funds
		contracts.Unmarshal(it.Key(), it.Value(), &f)
		fn(string(it.Key()[1:]), &f)
	}
}

// ForEachCustodyTotal calls fn for every stored custody total in key order.
func ForEachCustodyTotal(store contracts.Store, fn func(*custodyv1.CustodyTotal)) {
	prefix := []byte{contracts.PrefixCustodyTotal}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	for ; it.Valid(); it.Next() {
		var t custodyv1.CustodyTotal
		contracts.Unmarshal(it.Key(), it.Value(), &t)
		fn(&t)
	}
}
