package ledger_test

import (
	"encoding/json"
	"testing"

	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/ledger"
)

// TestLedger_HappyPath walks an account through its whole life.
func TestLedger_HappyPath(t *testing.T) {
	e := newEnv(t)
	e.active("C1", bankA, sBrokerX, sBankA)
	e.must(sBankA, depositMsg("T1", "C1", 10_000))
	e.must(client("C1"), withdrawMsg("C1/w1", "C1", 3_000))
	e.must(sBankA, confirmWithdrawalMsg("C1/w1", true, ""))
	e.must(client("C1"), withdrawMsg("C1/w2", "C1", 7_000))
	e.must(sBankA, confirmWithdrawalMsg("C1/w2", false, "card closed"))
	e.checkInvariants()
	f := funds.Get(e.mem, "C1")
	if f.Balance != 7_000 || f.Frozen != 0 || f.Withdrawable != 7_000 || f.NextSeq != 5 {
		t.Fatalf("funds %v", f)
	}
	if got := funds.GetCustodyTotal(e.mem, bankA, brokerX); got != 7_000 {
		t.Fatalf("custody total %d", got)
	}
	e.must(client("C1"), withdrawMsg("C1/w3", "C1", 7_000))
	e.must(sBankA, confirmWithdrawalMsg("C1/w3", true, ""))
	e.must(sBrokerX, closeMsg("C1"))
	e.checkInvariants()
	for _, p := range []string{"account/C1", "funds/C1", "ledger/C1?from=1&limit=2", "transfers/C1", "transfer/bank-a/T1", "supply", "custody/bank-a/broker-x", "participants", "invariants"} {
		out, err := ledger.Query(e.mem, auditor, p, nil)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !json.Valid(out) {
			t.Fatalf("%s: not JSON: %s", p, out)
		}
		t.Logf("%s: %s", p, out)
	}
}
