package ledger

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/adjustments"
	"github.com/custody-ledger/custody/contracts/calendar"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// correctionsQueryPaths are the paths of the corrections (issue #18):
// adjustments, receivables, held settlements and the calendar.
var correctionsQueryPaths = []string{
	"adjustment/<id>", "adjustments", "adjustment-params", "receivable/<account id>",
	"held-settlements", "held-settlement/<date>/<broker id>", "calendar", "calendar/<date>",
}

// queryCorrections answers correctionsQueryPaths; ok is false for any
// other head.
//
// Who may read follows the read policy: an adjustment is its break's
// parties' and the clearing house's (adjustments.Audience; and the
// regulator's, who reads all); a receivable is its account's; a held settlement its
// broker's and the clearing house's; the calendar and the adjustment
// parameters are public. Anything else is not found.
func (q reading) queryCorrections(head, rest, rawQuery string) (out []byte, ok bool, err error) {
	store := q.store
	clearingHouse := []custodyv1.Role{custodyv1.Role_ROLE_CLEARING_HOUSE}
	adjustmentAudience := adjustments.Audience
	switch head {
	case "adjustment":
		a, err := adjustments.Get(store, rest)
		if err != nil || !q.admits(adjustmentAudience(a)) {
			return nil, true, q.notFound()
		}
		out, err = record(a)
		return out, true, err
	case "adjustments":
		// Every adjustment in id order, optionally from ?from=<id>, at
		// most ?limit=N (≤ MaxListPage).
		from, limit, err := idPage(rawQuery)
		if err != nil {
			return nil, true, err
		}
		var all []*custodyv1.Adjustment
		adjustments.ForEach(store, func(a *custodyv1.Adjustment) {
			if a.Id >= from && len(all) < limit && q.admits(adjustmentAudience(a)) {
				all = append(all, a)
			}
		})
		out, err = list("adjustments", all, nil)
		return out, true, err
	case "adjustment-params":
		out, err = record(adjustments.GetParams(store))
		return out, true, err
	case "receivable":
		if err := q.admitAccount(rest); err != nil {
			return nil, true, err
		}
		r := funds.GetReceivable(store, rest)
		if r == nil {
			// Owing nothing is an answer, not an absence.
			r = &custodyv1.Receivable{AccountId: rest}
		}
		out, err = record(r)
		return out, true, err
	case "held-settlements":
		var all []*custodyv1.HeldSettlement
		trading.ForEachHeld(store, func(h *custodyv1.HeldSettlement) {
			if q.admits(contracts.Audience{Participants: []string{h.BrokerId}, Roles: clearingHouse}) {
				all = append(all, h)
			}
		})
		out, err = list("held", all, nil)
		return out, true, err
	case "held-settlement":
		ds, broker, found := strings.Cut(rest, "/")
		d, perr := strconv.ParseUint(ds, 10, 32)
		if !found || perr != nil || broker == "" {
			return nil, true, ErrBadQuery.Wrapf("held-settlement/<date>/<broker id>, got %q", rest)
		}
		h, found := trading.GetHeld(store, uint32(d), broker)
		if !found || !q.admits(contracts.Audience{Participants: []string{broker}, Roles: clearingHouse}) {
			return nil, true, q.notFound()
		}
		out, err = record(h)
		return out, true, err
	case "calendar":
		if rest == "" {
			p, err := record(calendar.GetParams(store))
			if err != nil {
				return nil, true, err
			}
			c, err := record(calendar.GetCoverage(store))
			if err != nil {
				return nil, true, err
			}
			out, err = json.Marshal(map[string]json.RawMessage{"params": p, "coverage": c})
			return out, true, err
		}
		d, perr := strconv.ParseUint(rest, 10, 32)
		if perr != nil || trading.ValidateDate(uint32(d)) != nil {
			return nil, true, ErrBadQuery.Wrapf("calendar/<YYYYMMDD>, got %q", rest)
		}
		answer := map[string]any{"date": rest, "trading_day": true}
		if err := calendar.IsTradingDay(store, uint32(d)); err != nil {
			answer["trading_day"], answer["why_not"] = false, err.Error()
		}
		out, err = json.Marshal(answer)
		return out, true, err
	}
	return nil, false, nil
}

// idPage reads "?from=<id>&limit=N" of a list keyed by id.
func idPage(rawQuery string) (from string, limit int, err error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", 0, ErrBadQuery.Wrapf("%v", err)
	}
	limit = MaxListPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return "", 0, ErrBadQuery.Wrapf("limit %q", v)
		}
		if n > 0 && n < MaxListPage {
			limit = n
		}
	}
	return q.Get("from"), limit, nil
}
