package interest

import (
	"encoding/binary"
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// MaxStatementEntries bounds the ledger entries of one statement (a month
// of a very active account); the rest is flagged truncated.
const MaxStatementEntries = 5_000

// StatementPeriod parses a statement period: YYYYMMDD (a day) or YYYYMM (a
// month, its first to its last calendar day).
func StatementPeriod(s string) (from, to uint32, err error) {
	var n uint32
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, 0, fmt.Errorf("period %q: digits only", s)
		}
		n = n*10 + uint32(c-'0')
	}
	switch len(s) {
	case 8:
		if err := trading.ValidateDate(n); err != nil {
			return 0, 0, err
		}
		return n, n, nil
	case 6:
		first := n*100 + 1
		if err := trading.ValidateDate(first); err != nil {
			return 0, 0, err
		}
		next := first + 100
		if n%100 == 12 {
			next = (n/100+1)*10000 + 101
		}
		return first, AddDays(next, -1), nil
	}
	return 0, 0, fmt.Errorf("period %q: YYYYMMDD or YYYYMM", s)
}

// Statement builds a client's statement (对账单) for the calendar days
// from..to from the closing records of each day its ledger moved: the
// opening balance is the last close before from, the closing balance the
// last close up to to (or the balance so far when the period holds the
// business date still trading), the entries those closes delimit, the
// fills of those days, and the holdings at the end of the period.
func Statement(store contracts.Store, accountID string, from, to uint32) (*custodyv1.ClientStatement, error) {
	a, err := accounts.Get(store, accountID)
	if err != nil {
		return nil, err
	}
	st := &custodyv1.ClientStatement{AccountId: a.Id, BrokerId: a.BrokerId, BankId: a.BankId, FromDate: from, ToDate: to}
	st.OpeningBalance, _ = latestAtOrBefore(store, ClosingBalancesPrefix(a.Id), from-1)

	// The closes within the period, in date order.
	prefix := ClosingBalancesPrefix(a.Id)
	type dayClose struct {
		date uint32
		fig  *custodyv1.ClosingFigure
	}
	var closes []dayClose
	it := store.Iterator(ClosingBalanceKey(a.Id, from), ClosingBalanceKey(a.Id, to+1))
	for ; it.Valid(); it.Next() {
		d := dayClose{date: binary.BigEndian.Uint32(it.Key()[len(prefix):]), fig: &custodyv1.ClosingFigure{}}
		contracts.Unmarshal(it.Key(), it.Value(), d.fig)
		closes = append(closes, d)
	}
	it.Close()
	st.ClosingBalance = st.OpeningBalance
	type seqRange struct{ first, next uint64 }
	var ranges []seqRange
	var days []uint32
	for _, d := range closes {
		ranges = append(ranges, seqRange{d.fig.FirstSeq, d.fig.NextSeq})
		days = append(days, d.date)
		st.ClosingBalance = d.fig.Amount
	}

	// The business date still trading: its entries run from the last close
	// of any date to the newest entry.
	if day := trading.GetBusinessDay(store).Date; day != 0 && from <= day && day <= to {
		st.Open = true
		f := funds.Get(store, a.Id)
		if f != nil {
			var first uint64
			rev := store.ReverseIterator(prefix, contracts.PrefixEnd(prefix))
			if rev.Valid() {
				var last custodyv1.ClosingFigure
				contracts.Unmarshal(rev.Key(), rev.Value(), &last)
				first = last.NextSeq
			}
			rev.Close()
			ranges = append(ranges, seqRange{first, f.NextSeq})
			st.ClosingBalance = f.Balance
		}
		days = append(days, day)
	}

	for _, r := range ranges {
		for seq := r.first; seq < r.next && !st.Truncated; {
			page := funds.Entries(store, a.Id, seq, 0)
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				if e.Seq >= r.next {
					break
				}
				if len(st.Entries) == MaxStatementEntries {
					st.Truncated = true
					break
				}
				st.Entries = append(st.Entries, e)
			}
			seq = page[len(page)-1].Seq + 1
		}
	}
	for _, d := range days {
		for _, f := range trading.FillsOfDay(store, d, a.BrokerId, "", 0) {
			if f.AccountId == a.Id {
				st.Fills = append(st.Fills, f)
			}
		}
	}
	if st.Open {
		for _, h := range trading.Holdings(store, a.Id) {
			st.Holdings = append(st.Holdings, &custodyv1.HoldingLine{AccountId: a.Id, Security: h.Security, Quantity: h.Balance})
		}
	} else {
		for _, sec := range TradedSecurities(store, a.Id, to) {
			if q := ClosingHolding(store, a.Id, sec, to); q != 0 {
				st.Holdings = append(st.Holdings, &custodyv1.HoldingLine{AccountId: a.Id, Security: sec, Quantity: q})
			}
		}
	}
	return st, nil
}
