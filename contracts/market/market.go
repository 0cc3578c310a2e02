// Package market holds the exchange's order rules for A-shares: board lots,
// odd-lot sells, STAR's 200-share minimum, maximum order sizes, ticks, daily
// price limits against the previous close, and the continuous-trading price
// cage. It is pure: the trading contract asks it whether an order is
// acceptable and what the limit prices are; it keeps no state.
//
// Prices are CNY × 10 000 (PriceScale); quantities are whole shares;
// percentages are basis points (1% = 100). Every number is a field of
// BoardRules with the DOMAIN.md figure as its default.
//
// Rounding of limit prices: the previous close × (1 ± limit) is rounded to
// the tick half up (a half tick goes away from zero), for both the up and
// the down limit, as the exchanges publish them.
package market

import (
	"fmt"

	"github.com/custody-ledger/custody/contracts"
)

// PriceScale: prices are CNY × 10 000.
const PriceScale = 10_000

// Board is the listing board, which picks the rules.
type Board uint8

const (
	BoardMain    Board = iota + 1 // SSE 60xxxx, SZSE 00xxxx
	BoardChiNext                  // SZSE 30xxxx
	BoardSTAR                     // SSE 688xxx
	BoardFund                     // funds and ETFs
	BoardBond                     // bonds and convertibles
)

func (b Board) String() string {
	switch b {
	case BoardMain:
		return "main"
	case BoardChiNext:
		return "chinext"
	case BoardSTAR:
		return "star"
	case BoardFund:
		return "fund"
	case BoardBond:
		return "bond"
	}
	return fmt.Sprintf("board(%d)", uint8(b))
}

// Side of an order.
type Side uint8

const (
	Buy Side = iota + 1
	Sell
)

// OrdType of an order.
type OrdType uint8

const (
	Limit OrdType = iota + 1
	MarketOrder
)

// BoardRules are one board's order rules.
type BoardRules struct {
	// Lot is the buy quantity step; MinBuy the smallest buy (STAR: 200, step 1).
	Lot    int64
	MinBuy int64
	// OddLotSell: a holding's remainder below Lot may be sold, whole, in one
	// order (main board, ChiNext). STAR instead allows selling a holding
	// below MinBuy in one order.
	OddLotSell bool
	// MaxLimitQty / MaxMarketQty: the largest limit and market order.
	MaxLimitQty  int64
	MaxMarketQty int64
	// Tick is the price step (CNY × 10 000): 100 = 0.01, 10 = 0.001.
	Tick int64
	// LimitBP is the daily price limit in basis points of the previous close
	// (1000 = ±10%); STLimitBP applies to risk-warning (ST) shares.
	LimitBP   int64
	STLimitBP []DatedBP
	// CageBP and CageTicks: in continuous trading a buy may be at most
	// max(ref × (1 + CageBP), ref + CageTicks ticks) and a sell at least
	// min(ref × (1 − CageBP), ref − CageTicks ticks); CageTicks 0 = no floor.
	CageBP    int64
	CageTicks int64
}

// DatedBP is a limit in force from Effective (YYYYMMDD).
type DatedBP struct {
	Effective uint32
	BP        int64
}

// Rules are every board's rules.
type Rules map[Board]BoardRules

// DefaultRules are DOMAIN.md's figures. Fund and bond rows are our defaults
// where DOMAIN.md gives none (say so in docs): funds trade in lots of 100 at
// 0.001 with ±10%; bonds in lots of 10 at 0.001 with ±20% (convertibles).
func DefaultRules() Rules {
	st := []DatedBP{{Effective: 0, BP: 500}, {Effective: 20250707, BP: 1000}}
	return Rules{
		BoardMain:    {Lot: 100, MinBuy: 100, OddLotSell: true, MaxLimitQty: 1_000_000, MaxMarketQty: 1_000_000, Tick: 100, LimitBP: 1000, STLimitBP: st, CageBP: 200, CageTicks: 10},
		BoardChiNext: {Lot: 100, MinBuy: 100, OddLotSell: true, MaxLimitQty: 300_000, MaxMarketQty: 150_000, Tick: 100, LimitBP: 2000, STLimitBP: []DatedBP{{BP: 2000}}, CageBP: 200, CageTicks: 10},
		BoardSTAR:    {Lot: 1, MinBuy: 200, MaxLimitQty: 100_000, MaxMarketQty: 50_000, Tick: 100, LimitBP: 2000, STLimitBP: []DatedBP{{BP: 2000}}, CageBP: 200},
		BoardFund:    {Lot: 100, MinBuy: 100, OddLotSell: true, MaxLimitQty: 1_000_000, MaxMarketQty: 1_000_000, Tick: 10, LimitBP: 1000, STLimitBP: []DatedBP{{BP: 1000}}, CageBP: 200, CageTicks: 10},
		BoardBond:    {Lot: 10, MinBuy: 10, OddLotSell: true, MaxLimitQty: 100_000, MaxMarketQty: 100_000, Tick: 10, LimitBP: 2000, STLimitBP: []DatedBP{{BP: 2000}}, CageBP: 200, CageTicks: 10},
	}
}

// Instrument is what the rules need to know of a security.
type Instrument struct {
	Board     Board
	PrevClose int64 // reference price for the daily limit (CNY × 10 000)
	// Tick overrides the board's tick when non-zero.
	Tick int64
	// RiskWarning marks ST shares (their own limit).
	RiskWarning bool
	// NoLimit is set for a new listing's first days (no daily limit).
	NoLimit bool
	Halted  bool
}

// Codespace of the market-rule refusals.
const Codespace = "market"

var (
	ErrHalted        = contracts.Register(Codespace, 1, "instrument is halted")
	ErrBadQuantity   = contracts.Register(Codespace, 2, "quantity breaks the board lot rules")
	ErrTooLarge      = contracts.Register(Codespace, 3, "quantity above the board's maximum order")
	ErrBadTick       = contracts.Register(Codespace, 4, "price is not a multiple of the tick")
	ErrOutsideLimits = contracts.Register(Codespace, 5, "price outside the daily limits")
	ErrOutsideCage   = contracts.Register(Codespace, 6, "price outside the price cage")
	ErrUnknownBoard  = contracts.Register(Codespace, 7, "no rules for the instrument's board")
	ErrBadPrice      = contracts.Register(Codespace, 8, "price must be positive")
)

func (r Rules) board(b Board) (BoardRules, error) {
	br, ok := r[b]
	if !ok {
		return BoardRules{}, ErrUnknownBoard.Wrapf("%s", b)
	}
	return br, nil
}

func tickOf(inst Instrument, br BoardRules) int64 {
	if inst.Tick > 0 {
		return inst.Tick
	}
	return br.Tick
}

// limitBP returns the daily limit in force on date for the instrument.
func limitBP(inst Instrument, br BoardRules, date uint32) int64 {
	if !inst.RiskWarning {
		return br.LimitBP
	}
	bp := br.LimitBP
	for _, d := range br.STLimitBP {
		if d.Effective <= date {
			bp = d.BP
		}
	}
	return bp
}

// roundToTick rounds num/den to a multiple of tick, half up; num, den > 0.
func roundToTick(num, den, tick int64) int64 {
	return (num + den*tick/2) / (den * tick) * tick
}

// LimitPrices returns the day's up and down limit prices; ok is false for
// an instrument with no limit (a new listing's first days).
func (r Rules) LimitPrices(inst Instrument, date uint32) (up, down int64, ok bool, err error) {
	br, err := r.board(inst.Board)
	if err != nil {
		return 0, 0, false, err
	}
	if inst.NoLimit || inst.PrevClose <= 0 {
		return 0, 0, false, nil
	}
	bp, tick := limitBP(inst, br, date), tickOf(inst, br)
	up = roundToTick(inst.PrevClose*(10_000+bp), 10_000, tick)
	down = roundToTick(inst.PrevClose*(10_000-bp), 10_000, tick)
	if down < tick {
		down = tick
	}
	return up, down, true, nil
}

// CheckQuantity applies the lot rules. sellable is the client's sellable
// holding of the security (used for odd-lot sells).
func (r Rules) CheckQuantity(inst Instrument, side Side, typ OrdType, qty, sellable int64) error {
	br, err := r.board(inst.Board)
	if err != nil {
		return err
	}
	if qty <= 0 {
		return ErrBadQuantity.Wrapf("quantity %d", qty)
	}
	max := br.MaxLimitQty
	if typ == MarketOrder {
		max = br.MaxMarketQty
	}
	if qty > max {
		return ErrTooLarge.Wrapf("%d > %d on %s", qty, max, inst.Board)
	}
	if side == Buy {
		if qty < br.MinBuy || qty%br.Lot != 0 {
			return ErrBadQuantity.Wrapf("buy %d: at least %d in steps of %d on %s", qty, br.MinBuy, br.Lot, inst.Board)
		}
		return nil
	}
	// Sells: whole lots, or the odd remainder sold whole together.
	if br.OddLotSell {
		if qty%br.Lot != 0 && qty%br.Lot != sellable%br.Lot {
			return ErrBadQuantity.Wrapf("sell %d: whole lots of %d, or with the odd %d shares all at once", qty, br.Lot, sellable%br.Lot)
		}
		return nil
	}
	if qty < br.MinBuy && qty != sellable {
		return ErrBadQuantity.Wrapf("sell %d: at least %d, or the whole holding of %d", qty, br.MinBuy, sellable)
	}
	return nil
}

// CheckPrice applies the tick and the daily limits to a limit order.
func (r Rules) CheckPrice(inst Instrument, price int64, date uint32) error {
	br, err := r.board(inst.Board)
	if err != nil {
		return err
	}
	if price <= 0 {
		return ErrBadPrice.Wrapf("%s", contracts.Price(price))
	}
	if tick := tickOf(inst, br); price%tick != 0 {
		return ErrBadTick.Wrapf("%s is not a multiple of the tick %s", contracts.Price(price), contracts.Price(tick))
	}
	up, down, limited, err := r.LimitPrices(inst, date)
	if err != nil {
		return err
	}
	if limited && (price > up || price < down) {
		return ErrOutsideLimits.Wrapf("%s is outside the day's limits %s to %s", contracts.Price(price), contracts.Price(down), contracts.Price(up))
	}
	return nil
}

// CheckCage applies the continuous-trading price cage around a reference
// price ref (the last trade or best quote); ref ≤ 0 means none is known and
// the cage does not apply.
func (r Rules) CheckCage(inst Instrument, side Side, price, ref int64) error {
	br, err := r.board(inst.Board)
	if err != nil {
		return err
	}
	if ref <= 0 || br.CageBP == 0 {
		return nil
	}
	step := br.CageTicks * tickOf(inst, br)
	switch side {
	case Buy:
		// price ≤ max(ref × (1 + cage), ref + step), compared exactly.
		if price*10_000 > ref*(10_000+br.CageBP) && price > ref+step {
			return ErrOutsideCage.Wrapf("buy at %s is above the price cage around %s", contracts.Price(price), contracts.Price(ref))
		}
	case Sell:
		floor := ref - step
		if br.CageTicks == 0 {
			floor = ref // no tick floor: only the percentage counts
		}
		if price*10_000 < ref*(10_000-br.CageBP) && price < floor {
			return ErrOutsideCage.Wrapf("sell at %s is below the price cage around %s", contracts.Price(price), contracts.Price(ref))
		}
	}
	return nil
}

// Check applies every rule to an order: trading status, quantity, price.
func (r Rules) Check(inst Instrument, side Side, typ OrdType, price, qty, sellable int64, date uint32) error {
	if inst.Halted {
		return ErrHalted
	}
	if err := r.CheckQuantity(inst, side, typ, qty, sellable); err != nil {
		return err
	}
	if typ == MarketOrder {
		return nil
	}
	return r.CheckPrice(inst, price, date)
}
