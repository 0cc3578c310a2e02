package ledger_test

import (
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/interest"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

func rateMsg(effective uint32, rate int64) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_SetInterestRate{SetInterestRate: &custodyv1.MsgSetInterestRate{Effective: effective, AnnualRate: rate}}}
}

// orderOn is buyMsg/sellMsg for a ticket of a later business date.
func orderOn(date uint32, orderID, security string, side custodyv1.Side, price, qty int64) *custodyv1.Msg {
	t := ticket(orderID, security, side, price, qty)
	t.BusinessDate = date
	return placeMsg(t)
}

// closing is a balance that holds from a date on (until the next one).
type closing struct {
	from    uint32
	balance int64
}

// expectedInterest is the independent calculation: walk every calendar day
// of [start, end] with package time, take the closing balance in force and
// the rate in force that day, and round Σ balance × rate / 360 half up
// with exact rationals.
func expectedInterest(t *testing.T, start, end uint32, balances []closing, rates []closing) int64 {
	t.Helper()
	day := func(d uint32) time.Time {
		return time.Date(int(d/10000), time.Month(d/100%100), int(d%100), 0, 0, 0, 0, time.UTC)
	}
	in := func(cs []closing, d time.Time) int64 {
		var v int64
		for _, c := range cs {
			if !day(c.from).After(d) {
				v = c.balance
			}
		}
		return v
	}
	sum := new(big.Int)
	for d := day(start); !d.After(day(end)); d = d.AddDate(0, 0, 1) {
		sum.Add(sum, new(big.Int).Mul(big.NewInt(in(balances, d)), big.NewInt(in(rates, d))))
	}
	r := new(big.Rat).SetFrac(sum, big.NewInt(360*100_000_000))
	r.Add(r, big.NewRat(1, 2))
	return new(big.Int).Quo(r.Num(), r.Denom()).Int64() // floor(x + ½): half up for x ≥ 0
}

// TestInterestQuarter runs a quarter of bank-a's and bank-b's clients with
// deposits, a withdrawal, a buy and a sell on several days, a rate change
// mid-quarter and an account left alone all quarter (lazily integrated),
// through to the settlement day 2025-03-20, and checks each account's
// interest against the independent day-by-day calculation, the ledger
// entry, the posting, the supply and the invariants.
func TestInterestQuarter(t *testing.T) {
	e := newTradingEnv(t, nil)
	e.must(sBankA, rateMsg(day1, 350_000)) // 0.35% a year
	e.must(sBankB, rateMsg(day1, 300_000)) // 0.30%
	e.openTrader("C1", bankA, sBrokerX, sBankA)
	e.openTrader("C3", bankA, sBrokerX, sBankA)
	e.openTrader("C2", bankB, sBrokerY, sBankB)

	// 2025-01-02 (Thu): C1 and C3 deposit.
	e.must(sBankA, depositMsg("T1", "C1", 10_000_000))
	e.must(sBankA, depositMsg("T3", "C3", 3_333_333))
	e.must(sClearing, eodMsg(day1, 20250106, nil))

	// 2025-01-06 (Mon): C1 buys 1 000 600000.SH at 10.00 (10 005.64 with
	// fees) and withdraws 5 000.00.
	at := func(d uint32) time.Time { return china(d, 10, 0) }
	if _, err := e.execAt(at(20250106), sBrokerX, orderOn(20250106, "C1/b", secMain, custodyv1.Side_SIDE_BUY, cny(10, 0), 1000)); err != nil {
		t.Fatal(err)
	}
	e.must(sBrokerX, fillMsg("X1", "C1/b", cny(10, 0), 1000))
	e.must(client("C1"), withdrawMsg("C1/w", "C1", 500_000))
	e.must(sBankA, confirmWithdrawalMsg("C1/w", true, ""))
	e.must(sClearing, eodMsg(20250106, 20250210, nil))
	// C3 did nothing since day1: the closes since have not visited it (its
	// accrual still holds from day1, integrated only when paid).
	if a, ok := interest.GetAccrual(e.mem, bankA, "C3"); !ok || a.LastDate != day1 || len(a.Segments) != 0 {
		t.Fatalf("C3's accrual %v: an untouched account is integrated lazily", a)
	}
	if a, _ := interest.GetAccrual(e.mem, bankA, "C1"); a.LastDate != 20250106 {
		t.Fatalf("C1's accrual %v: its ledger moved on 01-06", a)
	}

	// 2025-02-10: bank-a's rate falls to 0.20% from today; C1 deposits
	// 1 000.00, C2 50 000.00.
	e.must(sBankA, rateMsg(20250210, 200_000))
	e.must(sBankA, depositMsg("T4", "C1", 100_000))
	e.must(sBankB, depositMsg("T5", "C2", 5_000_000))
	e.must(sClearing, eodMsg(20250210, 20250319, nil))

	// 2025-03-19: C1 sells the 1 000 at 11.00: 11 000.00 less 5.00
	// commission, 5.50 stamp duty, 0.11 transfer, 0.38 handling, 0.22 levy.
	if _, err := e.execAt(at(20250319), sBrokerX, orderOn(20250319, "C1/s", secMain, custodyv1.Side_SIDE_SELL, cny(11, 0), 1000)); err != nil {
		t.Fatal(err)
	}
	e.must(sBrokerX, fillMsg("X2", "C1/s", cny(11, 0), 1000))
	before := funds.GetSupply(e.mem)
	// The close of 2025-03-19 opens 2025-03-21: the settlement day 03-20
	// lies between, so this close pays the quarter.
	e.must(sClearing, eodMsg(20250319, 20250321, nil))
	e.checkInvariants()

	c1 := []closing{{day1, 10_000_000}, {20250106, 10_000_000 - 1_000_564 - 500_000}, {20250210, 8_499_436 + 100_000},
		{20250319, 8_599_436 + 1_100_000 - 1_121}}
	rateA := []closing{{day1, 350_000}, {20250210, 200_000}}
	want := map[string]int64{
		"C1": expectedInterest(t, day1, 20250320, c1, rateA),
		"C3": expectedInterest(t, day1, 20250320, []closing{{day1, 3_333_333}}, rateA),
		"C2": expectedInterest(t, 20250210, 20250320, []closing{{20250210, 5_000_000}}, []closing{{day1, 300_000}}),
	}
	// By hand for C1: 积数 at 0.35%: 10 000 000 × 4 days + 8 499 436 × 35 =
	// 337 480 260; at 0.20%: 8 599 436 × 37 + 9 698 315 × 2 = 337 575 762;
	// (337 480 260 × 0.35% + 337 575 762 × 0.20%) / 360 = 51.56479 → 51.56.
	if want["C1"] != 5_156 {
		t.Fatalf("the independent calculation gives %d for C1, by hand 5156", want["C1"])
	}
	var total int64
	for _, id := range []string{"C1", "C2", "C3"} {
		bank := bankA
		if id == "C2" {
			bank = bankB
		}
		p := interest.GetPosting(e.mem, 20250320, id)
		if p == nil || p.Amount != want[id] || p.BankId != bank || p.CreditDate != 20250321 {
			t.Fatalf("%s: posting %v, want %d from %s credited 2025-03-21", id, p, want[id], bank)
		}
		last := funds.LastEntry(e.mem, id)
		if last.Reason != custodyv1.LedgerReason_LEDGER_REASON_INTEREST || last.Amount != want[id] || last.Seq != p.LedgerSeq {
			t.Fatalf("%s: last ledger entry %v, want the interest of %d", id, last, want[id])
		}
		total += want[id]
	}
	s := funds.GetSupply(e.mem)
	// The close also settled the day's sale with the clearing house
	// (from_clearing): the rest of the supply's growth is the interest,
	// which entered at the bank boundary like a deposit.
	grew := s.Total - before.Total - (s.FromClearing - before.FromClearing) + (s.ToClearing - before.ToClearing)
	if s.Interest != total || grew != total {
		t.Fatalf("supply %v grew by %d besides clearing, interest %d; want %d", s, grew, s.Interest, total)
	}

	// The next quarter starts on the credit date with the interest in the
	// balance: by 2025-06-20, C3 has earned on 3 333 333 + its interest
	// from 03-21 on at 0.20%.
	e.must(sClearing, eodMsg(20250321, 20250623, nil))
	e.checkInvariants()
	c3 := []closing{{20250321, 3_333_333 + want["C3"]}}
	if got, w := interest.GetPosting(e.mem, 20250620, "C3"), expectedInterest(t, 20250321, 20250620, c3, rateA); got == nil || got.Amount != w || got.PeriodStart != 20250321 {
		t.Fatalf("C3 second quarter: %v, want %d from 2025-03-21", got, w)
	}
}

// TestInterestRateRefusals: a rate cannot be back-dated or out of range.
func TestInterestRateRefusals(t *testing.T) {
	e := newTradingEnv(t, nil)
	if _, err := e.exec(sBankA, rateMsg(20241231, 350_000)); !errors.Is(err, interest.ErrBackdated) {
		t.Fatalf("back-dated rate: %v", err)
	}
	if _, err := e.exec(sBankA, rateMsg(day1, interest.MaxRate+1)); !errors.Is(err, interest.ErrBadRate) {
		t.Fatalf("rate above 10%%: %v", err)
	}
	if _, err := e.exec(sBrokerX, rateMsg(day1, 350_000)); err == nil {
		t.Fatal("a broker set a bank's rate")
	}
}
