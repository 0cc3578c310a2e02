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

// Class is the product class of a security, which picks the rates that
// apply to it: A-shares pay all five items; funds and ETFs pay commission,
// their own handling fee and (a parameter) the levy, but no stamp duty and no
// transfer fee; bonds pay commission and the bond handling fee only. The
// class is a property of the instrument's board (trading.FeeClass).
type Class uint8

const (
	ClassEquity Class = iota // A-shares: main board, ChiNext, STAR
	ClassFund                // funds and ETFs
	ClassBond                // bonds and convertibles
	numClasses
)

// String names the class as the docs and the demo print it.
func (c Class) String() string {
	switch c {
	case ClassEquity:
		return "A-share"
	case ClassFund:
		return "fund/ETF"
	case ClassBond:
		return "bond"
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// ClassRates are the market rates of one product class in one schedule.
// A zero rate means the class does not pay that item: that is how funds and
// bonds are exempt from stamp duty and the transfer fee, so an exemption is
// a dated parameter like any rate and not a branch in the arithmetic.
type ClassRates struct {
	StampDutySell Rate // tax authority, seller only
	TransferFee   Rate // clearing house, both sides
	HandlingFee   Rate // exchange, both sides
	RegulatorLevy Rate // regulator, both sides
}

// Schedule is one dated set of market rates, in force from Effective
// (a business date YYYYMMDD) until the next schedule's Effective, with one
// set of rates per product class.
type Schedule struct {
	Effective uint32
	Equity    ClassRates
	Fund      ClassRates
	Bond      ClassRates
}

// Rates returns the rates of a class (unknown classes are refused by
// Params.Cumulative before this is reached).
func (s Schedule) Rates(c Class) ClassRates {
	switch c {
	case ClassFund:
		return s.Fund
	case ClassBond:
		return s.Bond
	}
	return s.Equity
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
	MaxCommission Rate       // cap on any broker's rate (0.3%)
	Minimum       MinimumRule
	Rounding      RoundingRule
}

// DefaultParams are DOMAIN.md's figures, with the schedules in force before
// the last changes kept so that a replay of an old date charges old rates.
//
//	                 A-share                         fund/ETF           bond
//	until 2022-04-28 stamp 0.1%  transfer 0.002%     handling 0.00487%  handling 0.0001%
//	                 handling 0.00487% levy 0.002%   levy 0.002%        (our default)
//	from 2022-04-29  transfer 0.001%                 —                  —
//	from 2023-08-28  stamp 0.05% handling 0.00341%   handling 0.004%    —
//
// Funds, ETFs and bonds pay no stamp duty and no transfer fee in any
// schedule; bonds pay no levy (DOMAIN.md lists only commission and the
// handling fee for them). The fund handling fee before 2023-08-28 is our
// default (the A-share rate of the time): no official figure was
// established.
func DefaultParams() Params {
	fund := ClassRates{HandlingFee: 4_870, RegulatorLevy: 2_000}
	bond := ClassRates{HandlingFee: 100}
	return Params{
		Schedules: []Schedule{
			{Effective: 19900101, Equity: ClassRates{StampDutySell: 100_000, TransferFee: 2_000, HandlingFee: 4_870, RegulatorLevy: 2_000}, Fund: fund, Bond: bond},
			{Effective: 20220429, Equity: ClassRates{StampDutySell: 100_000, TransferFee: 1_000, HandlingFee: 4_870, RegulatorLevy: 2_000}, Fund: fund, Bond: bond},
			{Effective: 20230828, Equity: ClassRates{StampDutySell: 50_000, TransferFee: 1_000, HandlingFee: 3_410, RegulatorLevy: 2_000},
				Fund: ClassRates{HandlingFee: 4_000, RegulatorLevy: 2_000}, Bond: bond},
		},
		MaxCommission: 300_000,
		Minimum:       MinimumPerOrder,
		Rounding:      RoundPerItem,
	}
}

// Commission is a broker's commission schedule for one product class: its
// rate and the minimum per order (or per fill, with MinimumPerFill).
type Commission struct {
	Rate    Rate
	Minimum int64 // fen; 500 = 5.00 CNY
}

// DefaultCommissions are the commission schedules of a broker that genesis
// does not describe, per class (our defaults): A-shares and funds 0.025%
// with the 5.00 minimum of DOMAIN.md; bonds 0.002% with a 1.00 minimum.
func DefaultCommissions() [numClasses]Commission {
	return [numClasses]Commission{
		ClassEquity: {Rate: 25_000, Minimum: 500},
		ClassFund:   {Rate: 25_000, Minimum: 500},
		ClassBond:   {Rate: 2_000, Minimum: 100},
	}
}

// Classes lists the product classes in order.
func Classes() []Class { return []Class{ClassEquity, ClassFund, ClassBond} }

// Errors returned by Validate and the computations.
var (
	ErrNoSchedule = errors.New("fees: no schedule in force on that date")
	ErrOverflow   = errors.New("fees: amount overflows")
	ErrBadParams  = errors.New("fees: invalid parameters")
)

// Validate checks the parameters: schedules ascending, every class's rates
// within 0..1%, the commission cap within 0..1%.
func (p Params) Validate() error {
	if len(p.Schedules) == 0 {
		return fmt.Errorf("%w: no schedule", ErrBadParams)
	}
	for i, s := range p.Schedules {
		if i > 0 && s.Effective <= p.Schedules[i-1].Effective {
			return fmt.Errorf("%w: schedules not ascending at %d", ErrBadParams, s.Effective)
		}
		for _, c := range Classes() {
			cr := s.Rates(c)
			for _, r := range []Rate{cr.StampDutySell, cr.TransferFee, cr.HandlingFee, cr.RegulatorLevy} {
				if r < 0 || r > RateScale/100 {
					return fmt.Errorf("%w: %s rate %d out of range 0..1%% in schedule %d", ErrBadParams, c, r, s.Effective)
				}
			}
		}
	}
	if p.MaxCommission < 0 || p.MaxCommission > RateScale/100 {
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
	Class          Class // picks the rates within the schedule
	CommissionRate Rate  // the broker's rate for this class
	MinCommission  int64 // the broker's minimum for this class, fen
}

// ValidateCommission checks a commission schedule against the cap: rate
// within 0..MaxCommission, minimum within 0..1 000.00 CNY.
func (p Params) ValidateCommission(c Commission) error {
	if c.Rate < 0 || c.Rate > p.MaxCommission {
		return fmt.Errorf("%w: commission rate %d outside 0..%d", ErrBadParams, c.Rate, p.MaxCommission)
	}
	if c.Minimum < 0 || c.Minimum > 100_000 {
		return fmt.Errorf("%w: minimum commission %d fen outside 0..100000", ErrBadParams, c.Minimum)
	}
	return nil
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
	if t.Class >= numClasses {
		return Breakdown{}, fmt.Errorf("%w: product class %d", ErrBadParams, t.Class)
	}
	cr := s.Rates(t.Class)
	stamp := Rate(0)
	if t.Side == Sell {
		stamp = cr.StampDutySell
	}
	rates := [5]Rate{t.CommissionRate, stamp, cr.TransferFee, cr.HandlingFee, cr.RegulatorLevy}
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
	if p.Minimum == MinimumPerOrder && b.Commission < t.MinCommission {
		b.Commission = t.MinCommission
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
		if rawFill > 0 && b.Commission < t.MinCommission {
			b.Commission = t.MinCommission
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
		if b.Commission < t.MinCommission {
			total += t.MinCommission - b.Commission
		}
		// Each further fill may pay the minimum on its own, plus up to one
		// fen per item of rounding.
		if maxFills > 1 {
			extra, ok := mulOK(maxFills-1, t.MinCommission+5)
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
