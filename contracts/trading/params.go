package trading

import (
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/fees"
	"github.com/custody-ledger/custody/contracts/market"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Defaults that DOMAIN.md does not give (our defaults, documented in
// docs/settlement.md).
const (
	// DefaultCommissionRate is a broker's commission when genesis names
	// none for it: 0.025% (DOMAIN.md's worked example).
	DefaultCommissionRate = 25_000
	// DefaultNoLimitDays: a new listing trades without a daily limit for its
	// first 5 business days.
	DefaultNoLimitDays = 5
	// DefaultMaxEODItems bounds each list of an end_of_day message.
	DefaultMaxEODItems = 10_000
	// ChinaUTCOffset is the exchanges' time zone, UTC+8 (no daylight time).
	ChinaUTCOffset = 8 * 3600
)

// boards in the order their rules are written.
var boards = []market.Board{market.BoardMain, market.BoardChiNext, market.BoardSTAR, market.BoardFund, market.BoardBond}

// DefaultSessions are the exchanges' sessions (DOMAIN.md): the opening call
// auction 09:15-09:25 (cancels only until 09:20), continuous trading
// 09:30-11:30 and 13:00-14:57, the closing call auction 14:57-15:00 (no
// cancels).
func DefaultSessions() []*custodyv1.Session {
	hm := func(h, m uint32) uint32 { return h*3600 + m*60 }
	return []*custodyv1.Session{
		{Start: hm(9, 15), End: hm(9, 20), Cancels: true},
		{Start: hm(9, 20), End: hm(9, 25)},
		{Start: hm(9, 30), End: hm(11, 30), Cancels: true},
		{Start: hm(13, 0), End: hm(14, 57), Cancels: true},
		{Start: hm(14, 57), End: hm(15, 0)},
	}
}

// DefaultParams are DOMAIN.md's figures: fees.DefaultParams,
// market.DefaultRules, the exchanges' sessions (trading hours off, as in
// the testnet), 0.025% commission for every broker.
func DefaultParams() *custodyv1.TradingParams {
	fp := fees.DefaultParams()
	rules := market.DefaultRules()
	commissions := fees.DefaultCommissions()
	p := &custodyv1.TradingParams{
		MinCommission:         commissions[fees.ClassEquity].Minimum,
		MaxCommissionRate:     int64(fp.MaxCommission),
		MinimumRule:           custodyv1.FeeMinimumRule(fp.Minimum),
		RoundingRule:          custodyv1.FeeRoundingRule(fp.Rounding),
		DefaultCommissionRate: DefaultCommissionRate,
		TradingHours:          &custodyv1.TradingHours{UtcOffsetSeconds: ChinaUTCOffset, Sessions: DefaultSessions()},
		NewListingNoLimitDays: DefaultNoLimitDays,
		MaxEodItems:           DefaultMaxEODItems,
	}
	for _, s := range fp.Schedules {
		p.FeeSchedules = append(p.FeeSchedules, &custodyv1.FeeSchedule{
			Effective: s.Effective, Equity: feeRatesProto(s.Equity), Fund: feeRatesProto(s.Fund), Bond: feeRatesProto(s.Bond),
		})
	}
	for _, c := range []fees.Class{fees.ClassFund, fees.ClassBond} {
		p.ClassCommissions = append(p.ClassCommissions, &custodyv1.ClassCommission{
			Class: custodyv1.FeeClass(c), Rate: int64(commissions[c].Rate), Minimum: commissions[c].Minimum,
		})
	}
	for _, b := range boards {
		r := rules[b]
		br := &custodyv1.BoardRule{
			Board: custodyv1.Board(b), Lot: r.Lot, MinBuy: r.MinBuy, OddLotSell: r.OddLotSell,
			MaxLimitQty: r.MaxLimitQty, MaxMarketQty: r.MaxMarketQty, Tick: r.Tick, LimitBp: r.LimitBP,
			CageBp: r.CageBP, CageTicks: r.CageTicks,
		}
		for _, d := range r.STLimitBP {
			br.StLimits = append(br.StLimits, &custodyv1.DatedLimit{Effective: d.Effective, Bp: d.BP})
		}
		p.BoardRules = append(p.BoardRules, br)
	}
	return p
}

// FeeParams converts the stored parameters to the fees package's form.
func FeeParams(p *custodyv1.TradingParams) fees.Params {
	fp := fees.Params{
		MaxCommission: fees.Rate(p.MaxCommissionRate),
		Minimum:       fees.MinimumRule(p.MinimumRule),
		Rounding:      fees.RoundingRule(p.RoundingRule),
	}
	for _, s := range p.FeeSchedules {
		fp.Schedules = append(fp.Schedules, fees.Schedule{
			Effective: s.Effective, Equity: feeRates(s.Equity), Fund: feeRates(s.Fund), Bond: feeRates(s.Bond),
		})
	}
	return fp
}

func feeRatesProto(r fees.ClassRates) *custodyv1.FeeRates {
	return &custodyv1.FeeRates{StampDutySell: int64(r.StampDutySell), TransferFee: int64(r.TransferFee),
		HandlingFee: int64(r.HandlingFee), RegulatorLevy: int64(r.RegulatorLevy)}
}

// feeRates converts stored rates; an absent set is all zero (the class pays
// commission only).
func feeRates(r *custodyv1.FeeRates) fees.ClassRates {
	if r == nil {
		return fees.ClassRates{}
	}
	return fees.ClassRates{StampDutySell: fees.Rate(r.StampDutySell), TransferFee: fees.Rate(r.TransferFee),
		HandlingFee: fees.Rate(r.HandlingFee), RegulatorLevy: fees.Rate(r.RegulatorLevy)}
}

// Rules converts the stored board rules to the market package's form.
func Rules(p *custodyv1.TradingParams) market.Rules {
	rules := market.Rules{}
	for _, br := range p.BoardRules {
		r := market.BoardRules{
			Lot: br.Lot, MinBuy: br.MinBuy, OddLotSell: br.OddLotSell, MaxLimitQty: br.MaxLimitQty,
			MaxMarketQty: br.MaxMarketQty, Tick: br.Tick, LimitBP: br.LimitBp, CageBP: br.CageBp, CageTicks: br.CageTicks,
		}
		for _, d := range br.StLimits {
			r.STLimitBP = append(r.STLimitBP, market.DatedBP{Effective: d.Effective, BP: d.Bp})
		}
		rules[market.Board(br.Board)] = r
	}
	return rules
}

// Commission is the broker's commission schedule for a product class, the
// first that applies of: the class in the broker's own schedule; the
// broker's flat rate with the class's default minimum; the class's default
// (class_commissions); default_commission_rate with min_commission.
func Commission(p *custodyv1.TradingParams, brokerID string, class fees.Class) fees.Commission {
	c := fees.Commission{Rate: fees.Rate(p.DefaultCommissionRate), Minimum: p.MinCommission}
	for _, cc := range p.ClassCommissions {
		if fees.Class(cc.Class) == class {
			c = fees.Commission{Rate: fees.Rate(cc.Rate), Minimum: cc.Minimum}
		}
	}
	for _, bc := range p.BrokerCommissions {
		if bc.BrokerId != brokerID {
			continue
		}
		c.Rate = fees.Rate(bc.Rate)
		for _, cc := range bc.Classes {
			if fees.Class(cc.Class) == class {
				c = fees.Commission{Rate: fees.Rate(cc.Rate), Minimum: cc.Minimum}
			}
		}
	}
	return c
}

// CommissionRate is the broker's A-share commission rate.
func CommissionRate(p *custodyv1.TradingParams, brokerID string) fees.Rate {
	return Commission(p, brokerID, fees.ClassEquity).Rate
}

// Bounds that keep every product of the trading arithmetic inside int64:
// prices below 10^9 (100 000 CNY), quantities below 10^9 shares, so a raw
// value price × quantity stays below 10^18.
const (
	MaxPrice    = 1_000_000_000
	MaxQuantity = 1_000_000_000
)

// ValidateParams checks the trading parameters: the fee parameters
// (fees.Params.Validate), every board's rules present and sane, commission
// rates within the cap, the trading sessions ordered.
func ValidateParams(p *custodyv1.TradingParams) error {
	if p == nil {
		return ErrBadParams.Wrapf("missing")
	}
	bad := func(format string, args ...any) error { return ErrBadParams.Wrapf(format, args...) }
	if err := FeeParams(p).Validate(); err != nil {
		return bad("%v", err)
	}
	if p.DefaultCommissionRate < 0 || p.DefaultCommissionRate > p.MaxCommissionRate {
		return bad("default commission rate %d outside 0..%d", p.DefaultCommissionRate, p.MaxCommissionRate)
	}
	if p.MinimumRule != custodyv1.FeeMinimumRule_FEE_MINIMUM_RULE_PER_ORDER && p.MinimumRule != custodyv1.FeeMinimumRule_FEE_MINIMUM_RULE_PER_FILL {
		return bad("minimum rule %d", p.MinimumRule)
	}
	if p.RoundingRule != custodyv1.FeeRoundingRule_FEE_ROUNDING_RULE_PER_ITEM && p.RoundingRule != custodyv1.FeeRoundingRule_FEE_ROUNDING_RULE_ON_TOTAL {
		return bad("rounding rule %d", p.RoundingRule)
	}
	if p.MinCommission < 0 || p.MinCommission > 100_000 {
		return bad("minimum commission %d fen outside 0..1000 CNY", p.MinCommission)
	}
	classes := func(what string, list []*custodyv1.ClassCommission) error {
		seenClass := map[custodyv1.FeeClass]bool{}
		for _, cc := range list {
			if seenClass[cc.Class] || cc.Class < custodyv1.FeeClass_FEE_CLASS_EQUITY || cc.Class > custodyv1.FeeClass_FEE_CLASS_BOND {
				return bad("%s: class %s unknown or repeated", what, cc.Class)
			}
			seenClass[cc.Class] = true
			if err := FeeParams(p).ValidateCommission(fees.Commission{Rate: fees.Rate(cc.Rate), Minimum: cc.Minimum}); err != nil {
				return bad("%s %s: %v", what, cc.Class, err)
			}
		}
		return nil
	}
	if err := classes("class commission", p.ClassCommissions); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, bc := range p.BrokerCommissions {
		if seen[bc.BrokerId] || bc.Rate < 0 || bc.Rate > p.MaxCommissionRate {
			return bad("broker commission %s: %d (cap %d, or repeated)", bc.BrokerId, bc.Rate, p.MaxCommissionRate)
		}
		seen[bc.BrokerId] = true
		if err := classes("broker commission "+bc.BrokerId, bc.Classes); err != nil {
			return err
		}
	}
	got := map[custodyv1.Board]bool{}
	for _, br := range p.BoardRules {
		if got[br.Board] || market.Board(br.Board) < market.BoardMain || market.Board(br.Board) > market.BoardBond {
			return bad("board %s unknown or repeated", br.Board)
		}
		got[br.Board] = true
		if br.Lot <= 0 || br.MinBuy <= 0 || br.MinBuy%br.Lot != 0 && br.Lot != 1 || br.Tick <= 0 || br.Tick > MaxPrice ||
			br.MaxLimitQty <= 0 || br.MaxLimitQty > MaxQuantity || br.MaxMarketQty <= 0 || br.MaxMarketQty > MaxQuantity ||
			br.LimitBp < 0 || br.LimitBp > 10_000 || br.CageBp < 0 || br.CageBp > 10_000 || br.CageTicks < 0 || br.CageTicks > 1000 {
			return bad("board %s rules out of range: %v", br.Board, br)
		}
		for i, d := range br.StLimits {
			if d.Bp < 0 || d.Bp > 10_000 || i > 0 && d.Effective <= br.StLimits[i-1].Effective {
				return bad("board %s risk-warning limits", br.Board)
			}
		}
	}
	for _, b := range boards {
		if !got[custodyv1.Board(b)] {
			return bad("no rules for board %s", b)
		}
	}
	h := p.TradingHours
	if h == nil {
		return bad("no trading hours")
	}
	if h.UtcOffsetSeconds < -14*3600 || h.UtcOffsetSeconds > 14*3600 {
		return bad("utc offset %d", h.UtcOffsetSeconds)
	}
	for i, s := range h.Sessions {
		if s.Start >= s.End || s.End > 24*3600 || i > 0 && s.Start < h.Sessions[i-1].End {
			return bad("session %d [%d, %d) out of order", i, s.Start, s.End)
		}
	}
	if h.Enabled && len(h.Sessions) == 0 {
		return bad("trading hours enabled without sessions")
	}
	if p.MaxEodItems == 0 {
		return bad("max_eod_items is 0")
	}
	return nil
}

// GetParams returns the trading parameters in state. Genesis always writes
// them; state without them is corrupt.
func GetParams(store contracts.Store) *custodyv1.TradingParams {
	k := ParamsKey()
	bz := store.Get(k)
	if bz == nil {
		panic("trading: no trading parameters in state")
	}
	var p custodyv1.TradingParams
	contracts.Unmarshal(k, bz, &p)
	return &p
}

// GetBusinessDay returns the business day (date 0 before the first one).
func GetBusinessDay(store contracts.Store) *custodyv1.BusinessDay {
	k := BusinessDayKey()
	var d custodyv1.BusinessDay
	if bz := store.Get(k); bz != nil {
		contracts.Unmarshal(k, bz, &d)
	}
	return &d
}

// SetBusinessDay writes the business day.
func SetBusinessDay(store contracts.Store, d *custodyv1.BusinessDay) {
	store.Set(BusinessDayKey(), contracts.Marshal(d))
}

// InitGenesis writes the trading genesis: the parameters (the defaults when
// absent), the business date and the instrument master. It refuses the
// whole genesis on the first bad entry.
func InitGenesis(store contracts.Store, g *custodyv1.TradingGenesis) error {
	if g == nil {
		g = &custodyv1.TradingGenesis{}
	}
	p := g.Params
	if p == nil {
		p = DefaultParams()
	}
	if err := ValidateParams(p); err != nil {
		return fmt.Errorf("trading genesis: %w", err)
	}
	store.Set(ParamsKey(), contracts.Marshal(p))
	if g.BusinessDate != 0 {
		if err := ValidateDate(g.BusinessDate); err != nil {
			return fmt.Errorf("trading genesis: %w", err)
		}
		SetBusinessDay(store, &custodyv1.BusinessDay{Date: g.BusinessDate})
	}
	for _, inst := range g.Instruments {
		if store.Has(InstrumentKey(inst.Security)) {
			return fmt.Errorf("trading genesis: %w", ErrBadInstrument.Wrapf("%s listed twice", inst.Security))
		}
		if err := ValidateInstrument(p, inst); err != nil {
			return fmt.Errorf("trading genesis: %w", err)
		}
		n := Normalize(inst)
		n.UpdatedDate = g.BusinessDate
		SetInstrument(store, n)
	}
	return nil
}
