// Package calendar is the business calendar: the clearing house's dated
// trading calendar (the exchanges publish each year's trading days;
// weekends and public holidays are closed) and the hours in which banks
// take bank-securities transfers (DOMAIN.md: trading days, about
// 09:00-16:00, a parameter).
//
// Everything is judged by the block time in the exchanges' time zone, never
// a node's clock, so every validator agrees. The production default
// (absent genesis parameters) is transfers 09:00-16:00 UTC+8 on trading
// days only; test networks and tests set always_open (testnet generate
// --always-open), which switches the calendar and the transfer hours off,
// so the suite runs at any wall-clock time.
//
// The calendar also fixes how the business date moves: end-of-day
// clearing may open only the calendar's next trading day after the date
// it closes (NextTradingDay). A date the calendar does not cover is no
// trading day: the clearing house extends the calendar before it runs out.
package calendar

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/trading"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Codespace of the calendar's refusals.
const Codespace = "calendar"

// Refusals of the calendar and the transfer window. Never renumber.
var (
	ErrNotTradingDay      = contracts.Register(Codespace, 1, "the date is not a trading day")
	ErrOutsideTransferHrs = contracts.Register(Codespace, 2, "outside the bank-securities transfer hours")
	ErrNotCovered         = contracts.Register(Codespace, 3, "the trading calendar does not cover the date")
	ErrBadRange           = contracts.Register(Codespace, 4, "calendar range is reversed, too long, or lists a day outside it or twice")
	ErrPastDate           = contracts.Register(Codespace, 5, "the calendar may change only dates after the business date")
	ErrNotNextTradingDay  = contracts.Register(Codespace, 6, "next date is not the calendar's next trading day")
	ErrBadParams          = contracts.Register(Codespace, 7, "calendar parameters are out of range")
	ErrNotBusinessDate    = contracts.Register(Codespace, 8, "the block's local date is not the business date")
)

// Defaults (DOMAIN.md: transfers on trading days, about 09:00-16:00).
const (
	DefaultTransferStart = 9 * 3600
	DefaultTransferEnd   = 16 * 3600
	// MaxRangeDays bounds one set_trading_calendar: two years of dates.
	MaxRangeDays = 732
)

// DefaultParams are the production parameters: transfers 09:00-16:00
// UTC+8 on trading days.
func DefaultParams() *custodyv1.CalendarParams {
	return &custodyv1.CalendarParams{TransferHours: &custodyv1.TransferHours{
		UtcOffsetSeconds: trading.ChinaUTCOffset, Start: DefaultTransferStart, End: DefaultTransferEnd}}
}

// AlwaysOpen are the parameters of test networks and tests.
func AlwaysOpen() *custodyv1.CalendarParams {
	p := DefaultParams()
	p.AlwaysOpen = true
	return p
}

// Routes of the calendar.
func Routes() []contracts.Route {
	return []contracts.Route{
		contracts.Handle("set_trading_calendar", []custodyv1.Role{custodyv1.Role_ROLE_CLEARING_HOUSE}, ValidateSetCalendar, SetCalendar),
	}
}

func paramsKey() []byte   { return []byte{contracts.PrefixCalendarState, 0x01} }
func coverageKey() []byte { return []byte{contracts.PrefixCalendarState, 0x02} }

// DayKey marks a trading day: 0x53 | date (4 bytes big-endian).
func DayKey(date uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{contracts.PrefixCalendarDay}, date)
}

// GetParams returns the calendar parameters (the defaults before genesis
// wrote any).
func GetParams(store contracts.Store) *custodyv1.CalendarParams {
	bz := store.Get(paramsKey())
	if bz == nil {
		return DefaultParams()
	}
	var p custodyv1.CalendarParams
	contracts.Unmarshal(paramsKey(), bz, &p)
	return &p
}

// GetCoverage returns the span of dates the calendar defines (zero: none).
func GetCoverage(store contracts.Store) *custodyv1.CalendarCoverage {
	var c custodyv1.CalendarCoverage
	if bz := store.Get(coverageKey()); bz != nil {
		contracts.Unmarshal(coverageKey(), bz, &c)
	}
	return &c
}

// ValidateParams checks the transfer hours: an offset within ±14 hours and
// a non-empty window inside the day.
func ValidateParams(p *custodyv1.CalendarParams) error {
	h := p.GetTransferHours()
	if h == nil || h.UtcOffsetSeconds < -14*3600 || h.UtcOffsetSeconds > 14*3600 || h.Start >= h.End || h.End > 24*3600 {
		return ErrBadParams.Wrapf("%v", p)
	}
	return nil
}

// InitGenesis writes the calendar parameters (the production defaults when
// absent) and seeds the calendar.
func InitGenesis(store contracts.Store, g *custodyv1.CalendarGenesis) error {
	p := DefaultParams()
	if g.GetParams() != nil {
		p = g.Params
	}
	if err := ValidateParams(p); err != nil {
		return err
	}
	store.Set(paramsKey(), contracts.Marshal(p))
	if g == nil || g.FirstDate == 0 {
		return nil
	}
	m := &custodyv1.MsgSetTradingCalendar{FirstDate: g.FirstDate, LastDate: g.LastDate, TradingDays: g.TradingDays}
	if err := ValidateSetCalendar(m); err != nil {
		return err
	}
	write(store, m, 0)
	return nil
}

// ValidateSetCalendar is the stateless check of MsgSetTradingCalendar:
// valid dates, first ≤ last within MaxRangeDays, trading days inside the
// range, ascending without repeats.
func ValidateSetCalendar(m *custodyv1.MsgSetTradingCalendar) error {
	if err := trading.ValidateDate(m.FirstDate); err != nil {
		return err
	}
	if err := trading.ValidateDate(m.LastDate); err != nil {
		return err
	}
	first, last := toTime(m.FirstDate), toTime(m.LastDate)
	if last.Before(first) || last.Sub(first) > MaxRangeDays*24*time.Hour {
		return ErrBadRange.Wrapf("%d-%d", m.FirstDate, m.LastDate)
	}
	prev := uint32(0)
	for _, d := range m.TradingDays {
		if trading.ValidateDate(d) != nil || d < m.FirstDate || d > m.LastDate || d <= prev {
			return ErrBadRange.Wrapf("trading day %d in %d-%d after %d", d, m.FirstDate, m.LastDate, prev)
		}
		prev = d
	}
	return nil
}

// SetCalendar defines [first, last]. Checks: the range starts after the
// business date (the past and today never change) and leaves no gap after
// the calendar's coverage. Writes: one key per date of the range (set for
// a trading day, deleted for a closed one) and the coverage.
func SetCalendar(ctx *contracts.Context, m *custodyv1.MsgSetTradingCalendar) ([]byte, error) {
	today := trading.GetBusinessDay(ctx.Store).Date
	if m.FirstDate <= today {
		return nil, ErrPastDate.Wrapf("%d is not after the business date %d", m.FirstDate, today)
	}
	c := GetCoverage(ctx.Store)
	if c.LastDate != 0 && m.FirstDate > nextDate(c.LastDate) {
		return nil, ErrBadRange.Wrapf("%d leaves a gap after the calendar's last date %d", m.FirstDate, c.LastDate)
	}
	cov := write(ctx.Store, m, ctx.Block.Height)
	ctx.Emit("trading_calendar", "first_date", fmt.Sprint(m.FirstDate), "last_date", fmt.Sprint(m.LastDate),
		"trading_days", fmt.Sprint(len(m.TradingDays)), "covers_from", fmt.Sprint(cov.FirstDate), "covers_to", fmt.Sprint(cov.LastDate))
	return contracts.Marshal(cov), nil
}

func write(store contracts.Store, m *custodyv1.MsgSetTradingCalendar, height int64) *custodyv1.CalendarCoverage {
	open := map[uint32]bool{}
	for _, d := range m.TradingDays {
		open[d] = true
	}
	for d := m.FirstDate; d <= m.LastDate; d = nextDate(d) {
		if open[d] {
			store.Set(DayKey(d), []byte{1})
		} else {
			store.Delete(DayKey(d))
		}
	}
	c := GetCoverage(store)
	if c.FirstDate == 0 || m.FirstDate < c.FirstDate {
		c.FirstDate = m.FirstDate
	}
	c.LastDate = max(c.LastDate, m.LastDate)
	c.UpdatedHeight = height
	store.Set(coverageKey(), contracts.Marshal(c))
	return c
}

// IsTradingDay reports whether date is a trading day: always, when the
// calendar is off; otherwise it must be covered and listed.
func IsTradingDay(store contracts.Store, date uint32) error {
	if GetParams(store).AlwaysOpen {
		return nil
	}
	c := GetCoverage(store)
	if c.FirstDate == 0 || date < c.FirstDate || date > c.LastDate {
		return ErrNotCovered.Wrapf("%d (calendar covers %d-%d)", date, c.FirstDate, c.LastDate)
	}
	if !store.Has(DayKey(date)) {
		return ErrNotTradingDay.Wrapf("%d", date)
	}
	return nil
}

// NextTradingDay returns the calendar's first trading day after date, or
// an error when the calendar does not reach one. With the calendar off it
// returns 0: any later date will do.
func NextTradingDay(store contracts.Store, date uint32) (uint32, error) {
	if GetParams(store).AlwaysOpen {
		return 0, nil
	}
	c := GetCoverage(store)
	from := nextDate(date)
	if c.FirstDate == 0 || from < c.FirstDate {
		return 0, ErrNotCovered.Wrapf("the day after %d (calendar covers %d-%d)", date, c.FirstDate, c.LastDate)
	}
	it := store.Iterator(DayKey(from), DayKey(nextDate(c.LastDate)))
	defer it.Close()
	if !it.Valid() {
		return 0, ErrNotCovered.Wrapf("no trading day after %d up to %d", date, c.LastDate)
	}
	return binary.BigEndian.Uint32(it.Key()[1:]), nil
}

// CheckNextDate is the rule end-of-day clearing applies to the date it
// opens: the calendar's next trading day after the date it closes (the
// first business date, from date 0, must itself be a trading day).
func CheckNextDate(store contracts.Store, closing, next uint32) error {
	if GetParams(store).AlwaysOpen {
		return nil
	}
	if closing == 0 {
		return IsTradingDay(store, next)
	}
	want, err := NextTradingDay(store, closing)
	if err != nil {
		return err
	}
	if next != want {
		return ErrNotNextTradingDay.Wrapf("%d after %d; the calendar's next trading day is %d", next, closing, want)
	}
	return nil
}

// Days is the calendar as the transfers contract sees it.
type Days struct{}

// BusinessDate is the chain's business date.
func (Days) BusinessDate(store contracts.Store) uint32 { return trading.GetBusinessDay(store).Date }

// CheckTransferWindow refuses a bank-securities transfer unless the block's
// local date is the business date, a trading day, and its time of day is
// within the transfer hours. Always open: no check.
func (Days) CheckTransferWindow(ctx *contracts.Context) error {
	p := GetParams(ctx.Store)
	if p.AlwaysOpen {
		return nil
	}
	h := p.TransferHours
	local := ctx.Block.Time.In(time.FixedZone("exchange", int(h.UtcOffsetSeconds)))
	d := uint32(local.Year()*10000 + int(local.Month())*100 + local.Day())
	if today := trading.GetBusinessDay(ctx.Store).Date; d != today {
		return ErrNotBusinessDate.Wrapf("block date %d, business date %d", d, today)
	}
	if err := IsTradingDay(ctx.Store, d); err != nil {
		return err
	}
	sec := uint32(local.Hour()*3600 + local.Minute()*60 + local.Second())
	if sec < h.Start || sec >= h.End {
		return ErrOutsideTransferHrs.Wrapf("%s local, transfers %s-%s", local.Format("15:04:05"), clock(h.Start), clock(h.End))
	}
	return nil
}

func clock(sec uint32) string { return fmt.Sprintf("%02d:%02d", sec/3600, sec%3600/60) }

func toTime(d uint32) time.Time {
	return time.Date(int(d/10000), time.Month(d/100%100), int(d%100), 0, 0, 0, 0, time.UTC)
}

func nextDate(d uint32) uint32 {
	t := toTime(d).AddDate(0, 0, 1)
	return uint32(t.Year()*10000 + int(t.Month())*100 + t.Day())
}
