package fees

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
)

// PriceScale: prices are CNY × 10 000.
const PriceScale = 10_000

// RateScale: rates are parts per 10^8 (1% = 1 000 000).
const RateScale = 100_000_000

// rawPerFen: a raw value (price × quantity) is in 0.0001 CNY; a fen is 0.01.
const rawPerFen = PriceScale / 100

// Rate is a fee rate in parts per RateScale.
type Rate int64

// Side of the trade.
type Side uint8

const (
	Buy Side = iota + 1
	Sell
)

// Class selects the handling-fee rate: funds and ETFs pay their own.
type Class uint8

const (
	ClassEquity Class = iota
	ClassFund
	ClassBond
)

// Schedule is one dated set of market rates, in force from Effective
// (a business date YYYYMMDD) until the next schedule's Effective.
type Schedule struct {
	Effective       uint32
	StampDutySell   Rate // tax authority, seller only
	TransferFee     Rate // clearing house, both sides
	HandlingFee     Rate // exchange, both sides (equities)
	HandlingFeeFund Rate // exchange, both sides (funds and ETFs)
	HandlingFeeBond Rate // exchange, both sides (bonds)
	RegulatorLevy   Rate // regulator, both sides
}

// MinimumRule says what the minimum commission applies to.
type MinimumRule uint8

const (
	MinimumPerOrder MinimumRule = iota // DOMAIN.md default
	MinimumPerFill
)

// RoundingRule says where rounding to the fen happens.
type RoundingRule uint8

const (
	RoundPerItem RoundingRule = iota // each fee item half up (DOMAIN.md default)
	RoundOnTotal                     // sum unrounded, round the total half up
)

// Params are the fee parameters in force on chain.
type Params struct {
	Schedules     []Schedule // ascending by Effective
	MinCommission int64      // fen; 500 = 5.00 CNY
	MaxCommission Rate       // cap on any broker's rate (0.3%)
	Minimum       MinimumRule
	Rounding      RoundingRule
}

// DefaultParams are DOMAIN.md's figures, with the schedules in force before
// the last changes kept so that a replay of an old date charges old rates.
func DefaultParams() Params {
	return Params{
		Schedules: []Schedule{
			// Before 2022-04-29: transfer fee 0.002%, handling 0.00487%, stamp 0.1%.
			{Effective: 19900101, StampDutySell: 100_000, TransferFee: 2_000, HandlingFee: 4_870, HandlingFeeFund: 4_870, HandlingFeeBond: 1_000, RegulatorLevy: 2_000},
			// 2022-04-29: transfer fee halved to 0.001%.
			{Effective: 20220429, StampDutySell: 100_000, TransferFee: 1_000, HandlingFee: 4_870, HandlingFeeFund: 4_870, HandlingFeeBond: 1_000, RegulatorLevy: 2_000},
			// 2023-08-28: stamp duty 0.05%, handling 0.00341% (funds 0.004%).
			{Effective: 20230828, StampDutySell: 50_000, TransferFee: 1_000, HandlingFee: 3_410, HandlingFeeFund: 4_000, HandlingFeeBond: 1_000, RegulatorLevy: 2_000},
		},
		MinCommission: 500,
		MaxCommission: 300_000,
		Minimum:       MinimumPerOrder,
		Rounding:      RoundPerItem,
	}
}

// Errors returned by Validate and the computations.
var (
	ErrNoSchedule = errors.New("fees: no schedule in force on that date")
	ErrOverflow   = errors.New("fees: amount overflows")
	ErrBadParams  = errors.New("fees: invalid parameters")
)

// Validate checks the parameters: schedules ascending, rates within 0..1%
// (commission within MaxCommission), minimum non-negative.
func (p Params) Validate() error {
	if len(p.Schedules) == 0 {
		return fmt.Errorf("%w: no schedule", ErrBadParams)
	}
	for i, s := range p.Schedules {
		if i > 0 && s.Effective <= p.Schedules[i-1].Effective {
			return fmt.Errorf("%w: schedules not ascending at %d", ErrBadParams, s.Effective)
		}
		for _, r := range []Rate{s.StampDutySell, s.TransferFee, s.HandlingFee, s.HandlingFeeFund, s.HandlingFeeBond, s.RegulatorLevy} {
			if r < 0 || r > RateScale/100 {
				return fmt.Errorf("%w: rate %d out of range 0..1%% in schedule %d", ErrBadParams, r, s.Effective)
			}
		}
	}
	if p.MinCommission < 0 || p.MaxCommission < 0 || p.MaxCommission > RateScale/100 {
		return fmt.Errorf("%w: commission bounds", ErrBadParams)
	}
	return nil
}

// ScheduleOn returns the schedule in force on a business date.
func (p Params) ScheduleOn(date uint32) (Schedule, error) {
	i, found := slices.BinarySearchFunc(p.Schedules, date, func(s Schedule, d uint32) int {
		switch {
		case s.Effective < d:
			return -1
		case s.Effective > d:
			return 1
		}
		return 0
	})
	if !found {
		i-- // the last schedule that took effect before date
	}
	if i < 0 {
		return Schedule{}, fmt.Errorf("%w: %d", ErrNoSchedule, date)
	}
	return p.Schedules[i], nil
}

// Breakdown is the fee of a trade by item, in fen.
type Breakdown struct {
	Commission    int64 `json:"commission"`
	StampDuty     int64 `json:"stamp_duty"`
	TransferFee   int64 `json:"transfer_fee"`
	HandlingFee   int64 `json:"handling_fee"`
	RegulatorLevy int64 `json:"regulator_levy"`
}

// Total is the sum of the items.
func (b Breakdown) Total() int64 {
	return b.Commission + b.StampDuty + b.TransferFee + b.HandlingFee + b.RegulatorLevy
}

// Sub returns b − o item by item.
func (b Breakdown) Sub(o Breakdown) Breakdown {
	return Breakdown{
		Commission:    b.Commission - o.Commission,
		StampDuty:     b.StampDuty - o.StampDuty,
		TransferFee:   b.TransferFee - o.TransferFee,
		HandlingFee:   b.HandlingFee - o.HandlingFee,
		RegulatorLevy: b.RegulatorLevy - o.RegulatorLevy,
	}
}

// Add returns b + o item by item.
func (b Breakdown) Add(o Breakdown) Breakdown {
	return Breakdown{
		Commission:    b.Commission + o.Commission,
		StampDuty:     b.StampDuty + o.StampDuty,
		TransferFee:   b.TransferFee + o.TransferFee,
		HandlingFee:   b.HandlingFee + o.HandlingFee,
		RegulatorLevy: b.RegulatorLevy + o.RegulatorLevy,
	}
}

// Trade describes what is being charged.
type Trade struct {
	Date           uint32 // business date YYYYMMDD: picks the schedule
	Side           Side
	Class          Class
	CommissionRate Rate // the broker's rate
}

// RawValue is price × quantity in 0.0001 CNY, refusing overflow.
func RawValue(price, qty int64) (int64, error) {
	if price < 0 || qty < 0 {
		return 0, fmt.Errorf("%w: negative price or quantity", ErrOverflow)
	}
	hi, lo := bits.Mul64(uint64(price), uint64(qty))
	if hi != 0 || lo > 1<<62 {
		return 0, fmt.Errorf("%w: %d × %d", ErrOverflow, price, qty)
	}
	return int64(lo), nil
}

// ValueFen converts a raw value to fen, half up (the settlement amount of a
// trade: buyer and seller both use this figure, so money is conserved).
func ValueFen(raw int64) int64 { return (raw + rawPerFen/2) / rawPerFen }

// Cumulative returns the fees due on an order whose fills so far total raw
// value cumRaw (the order-level minimum applies once cumRaw > 0). A fill's
// fees are Cumulative(after) − Cumulative(before).
func (p Params) Cumulative(t Trade, cumRaw int64) (Breakdown, error) {
	if cumRaw <= 0 {
		return Breakdown{}, nil
	}
	s, err := p.ScheduleOn(t.Date)
	if err != nil {
		return Breakdown{}, err
	}
	handling := s.HandlingFee
	switch t.Class {
	case ClassFund:
		handling = s.HandlingFeeFund
	case ClassBond:
		handling = s.HandlingFeeBond
	}
	stamp := Rate(0)
	if t.Side == Sell {
		stamp = s.StampDutySell
	}
	rates := [5]Rate{t.CommissionRate, stamp, s.TransferFee, handling, s.RegulatorLevy}
	var items [5]int64
	if p.Rounding == RoundPerItem {
		for i, r := range rates {
			if items[i], err = feeFen(cumRaw, r); err != nil {
				return Breakdown{}, err
			}
		}
	} else if items, err = roundTotal(cumRaw, rates); err != nil {
		return Breakdown{}, err
	}
	b := Breakdown{Commission: items[0], StampDuty: items[1], TransferFee: items[2], HandlingFee: items[3], RegulatorLevy: items[4]}
	if p.Minimum == MinimumPerOrder && b.Commission < p.MinCommission {
		b.Commission = p.MinCommission
	}
	return b, nil
}

// Fill returns the fees of one fill of rawFill on an order whose earlier
// fills totalled rawBefore.
func (p Params) Fill(t Trade, rawBefore, rawFill int64) (Breakdown, error) {
	if p.Minimum == MinimumPerFill {
		b, err := p.Cumulative(t, rawFill)
		if err != nil {
			return Breakdown{}, err
		}
		if rawFill > 0 && b.Commission < p.MinCommission {
			b.Commission = p.MinCommission
		}
		return b, nil
	}
	before, err := p.Cumulative(t, rawBefore)
	if err != nil {
		return Breakdown{}, err
	}
	after, err := p.Cumulative(t, rawBefore+rawFill)
	if err != nil {
		return Breakdown{}, err
	}
	return after.Sub(before), nil
}

// Max is the most an order of raw value rawOrder can pay in fees, which a
// buy order freezes on top of its value. maxFills bounds the number of fills
// (quantity ÷ the smallest fill step); it matters only with MinimumPerFill.
func (p Params) Max(t Trade, rawOrder int64, maxFills int64) (int64, error) {
	b, err := p.Cumulative(t, rawOrder)
	if err != nil {
		return 0, err
	}
	total := b.Total()
	if p.Minimum == MinimumPerFill {
		if b.Commission < p.MinCommission {
			total += p.MinCommission - b.Commission
		}
		// Each further fill may pay the minimum on its own, plus up to one
		// fen per item of rounding.
		if maxFills > 1 {
			extra, ok := mulOK(maxFills-1, p.MinCommission+5)
			if !ok {
				return 0, ErrOverflow
			}
			total += extra
		}
	}
	return total, nil
}

// feeFen is raw × rate converted to fen, half up: raw × rate / (RateScale ×
// rawPerFen) in 128-bit arithmetic.
func feeFen(raw int64, rate Rate) (int64, error) {
	if rate == 0 || raw == 0 {
		return 0, nil
	}
	const den = RateScale * rawPerFen
	hi, lo := bits.Mul64(uint64(raw), uint64(rate))
	lo, carry := bits.Add64(lo, den/2, 0)
	hi += carry
	if hi >= den {
		return 0, fmt.Errorf("%w: fee on %d at %d", ErrOverflow, raw, rate)
	}
	q, _ := bits.Div64(hi, lo, den)
	if q > 1<<62 {
		return 0, ErrOverflow
	}
	return int64(q), nil
}

// roundTotal rounds the sum of the unrounded items half up and books it to
// the items by largest remainder (ties to the earlier item), so the items
// add up to the rounded total.
func roundTotal(raw int64, rates [5]Rate) ([5]int64, error) {
	const den = RateScale * rawPerFen
	var floors [5]int64
	var rems [5]uint64
	var sumFloor int64
	var sumRem uint64
	for i, r := range rates {
		hi, lo := bits.Mul64(uint64(raw), uint64(r))
		if hi >= den {
			return floors, ErrOverflow
		}
		q, rem := bits.Div64(hi, lo, den)
		floors[i], rems[i] = int64(q), rem
		sumFloor += int64(q)
		sumRem += rem
	}
	extra := int64((sumRem + den/2) / den) // fen to hand out, at most 5
	for ; extra > 0; extra-- {
		best := 0
		for i := 1; i < 5; i++ {
			if rems[i] > rems[best] {
				best = i
			}
		}
		floors[best]++
		rems[best] = 0
	}
	return floors, nil
}

func mulOK(a, b int64) (int64, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > 1<<62 {
		return 0, false
	}
	return int64(lo), true
}
