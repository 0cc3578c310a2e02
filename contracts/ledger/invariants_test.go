package ledger_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/contracts/transfers"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// TestInvariants_DetectCorruption breaks state behind the contracts' back,
// one way per invariant, and checks that exactly that invariant notices.
func TestInvariants_DetectCorruption(t *testing.T) {
	setFunds := func(e *env, id string, edit func(*custodyv1.Funds)) {
		f := funds.Get(e.mem, id)
		edit(f)
		e.mem.Set(funds.FundsKey(id), contracts.Marshal(f))
	}
	cases := []struct {
		invariant string
		corrupt   func(e *env)
	}{
		{"funds/figures", func(e *env) { setFunds(e, "C1", func(f *custodyv1.Funds) { f.Available++ }) }},
		{"funds/figures", func(e *env) { setFunds(e, "C2", func(f *custodyv1.Funds) { f.Frozen, f.Available = 5, -5 }) }},
		{"funds/ledger-tail", func(e *env) {
			e.mem.Delete(funds.EntryKey("C1", 1))
			setFunds(e, "C1", func(f *custodyv1.Funds) { f.NextSeq = 1 })
		}},
		{"funds/money-conserved", func(e *env) {
			s := funds.GetSupply(e.mem)
			s.Deposited++
			e.mem.Set(funds.SupplyKey(), contracts.Marshal(s))
		}},
		{"accounts/funds-only-when-confirmed", func(e *env) { funds.Open(e.mem, "P1") }},
		{"accounts/custody-total", func(e *env) {
			e.mem.Set(funds.CustodyTotalKey(bankA, brokerX), contracts.Marshal(&custodyv1.CustodyTotal{BankId: bankA, BrokerId: brokerX, Total: 1}))
		}},
		{"accounts/custody-total", func(e *env) { e.mem.Delete(funds.CustodyTotalKey(bankA, brokerX)) }},
		{"transfers/pending-frozen", func(e *env) { setFunds(e, "C1", func(f *custodyv1.Funds) { f.OpenWithdrawals = 2 }) }},
	}
	for _, tc := range cases {
		t.Run(tc.invariant, func(t *testing.T) {
			e := world(t)
			tc.corrupt(e)
			for _, r := range contracts.CheckInvariants(e.mem, ledger.Invariants()) {
				if r.Name == tc.invariant && !r.Broken {
					t.Fatalf("%s did not notice: %s", r.Name, r.Msg)
				}
			}
		})
	}
}

// TestKeys_PrefixRangesDoNotOverlap: account ids that are prefixes of each
// other keep their ledgers apart.
func TestKeys_PrefixRangesDoNotOverlap(t *testing.T) {
	e := newEnv(t)
	e.active("A1", bankA, sBrokerX, sBankA)
	e.active("A12", bankA, sBrokerX, sBankA)
	e.must(sBankA, depositMsg("T1", "A12", 5))
	e.must(sBankA, depositMsg("T2", "A12", 6))
	if got := funds.Entries(e.mem, "A1", 0, 0); len(got) != 0 {
		t.Fatalf("A1 sees %d entries of A12", len(got))
	}
	if got := funds.Entries(e.mem, "A12", 1, 10); len(got) != 1 || got[0].Seq != 1 || got[0].Balance != 11 {
		t.Fatalf("A12 from seq 1: %v", got)
	}
	if ts, next := transfers.ByAccount(e.mem, "A12", 0, 1); len(ts) != 1 || ts[0].Id != "T1" || next != 1 {
		t.Fatalf("first page of transfers: %v next %d", ts, next)
	}
}

func TestQuery(t *testing.T) {
	e := world(t)
	addr := auth.Address(pubKey("client C1"))
	ok := map[string]string{
		"account/C1":              `"status":"ACCOUNT_STATUS_ACTIVE"`,
		"/account/C1":             `"id":"C1"`,
		"funds/C1":                `"withdrawable":"9000"`,
		"ledger/C1":               `"ref_id":"bank-a/T1"`,
		"ledger/C1?from=1":        `"seq":"1"`,
		"transfers/C1":            `"id":"C1/p"`,
		"transfer/bank-a/C1/p":    `"status":"TRANSFER_STATUS_PENDING"`,
		"custody/bank-a/broker-x": `"total":"10500"`,
		"supply":                  `"total":"10500"`,
		"participants":            `"id":"regulator"`,
		"participant/bank-b":      `"role":"ROLE_BANK"`,
		"signer/" + addr:          `"owner":"C1"`,
		"invariants":              `"broken":false`,
	}
	for path, want := range ok {
		out, err := ledger.Query(e.mem, auditor, path, nil)
		if err != nil || !json.Valid(out) || !strings.Contains(string(out), want) {
			t.Errorf("%s: %s, %v; want it to contain %s", path, out, err, want)
		}
	}
	out, err := ledger.Query(e.mem, auditor, "ledger/C1", []byte(`{"from_seq":"1","limit":1}`))
	var page struct{ Entries []json.RawMessage }
	if err != nil || json.Unmarshal(out, &page) != nil || len(page.Entries) != 1 {
		t.Errorf("paged ledger: %s %v", out, err)
	}
	bad := map[string]error{
		"nothing/here":       ledger.ErrUnknownPath,
		"account/N9":         ledger.ErrNotFound,
		"funds/P1":           ledger.ErrNotFound,
		"transfer/bank-a":    ledger.ErrBadQuery,
		"transfer/bank-a/T9": ledger.ErrNotFound,
		"ledger/C1?limit=x":  ledger.ErrBadQuery,
		"ledger/C1?limit=-1": ledger.ErrBadQuery,
		"ledger/":            ledger.ErrBadQuery,
		"signer/zz":          ledger.ErrBadQuery,
		"participant/nobody": ledger.ErrNotFound,
	}
	for path, want := range bad {
		if _, err := ledger.Query(e.mem, auditor, path, nil); !errors.Is(err, want) {
			t.Errorf("%s: got %v, want %v", path, err, want)
		}
	}
	if _, err := ledger.Query(e.mem, auditor, "ledger/C1", []byte("{")); !errors.Is(err, ledger.ErrBadQuery) {
		t.Errorf("bad page data: %v", err)
	}
}
