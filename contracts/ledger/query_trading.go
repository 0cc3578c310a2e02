package ledger

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/interest"
	"github.com/custody-ledger/custody/contracts/reconcile"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// tradingQueryPaths are the trading, clearing and reconciliation paths of
// Query. Lists page with "?from=...&limit=N" (limit ≤ MaxListPage).
var tradingQueryPaths = []string{
	"business-day", "trading-params", "instruments", "instrument/<security>", "position/<security>",
	"orders/<account id>", "order/<account id>/<suffix>", "fills/<account id>/<suffix>", "fill/<exec id>",
	"day-fills/<date>/<broker id>", "holdings/<account id>", "holding/<account id>/<security>",
	"reports/<date>", "report/<date>/<broker id>", "settlement-breaks",
	"snapshot/<date>/<bank id>/<broker id>", "reconciliation/<date>", "reconciliation/<date>/<bank id>/<broker id>",
	"reconciliation-breaks", "fee-accounts", "system-account/<kind>/<owner>",
	"reconciliation-checks/<date>", "interest-postings/<period end>",
	"statement/<account id>/<period>",
}

// MaxListPage bounds one page of a trading list query.
const MaxListPage = 1000

// MaxListScan bounds the records a filtered list reads for one answer.
const MaxListScan = 10 * MaxListPage

// trading answers the paths of tradingQueryPaths; ok is false for any
// other head. Every record and list goes through the reader's policy, as
// in Query.
func (rd reading) trading(head, rest, rawQuery string) (out []byte, ok bool, err error) {
	store := rd.store
	wrap := func(bz []byte, err error) ([]byte, bool, error) { return bz, true, err }
	clearingHouse := []custodyv1.Role{custodyv1.Role_ROLE_CLEARING_HOUSE}
	account := contracts.Audience{Account: parts0(rest)}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, true, ErrBadQuery.Wrapf("%v", err)
	}
	limit := MaxListPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, true, ErrBadQuery.Wrapf("limit %q", v)
		}
		if n > 0 && n < MaxListPage {
			limit = n
		}
	}
	from := q.Get("from")
	parts := strings.Split(rest, "/")
	arity := func(n int, form string) error {
		if len(parts) != n || slicesHasEmpty(parts) {
			return ErrBadQuery.Wrapf("%s/%s, got %q", head, form, rest)
		}
		return nil
	}
	date := func(s string) (uint32, error) {
		d, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return 0, ErrBadQuery.Wrapf("date %q", s)
		}
		return uint32(d), nil
	}
	switch head {
	case "business-day":
		return recordOK(trading.GetBusinessDay(store))
	case "trading-params":
		return recordOK(trading.GetParams(store))
	case "instruments":
		var insts []*custodyv1.Instrument
		trading.ForEachInstrument(store, func(i *custodyv1.Instrument) { insts = append(insts, i) })
		return listOK("instruments", insts, "")
	case "instrument":
		return wrap(rd.getMessage(trading.InstrumentKey(rest), &custodyv1.Instrument{}))
	case "position":
		if err := rd.admit(contracts.Audience{Roles: clearingHouse}); err != nil {
			return nil, true, err
		}
		return recordOK(trading.GetPosition(store, rest))
	case "orders":
		if err := arity(1, "<account id>"); err != nil {
			return nil, true, err
		}
		if err := rd.admitAccount(rest); err != nil {
			return nil, true, err
		}
		var statuses []custodyv1.OrderStatus
		if v := q.Get("status"); v != "" {
			for _, name := range strings.Split(v, ",") {
				s, ok := trading.ParseStatus(name)
				if !ok {
					return nil, true, ErrBadQuery.Wrapf("status %q", name)
				}
				statuses = append(statuses, s)
			}
		}
		orders, next := trading.OrdersOf(store, rest, statuses, from, limit)
		return listOK("orders", orders, next)
	case "order", "fills":
		if err := arity(2, "<account id>/<suffix>"); err != nil {
			return nil, true, err
		}
		var o custodyv1.Order
		bz, err := rd.getMessage(trading.OrderKey(rest), &o)
		if err != nil || head == "order" {
			return bz, true, err
		}
		return listOK("fills", trading.FillsOfOrder(store, o.Id), "")
	case "fill":
		return wrap(rd.getMessage(trading.FillKey(rest), &custodyv1.Fill{}))
	case "day-fills":
		if err := arity(2, "<date>/<broker id>"); err != nil {
			return nil, true, err
		}
		d, err := date(parts[0])
		if err != nil {
			return nil, true, err
		}
		if err := rd.admit(clearing.SettlementAudience(parts[1])); err != nil {
			return nil, true, err
		}
		fills := trading.FillsOfDay(store, d, parts[1], from, limit+1)
		next := ""
		if len(fills) > limit {
			next, fills = fills[limit].ExecId, fills[:limit]
		}
		return listOK("fills", fills, next)
	case "holdings":
		if err := arity(1, "<account id>"); err != nil {
			return nil, true, err
		}
		if err := rd.admitAccount(rest); err != nil {
			return nil, true, err
		}
		return listOK("holdings", trading.Holdings(store, rest), "")
	case "holding":
		if err := arity(2, "<account id>/<security>"); err != nil {
			return nil, true, err
		}
		return wrap(rd.orZero(trading.HoldingKey(parts[0], parts[1]), account,
			&custodyv1.Holding{AccountId: parts[0], Security: parts[1]}))
	case "reports", "report":
		d, err := date(parts[0])
		if err != nil {
			return nil, true, err
		}
		if head == "reports" {
			if err := arity(1, "<date>"); err != nil {
				return nil, true, err
			}
			return listOK("reports", scanFrom[*custodyv1.SettlementReport](rd, clearing.ReportsPrefix(d), clearing.ReportsPrefix(d), 0), "")
		}
		if err := arity(2, "<date>/<broker id>"); err != nil {
			return nil, true, err
		}
		return wrap(rd.getMessage(clearing.ReportKey(d, parts[1]), &custodyv1.SettlementReport{}))
	case "settlement-breaks":
		start := clearing.BreaksPrefixAll()
		if from != "" {
			d, err := date(from)
			if err != nil {
				return nil, true, err
			}
			start = clearing.BreaksPrefix(d)
		}
		return listOK("breaks", scanFrom[*custodyv1.SettlementBreak](rd, start, clearing.BreaksPrefixAll(), limit), "")
	case "snapshot":
		if err := arity(3, "<date>/<bank id>/<broker id>"); err != nil {
			return nil, true, err
		}
		d, err := date(parts[0])
		if err != nil {
			return nil, true, err
		}
		if err := rd.admit(reconcile.ResultAudience(parts[1], parts[2])); err != nil {
			return nil, true, err
		}
		return recordOK(reconcile.Snapshot(store, d, parts[1], parts[2]))
	case "reconciliation":
		d, err := date(parts[0])
		if err != nil {
			return nil, true, err
		}
		switch len(parts) {
		case 1:
			return listOK("results", rd.recons(reconcile.Results(store, d)), "")
		case 3:
			return wrap(rd.getMessage(reconcile.ResultKey(d, parts[1], parts[2]), &custodyv1.ReconResult{}))
		}
		return nil, true, ErrBadQuery.Wrapf("reconciliation/<date>[/<bank id>/<broker id>], got %q", rest)
	case "reconciliation-checks":
		d, err := date(rest)
		if err != nil {
			return nil, true, err
		}
		// {"checks": [ReconCheck...], "breaks": [ReconBreak...]}: the six
		// checks' results of the date and every item that broke.
		// A check is read by its counterparty (the bank or the clearing
		// house that filed), its broker and the clearing house, as the
		// statement reconciliation results are (reconcile.ResultAudience).
		var checks []*custodyv1.ReconCheck
		for _, c := range reconcile.Checks(store, d) {
			if rd.admits(reconcile.ResultAudience(c.CounterpartyId, c.BrokerId)) {
				checks = append(checks, c)
			}
		}
		var breaks []*custodyv1.ReconBreak
		for _, c := range checks {
			breaks = append(breaks, reconcile.ItemBreaks(store, c)...)
		}
		raws := map[string][]json.RawMessage{"checks": {}, "breaks": {}}
		for _, c := range checks {
			bz, err := record(c)
			if err != nil {
				return nil, true, err
			}
			raws["checks"] = append(raws["checks"], bz)
		}
		for _, b := range breaks {
			bz, err := record(b)
			if err != nil {
				return nil, true, err
			}
			raws["breaks"] = append(raws["breaks"], bz)
		}
		bz, err := json.Marshal(raws)
		return bz, true, err
	case "statement":
		if err := arity(2, "<account id>/<YYYYMMDD|YYYYMM>"); err != nil {
			return nil, true, err
		}
		if err := rd.admitAccount(parts[0]); err != nil {
			return nil, true, err
		}
		from, to, err := interest.StatementPeriod(parts[1])
		if err != nil {
			return nil, true, ErrBadQuery.Wrapf("%v", err)
		}
		st, err := interest.Statement(store, parts[0], from, to)
		if err != nil {
			return nil, true, ErrNotFound.Wrapf("%v", err)
		}
		return recordOK(st)
	case "interest-postings":
		d, err := date(rest)
		if err != nil {
			return nil, true, err
		}
		// A posting is read by the account's readers (its client, broker
		// and custody bank) and the regulator.
		var postings []*custodyv1.InterestPosting
		for _, p := range interest.Postings(store, d) {
			if rd.admits(contracts.Audience{Account: p.AccountId}) {
				postings = append(postings, p)
			}
		}
		return listOK("postings", postings, "")
	case "reconciliation-breaks":
		var d uint32
		if from != "" {
			if d, err = date(from); err != nil {
				return nil, true, err
			}
		}
		return listOK("breaks", rd.recons(reconcile.Breaks(store, d, limit)), "")
	case "fee-accounts":
		var accts []*custodyv1.SystemAccount
		funds.ForEachSystem(store, func(a *custodyv1.SystemAccount) {
			if rd.admits(contracts.Audience{Participants: []string{a.Owner}, Roles: clearingHouse}) {
				accts = append(accts, a)
			}
		})
		return listOK("accounts", accts, "")
	case "system-account":
		kind, owner, _ := strings.Cut(rest, "/")
		k, ok := custodyv1.SystemAccountKind_value[strings.ToUpper(kind)]
		if !ok {
			k, ok = custodyv1.SystemAccountKind_value["SYSTEM_ACCOUNT_KIND_"+strings.ToUpper(kind)]
		}
		if !ok || k == 0 {
			return nil, true, ErrBadQuery.Wrapf("system account kind %q", kind)
		}
		sk := funds.SystemKey{Kind: custodyv1.SystemAccountKind(k), Owner: owner}
		return wrap(rd.orZero(funds.SystemAccountKey(sk), contracts.Audience{Participants: []string{owner}, Roles: clearingHouse},
			&custodyv1.SystemAccount{Kind: sk.Kind, Owner: owner}))
	}
	return nil, false, nil
}

func slicesHasEmpty(ss []string) bool {
	for _, s := range ss {
		if s == "" {
			return true
		}
	}
	return false
}

func recordOK(m proto.Message) ([]byte, bool, error) {
	bz, err := record(m)
	return bz, true, err
}

// admits says whether the reader is in a.
func (rd reading) admits(a contracts.Audience) bool { return Policy().Admits(rd.store, rd.reader, a) }

// recons keeps the reconciliation results the reader may read.
func (rd reading) recons(rs []*custodyv1.ReconResult) []*custodyv1.ReconResult {
	out := rs[:0:0]
	for _, r := range rs {
		if rd.admits(reconcile.ResultAudience(r.BankId, r.BrokerId)) {
			out = append(out, r)
		}
	}
	return out
}

// parts0 is the first segment of rest: the account id of an account path.
func parts0(rest string) string {
	first, _, _ := strings.Cut(rest, "/")
	return first
}

// listOK wraps records as {"<name>": [...]} with "next" when a page ends
// before the list does.
func listOK[M proto.Message](name string, items []M, next string) ([]byte, bool, error) {
	raws := make([]json.RawMessage, 0, len(items))
	for _, it := range items {
		bz, err := record(it)
		if err != nil {
			return nil, true, err
		}
		raws = append(raws, bz)
	}
	out := map[string]any{name: raws}
	if next != "" {
		out["next"] = next
	}
	bz, err := json.Marshal(out)
	return bz, true, err
}

// scanFrom reads the records from start to the end of prefix's range
// that the reader may read, at most limit of them (0: all).
func scanFrom[M proto.Message](rd reading, start, prefix []byte, limit int) []M {
	it := rd.store.Iterator(start, contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []M
	// A reader who may read few of the records still reads a bounded
	// number of them: the page ends short rather than walk the state.
	for scanned := 0; it.Valid() && (limit <= 0 || len(out) < limit) && scanned < MaxListScan; it.Next() {
		scanned++
		if !Policy().MayRead(rd.store, rd.reader, it.Key(), it.Value()) {
			continue
		}
		var zero M
		m := zero.ProtoReflect().New().Interface().(M)
		contracts.Unmarshal(it.Key(), it.Value(), m)
		out = append(out, m)
	}
	return out
}
