package ledger_test

import (
	"testing"

	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/interest"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// TestClientStatement: C1's statement (对账单) of day1, of January, and of
// March while 2025-03-21 is still trading, from reconWorld: deposit, buy,
// withdrawal on day1; the quarter's interest credited by day1's close; a
// deposit on 03-21.
func TestClientStatement(t *testing.T) {
	e := reconWorld(t)
	e.must(sBankA, depositMsg("T7", "C1", 20_000))

	day, err := interest.Statement(e.mem, "C1", day1, day1)
	if err != nil {
		t.Fatal(err)
	}
	if day.Open || day.OpeningBalance != 0 || day.ClosingBalance != c1Close {
		t.Fatalf("day1: open %v, opening %d, closing %d; want closed, 0, %d", day.Open, day.OpeningBalance, day.ClosingBalance, c1Close)
	}
	// The day's entries replay from the opening to the closing balance.
	bal := day.OpeningBalance
	for _, en := range day.Entries {
		bal += en.Amount
		if en.Balance != bal {
			t.Fatalf("day1 entry %d: balance %d, replayed %d", en.Seq, en.Balance, bal)
		}
	}
	if bal != day.ClosingBalance || day.Entries[0].Reason != custodyv1.LedgerReason_LEDGER_REASON_DEPOSIT {
		t.Fatalf("day1 entries %v end at %d", day.Entries, bal)
	}
	if len(day.Fills) != 1 || day.Fills[0].ExecId != "X1" || day.Fills[0].Fees.Commission != 500 {
		t.Fatalf("day1 fills %v", day.Fills)
	}
	if len(day.Holdings) != 1 || day.Holdings[0].Security != secMain || day.Holdings[0].Quantity != 1000 {
		t.Fatalf("day1 holdings %v", day.Holdings)
	}

	from, to, err := interest.StatementPeriod("202501")
	if err != nil || from != 20250101 || to != 20250131 {
		t.Fatalf("202501 is %d..%d (%v)", from, to, err)
	}
	jan, _ := interest.Statement(e.mem, "C1", from, to)
	if jan.ClosingBalance != c1Close || len(jan.Entries) != len(day.Entries) {
		t.Fatalf("January: %v", jan)
	}

	// March: opens at day1's close, holds the interest credited at that
	// close and today's deposit, and closes at the balance so far.
	from, to, _ = interest.StatementPeriod("202503")
	mar, _ := interest.Statement(e.mem, "C1", from, to)
	f := funds.Get(e.mem, "C1")
	if !mar.Open || mar.OpeningBalance != c1Close || mar.ClosingBalance != f.Balance || len(mar.Entries) != 2 {
		t.Fatalf("March: open %v, %d → %d, %d entries; want open, %d → %d, 2", mar.Open, mar.OpeningBalance, mar.ClosingBalance, len(mar.Entries), c1Close, f.Balance)
	}
	if mar.Entries[0].Reason != custodyv1.LedgerReason_LEDGER_REASON_INTEREST || mar.Entries[1].RefId != "bank-a/T7" {
		t.Fatalf("March entries %v", mar.Entries)
	}
	if _, _, err := interest.StatementPeriod("2025013"); err == nil {
		t.Fatal("a 7-digit period")
	}
}
