// Package fees computes the fees of a trade in integer arithmetic, with one
// written rounding rule per item. It is a pure library: the trading contract
// calls it and moves the money; this package touches no state.
//
// Units. Prices are CNY × 10 000 (PriceScale, the scale SZSE Binary uses on
// the wire); quantities are whole shares; a trade's raw value is price ×
// quantity in units of 0.0001 CNY, and every amount returned is in fen
// (0.01 CNY). Rates are parts per 10^8 (RateScale): 0.00341% is 3 410.
//
// Rounding. Each fee item is rounded half up to the fen, on its own (the
// DOMAIN.md default, "per item"); with RoundOnTotal the items are summed
// unrounded and only the total is rounded (the total is then booked to the
// items by largest remainder so that they still add up). Fills of one order
// are charged cumulatively: a fill pays fee(value so far) − fee(value before
// it), so however an order is split into fills, its fees equal the fees of
// one fill of its whole value, and the freeze taken at order time (Max) is
// never exceeded.
//
// Product classes. A-shares, funds/ETFs and bonds are charged differently:
// each schedule holds one set of rates per class (Schedule.Rates), and funds,
// ETFs and bonds carry a zero stamp duty and a zero transfer fee, so they pay
// neither. The commission rate and its minimum are the broker's, per class
// (Commission; the trading contract picks them for the order).
//
// Minimum commission. By default the minimum (5.00 CNY for A-shares)
// applies per order:
// commission is max(minimum, rate × value) over the order's total filled
// value, and the top-up to the minimum is due with the first fill (the
// order has traded, so the minimum is owed whatever else fills). With
// MinimumPerFill each fill pays at least the minimum on its own; the worst
// case freeze is then one minimum per possible fill.
//
// Rates change by regulation every few years, so they live in a dated
// schedule: the business date of the trade picks the schedule in force.
package fees
