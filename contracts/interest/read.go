package interest

import (
	"encoding/binary"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// GetPosting returns an account's interest posting of the period ending on
// periodEnd, or nil.
func GetPosting(store contracts.Store, periodEnd uint32, accountID string) *custodyv1.InterestPosting {
	k := PostingKey(periodEnd, accountID)
	bz := store.Get(k)
	if bz == nil {
		return nil
	}
	var p custodyv1.InterestPosting
	contracts.Unmarshal(k, bz, &p)
	return &p
}

// Postings returns the postings of a period end in account-id order.
func Postings(store contracts.Store, periodEnd uint32) []*custodyv1.InterestPosting {
	prefix := PostingsPrefix(periodEnd)
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []*custodyv1.InterestPosting
	for ; it.Valid(); it.Next() {
		var p custodyv1.InterestPosting
		contracts.Unmarshal(it.Key(), it.Value(), &p)
		out = append(out, &p)
	}
	return out
}

// latestAtOrBefore returns the value of the last key under prefix whose
// 4-byte date suffix is ≤ date.
func latestAtOrBefore(store contracts.Store, prefix []byte, date uint32) (int64, bool) {
	end := binary.BigEndian.AppendUint32(append([]byte{}, prefix...), date+1)
	it := store.ReverseIterator(prefix, end)
	defer it.Close()
	if !it.Valid() {
		return 0, false
	}
	var f custodyv1.ClosingFigure
	contracts.Unmarshal(it.Key(), it.Value(), &f)
	return f.Amount, true
}

// ClosingBalance is an account's balance at the close of date: the
// closing balance of the last close on or before date at which it changed
// (0 if it never had one). Exact for any date the chain has closed.
func ClosingBalance(store contracts.Store, accountID string, date uint32) int64 {
	v, _ := latestAtOrBefore(store, ClosingBalancesPrefix(accountID), date)
	return v
}

// ClosingHolding is an account's holding of a security at the close of
// date, from the closes of the days it traded it.
func ClosingHolding(store contracts.Store, accountID, security string, date uint32) int64 {
	v, _ := latestAtOrBefore(store, ClosingHoldingsPrefix(accountID, security), date)
	return v
}

// Journal returns the chain's transfer journal of (date, bank, broker) in
// item-key order.
func Journal(store contracts.Store, date uint32, bankID, brokerID string) []*custodyv1.JournalLine {
	prefix := JournalPrefix(date, bankID, brokerID)
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []*custodyv1.JournalLine
	for ; it.Valid(); it.Next() {
		var l custodyv1.JournalLine
		contracts.Unmarshal(it.Key(), it.Value(), &l)
		out = append(out, &l)
	}
	return out
}

// TradedSecurities lists the securities an account has closing holdings
// of on or before date, in security order.
func TradedSecurities(store contracts.Store, accountID string, date uint32) []string {
	prefix := contracts.LenPrefixed([]byte{contracts.PrefixClosingHolding}, accountID)
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []string
	for ; it.Valid(); it.Next() {
		rest := it.Key()[len(prefix):]
		n := int(rest[0])
		sec := string(rest[1 : 1+n])
		d := binary.BigEndian.Uint32(rest[1+n:])
		if d <= date && (len(out) == 0 || out[len(out)-1] != sec) {
			out = append(out, sec)
		}
	}
	return out
}
