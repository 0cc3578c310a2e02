package ledger_test

import (
	"errors"
	"testing"
	"time"

	"github.com/custody-ledger/custody/abci/store"
	"github.com/custody-ledger/custody/contracts/calendar"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// January 2025: New Year's Day (Wed 1st) and the weekends are closed.
var jan2025 = []uint32{20250102, 20250103, 20250106, 20250107, 20250108, 20250109, 20250110}

func calendarMsg(first, last uint32, days ...uint32) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_SetTradingCalendar{SetTradingCalendar: &custodyv1.MsgSetTradingCalendar{
		FirstDate: first, LastDate: last, TradingDays: days}}}
}

// productionEnv is the contract world with the production calendar: the
// default transfer hours (09:00-16:00 UTC+8) and January 2025's first ten
// days in the calendar, business date 2025-01-02. C1 is active at bank-a.
func productionEnv(t *testing.T) *env {
	g := genesis()
	g.Calendar = &custodyv1.CalendarGenesis{FirstDate: 20250101, LastDate: 20250110, TradingDays: jan2025}
	g.Trading = &custodyv1.TradingGenesis{Params: trading.DefaultParams(), BusinessDate: day1}
	e := &env{t: t, mem: store.NewMem(), router: ledger.NewRouter(), height: 1}
	if err := ledger.InitGenesis(e.mem, g); err != nil {
		t.Fatalf("genesis: %v", err)
	}
	if p := calendar.GetParams(e.mem); p.AlwaysOpen || p.TransferHours.Start != 9*3600 || p.TransferHours.End != 16*3600 {
		t.Fatalf("production default %v", p)
	}
	e.active("C1", bankA, sBrokerX, sBankA)
	return e
}

func TestCalendar_TransferWindow(t *testing.T) {
	cases := []struct {
		name string
		at   time.Time
		want error
	}{
		{"09:00 opens", china(day1, 9, 0), nil},
		{"15:59 still open", china(day1, 15, 59), nil},
		{"08:59 before the window", china(day1, 8, 59), calendar.ErrOutsideTransferHrs},
		{"16:00 after the window", china(day1, 16, 0), calendar.ErrOutsideTransferHrs},
		{"next day before end of day", china(day2, 10, 0), calendar.ErrNotBusinessDate},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := productionEnv(t)
			_, err := e.execAt(tc.at, sBankA, depositMsg("T1", "C1", 100))
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("deposit at %v: %v, want %v", tc.at, err, tc.want)
			}
			_, err = e.execAt(tc.at, client("C1"), withdrawMsg("C1/w", "C1", 100))
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("withdrawal at %v: %v, want %v", tc.at, err, tc.want)
			}
			e.checkInvariants()
		})
	}
	// A reversal is bound to the business day, not to the hours: the
	// bank can undo a transfer that timed out at the window's end.
	e := productionEnv(t)
	if _, err := e.execAt(china(day1, 15, 59), sBankA, depositMsg("T1", "C1", 100)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.execAt(china(day1, 16, 30), sBankA, reverseMsg("T1", "timed out")); err != nil {
		t.Fatalf("reversal after hours: %v", err)
	}
	if f := funds.Get(e.mem, "C1"); f.Balance != 0 {
		t.Fatalf("funds %v", f)
	}
}

// TestCalendar_BusinessDateMovesToNextTradingDay: end of day opens only the
// next trading day, over weekends and holidays, and not past the calendar.
func TestCalendar_BusinessDateMovesToNextTradingDay(t *testing.T) {
	e := productionEnv(t)
	if _, err := e.exec(sClearing, eodMsg(day1, 20250104, nil)); !errors.Is(err, calendar.ErrNotNextTradingDay) {
		t.Fatalf("a Saturday: %v", err)
	}
	e.must(sClearing, eodMsg(day1, day2, nil))
	if _, err := e.exec(sClearing, eodMsg(day2, 20250107, nil)); !errors.Is(err, calendar.ErrNotNextTradingDay) {
		t.Fatalf("skipping Monday: %v", err)
	}
	e.must(sClearing, eodMsg(day2, 20250106, nil)) // over the weekend
	for _, d := range jan2025[3:] {
		prev := trading.GetBusinessDay(e.mem).Date
		e.must(sClearing, eodMsg(prev, d, nil))
	}
	// The calendar ends on the 10th: nothing to open until it is extended.
	if _, err := e.exec(sClearing, eodMsg(20250110, 20250113, nil)); !errors.Is(err, calendar.ErrNotCovered) {
		t.Fatalf("past the calendar: %v", err)
	}
	e.must(sClearing, calendarMsg(20250111, 20250117, 20250113, 20250114, 20250115, 20250116, 20250117))
	e.must(sClearing, eodMsg(20250110, 20250113, nil))
	if cov := calendar.GetCoverage(e.mem); cov.FirstDate != 20250101 || cov.LastDate != 20250117 {
		t.Fatalf("coverage %v", cov)
	}
	e.checkInvariants()
}

func TestSetTradingCalendar(t *testing.T) {
	runCalendar := func(name string, msg *custodyv1.Msg, want error) {
		t.Run(name, func(t *testing.T) {
			e := productionEnv(t)
			_, err := e.exec(sClearing, msg)
			if want == nil && err != nil || want != nil && !errors.Is(err, want) {
				t.Fatalf("got %v, want %v", err, want)
			}
			e.checkInvariants()
		})
	}
	runCalendar("extend", calendarMsg(20250111, 20251231, 20250113), nil)
	runCalendar("declare a holiday ahead", calendarMsg(20250107, 20250107), nil)
	runCalendar("today", calendarMsg(day1, 20250110, 20250103), calendar.ErrPastDate)
	runCalendar("a gap after the calendar", calendarMsg(20250201, 20250228), calendar.ErrBadRange)
	runCalendar("reversed", calendarMsg(20250120, 20250111), calendar.ErrBadRange)
	runCalendar("too long", calendarMsg(20250111, 20270120), calendar.ErrBadRange)
	runCalendar("day outside the range", calendarMsg(20250111, 20250117, 20250120), calendar.ErrBadRange)
	runCalendar("day twice", calendarMsg(20250111, 20250117, 20250113, 20250113), calendar.ErrBadRange)
	runCalendar("not a date", calendarMsg(20250111, 20250132), trading.ErrBadDate)

	e := productionEnv(t)
	if _, err := e.exec(sBankA, calendarMsg(20250111, 20250117)); err == nil {
		t.Fatal("a bank set the calendar")
	}
	// A holiday declared ahead closes the date for transfers and for the
	// business date.
	e.must(sClearing, calendarMsg(20250103, 20250103))
	if _, err := e.exec(sClearing, eodMsg(day1, day2, nil)); !errors.Is(err, calendar.ErrNotNextTradingDay) {
		t.Fatalf("opening a holiday: %v", err)
	}
	e.must(sClearing, eodMsg(day1, 20250106, nil))
}
