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

// queryTrading answers the paths of tradingQueryPaths; ok is false for
// any other head.
func queryTrading(store contracts.Store, head, rest, rawQuery string) (out []byte, ok bool, err error) {
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
		inst, err := trading.GetInstrument(store, rest)
		if err != nil {
			return nil, true, ErrNotFound.Wrapf("%v", err)
		}
		return recordOK(inst)
	case "position":
		return recordOK(trading.GetPosition(store, rest))
	case "orders":
		if err := arity(1, "<account id>"); err != nil {
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
		o, err := trading.GetOrder(store, rest)
		if err != nil {
			return nil, true, ErrNotFound.Wrapf("%v", err)
		}
		if head == "order" {
			return recordOK(o)
		}
		return listOK("fills", trading.FillsOfOrder(store, o.Id), "")
	case "fill":
		f, found := trading.GetFill(store, rest)
		if !found {
			return nil, true, ErrNotFound.Wrapf("fill %q", rest)
		}
		return recordOK(f)
	case "day-fills":
		if err := arity(2, "<date>/<broker id>"); err != nil {
			return nil, true, err
		}
		d, err := date(parts[0])
		if err != nil {
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
		return listOK("holdings", trading.Holdings(store, rest), "")
	case "holding":
		if err := arity(2, "<account id>/<security>"); err != nil {
			return nil, true, err
		}
		return recordOK(trading.GetHolding(store, parts[0], parts[1]))
	case "reports", "report":
		d, err := date(parts[0])
		if err != nil {
			return nil, true, err
		}
		if head == "reports" {
			if err := arity(1, "<date>"); err != nil {
				return nil, true, err
			}
			return listOK("reports", scan[*custodyv1.SettlementReport](store, clearing.ReportsPrefix(d), 0), "")
		}
		if err := arity(2, "<date>/<broker id>"); err != nil {
			return nil, true, err
		}
		return getOK(store, clearing.ReportKey(d, parts[1]), &custodyv1.SettlementReport{})
	case "settlement-breaks":
		start := clearing.BreaksPrefixAll()
		if from != "" {
			d, err := date(from)
			if err != nil {
				return nil, true, err
			}
			start = clearing.BreaksPrefix(d)
		}
		return listOK("breaks", scanFrom[*custodyv1.SettlementBreak](store, start, clearing.BreaksPrefixAll(), limit), "")
	case "snapshot":
		if err := arity(3, "<date>/<bank id>/<broker id>"); err != nil {
			return nil, true, err
		}
		d, err := date(parts[0])
		if err != nil {
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
			return listOK("results", reconcile.Results(store, d), "")
		case 3:
			r, found := reconcile.GetResult(store, d, parts[1], parts[2])
			if !found {
				return nil, true, ErrNotFound.Wrapf("no statement of %s for %s on %d", parts[1], parts[2], d)
			}
			return recordOK(r)
		}
		return nil, true, ErrBadQuery.Wrapf("reconciliation/<date>[/<bank id>/<broker id>], got %q", rest)
	case "reconciliation-checks":
		d, err := date(rest)
		if err != nil {
			return nil, true, err
		}
		// {"checks": [ReconCheck...], "breaks": [ReconBreak...]}: the six
		// checks' results of the date and every item that broke.
		checks := reconcile.Checks(store, d)
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
		return listOK("postings", interest.Postings(store, d), "")
	case "reconciliation-breaks":
		var d uint32
		if from != "" {
			if d, err = date(from); err != nil {
				return nil, true, err
			}
		}
		return listOK("breaks", reconcile.Breaks(store, d, limit), "")
	case "fee-accounts":
		var accts []*custodyv1.SystemAccount
		funds.ForEachSystem(store, func(a *custodyv1.SystemAccount) { accts = append(accts, a) })
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
		return recordOK(funds.GetSystem(store, funds.SystemKey{Kind: custodyv1.SystemAccountKind(k), Owner: owner}))
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

// getOK answers the record at key, or ErrNotFound.
func getOK(store contracts.Store, key []byte, m proto.Message) ([]byte, bool, error) {
	bz := store.Get(key)
	if bz == nil {
		return nil, true, ErrNotFound.Wrapf("no record at %x", key)
	}
	contracts.Unmarshal(key, bz, m)
	return recordOK(m)
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

// scan reads every record under prefix (at most limit; 0: all).
func scan[M proto.Message](store contracts.Store, prefix []byte, limit int) []M {
	return scanFrom[M](store, prefix, prefix, limit)
}

// scanFrom reads the records from start to the end of prefix's range.
func scanFrom[M proto.Message](store contracts.Store, start, prefix []byte, limit int) []M {
	it := store.Iterator(start, contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []M
	for ; it.Valid() && (limit <= 0 || len(out) < limit); it.Next() {
		var zero M
		m := zero.ProtoReflect().New().Interface().(M)
		contracts.Unmarshal(it.Key(), it.Value(), m)
		out = append(out, m)
	}
	return out
}
