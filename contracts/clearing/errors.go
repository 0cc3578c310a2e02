package clearing

import "github.com/custody-ledger/custody/contracts"

// Codespace of the clearing contract's refusals.
const Codespace = "clearing"

// Refusals of end_of_day. Dates use trading/28, securities trading/2 and
// trading/14, instrument records trading/26. Never renumber.
var (
	ErrWrongDate       = contracts.Register(Codespace, 1, "date is not the chain's business date")
	ErrNextDate        = contracts.Register(Codespace, 2, "next date is not after the date")
	ErrBadClosingPrice = contracts.Register(Codespace, 3, "closing price is not positive, off the tick or repeated")
	ErrBadTotals       = contracts.Register(Codespace, 4, "trade totals are negative, repeated or name no broker")
	ErrTooManyItems    = contracts.Register(Codespace, 5, "a list is longer than the parameters allow")
	ErrRepeatedUpdate  = contracts.Register(Codespace, 6, "an instrument is updated twice")
)

// Refusals of correct_trade_totals (issue #18). Never renumber.
var (
	ErrNoSettlementBreak = contracts.Register(Codespace, 50, "no settlement break for that date and broker")
	ErrBreakResolved     = contracts.Register(Codespace, 51, "the settlement break is already resolved")
	ErrStillDiffers      = contracts.Register(Codespace, 52, "the corrected totals still differ from the chain's: agree an adjustment")
)
