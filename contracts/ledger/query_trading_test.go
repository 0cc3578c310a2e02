package ledger_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/custody-ledger/custody/contracts/ledger"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// TestQuery_Trading asks every trading query path over a cleared day with
// a settlement break and a reconciliation break, and checks what each
// answers.
func TestQuery_Trading(t *testing.T) {
	e := clearingWorld(t)
	e.must(sClearing, eodMsg(day1, day2, func(m *custodyv1.MsgEndOfDay) {
		m.TradeTotals = []*custodyv1.TradeTotals{totals(brokerX, 1, 1, 0)}
		m.ClosingPrices = []*custodyv1.ClosingPrice{{Security: secMain, Price: cny(10, 0)}}
	}))
	e.must(sBankA, statementMsg(day1, brokerX, 1, 1, sha("C1,1\n")))
	e.checkInvariants()

	cases := []struct {
		path string
		want []string // substrings of the answer
	}{
		{"business-day", []string{`"date":20250103`, `"previous_date":20250102`}},
		{"trading-params", []string{`"min_commission":"500"`, `"default_commission_rate":"25000"`}},
		{"instruments", []string{`"security":"600000.SH"`, `"security":"688001.SH"`}},
		{"instrument/600000.SH", []string{`"reference_price":"100000"`, `"market":"MARKET_SSE"`}},
		{"position/600000.SH", []string{`"quantity":"-1300"`}}, // C1: 1 000 seeded + 300 bought
		{"orders/C1", []string{`"id":"C1/o1"`, `"id":"C1/s1"`}},
		{"orders/C1?status=expired&limit=1", []string{`"id":"C1/o1"`, `"next":"s1"`}},
		{"orders/C1?status=filled", []string{`{"orders":[]}`}},
		{"order/C1/o1", []string{`"status":"ORDER_STATUS_EXPIRED"`, `"filled_quantity":"300"`}},
		{"fills/C1/o1", []string{`"exec_id":"X1"`, `"cash":"-300519"`}},
		{"fill/X1", []string{`"order_id":"C1/o1"`, `"value":"300000"`}},
		{"day-fills/20250102/broker-x", []string{`"exec_id":"X1"`}},
		// The day's settlement break holds C1's T+1 purchase unsettled.
		{"holdings/C1", []string{`"security":"600000.SH"`, `"sellable":"1000"`, `"unsettled":"300"`}},
		{"holding/C1/600000.SH", []string{`"balance":"1300"`}},
		{"reports/20250102", []string{`"broker_id":"broker-x"`, `"broker_id":"broker-y"`}},
		{"report/20250102/broker-x", []string{`"fill_count":1`, `"settlement_break":true`, `"net_cash":"300519"`}},
		{"settlement-breaks", []string{`"broker_id":"broker-x"`, `"buy_value":"300000"`, `"buy_value":"1"`}},
		{"settlement-breaks?from=20250103", []string{`{"breaks":[]}`}},
		{"snapshot/20250102/bank-a/broker-x", []string{`"client_count":3`}},
		{"reconciliation/20250102", []string{`"status":"RECON_STATUS_BREAK"`}},
		{"reconciliation/20250102/bank-a/broker-x", []string{`"bank_total":"1"`, `"chain_client_count":3`}},
		{"reconciliation-breaks", []string{`"bank_id":"bank-a"`}},
		{"fee-accounts", []string{`"kind":"SYSTEM_ACCOUNT_KIND_COMMISSION"`, `"owner":"broker-x"`, `"balance":"500"`}},
		{"system-account/handling_fee/SSE", []string{`"balance":"10"`}},
		{"supply", []string{`"to_clearing":"300000"`}},
	}
	for _, c := range cases {
		out, err := ledger.Query(e.mem, auditor, c.path, nil)
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		if !json.Valid(out) {
			t.Errorf("%s: not JSON: %s", c.path, out)
		}
		for _, w := range c.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: %s lacks %s", c.path, out, w)
			}
		}
	}
	for _, c := range []struct {
		path string
		want error
	}{
		{"instrument/600999.SH", ledger.ErrNotFound},
		{"order/C1/zz", ledger.ErrNotFound},
		{"order/C1", ledger.ErrBadQuery},
		{"fill/none", ledger.ErrNotFound},
		{"orders/C1?status=nonsense", ledger.ErrBadQuery},
		{"report/20250102/broker-z", ledger.ErrNotFound},
		{"reports/x", ledger.ErrBadQuery},
		{"reconciliation/20250102/bank-b/broker-x", ledger.ErrNotFound},
		{"system-account/none/x", ledger.ErrBadQuery},
		{"day-fills/20250102", ledger.ErrBadQuery},
	} {
		if _, err := ledger.Query(e.mem, auditor, c.path, nil); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.path, err, c.want)
		}
	}
}
