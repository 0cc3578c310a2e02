package trading

import "github.com/custody-ledger/custody/contracts"

// Codespace of the trading contract's refusals.
const Codespace = "trading"

// Refusals of place_order, cancel_order and report_fill, and of the trading
// genesis. The account checks use the accounts codes (unknown, not active,
// not the account's broker, frozen), the order rules the market codes
// (halted, lots, size, tick, limits) and the money checks funds/3. Never
// renumber.
var (
	ErrBadOrderID        = contracts.Register(Codespace, 1, "order id is not <account id>/<1-32 characters [0-9A-Za-z._-]>")
	ErrBadSecurity       = contracts.Register(Codespace, 2, "security is not 6 digits and .SH or .SZ")
	ErrBadSide           = contracts.Register(Codespace, 3, "side is not buy or sell")
	ErrBadOrderType      = contracts.Register(Codespace, 4, "order type is not limit or market")
	ErrBadPrice          = contracts.Register(Codespace, 5, "price must be positive (zero for a market order)")
	ErrBadQuantity       = contracts.Register(Codespace, 6, "quantity must be positive")
	ErrBadSignatureLen   = contracts.Register(Codespace, 7, "client signature is not 64 bytes")
	ErrClientSignature   = contracts.Register(Codespace, 8, "client signature does not verify with the account's client key")
	ErrTicketChain       = contracts.Register(Codespace, 9, "ticket is for another chain")
	ErrNoBusinessDay     = contracts.Register(Codespace, 10, "no business day is open")
	ErrWrongBusinessDate = contracts.Register(Codespace, 11, "ticket is not for the current business date")
	ErrOutsideHours      = contracts.Register(Codespace, 12, "outside trading hours")
	ErrNoCancelWindow    = contracts.Register(Codespace, 13, "cancels are not accepted at this time")
	ErrUnknownInstrument = contracts.Register(Codespace, 14, "instrument not found")
	ErrNoShareholder     = contracts.Register(Codespace, 15, "account has no shareholder account at the instrument's exchange")
	ErrOrderExists       = contracts.Register(Codespace, 16, "order id already used")
	ErrUnknownOrder      = contracts.Register(Codespace, 17, "order not found")
	ErrOrderNotOpen      = contracts.Register(Codespace, 18, "order is not open")
	ErrInsufficientQty   = contracts.Register(Codespace, 19, "sellable holding is less than the quantity")
	ErrMarketNoLimit     = contracts.Register(Codespace, 20, "market order on an instrument without daily limits")
	ErrBadExecID         = contracts.Register(Codespace, 21, "exec id is not 1-64 characters [0-9A-Za-z._-]")
	ErrDuplicateExec     = contracts.Register(Codespace, 22, "exec id already reported")
	ErrOverfill          = contracts.Register(Codespace, 23, "fill quantity exceeds the order's remaining quantity")
	ErrFillPrice         = contracts.Register(Codespace, 24, "fill price is worse than the order's bound")
	ErrOverflow          = contracts.Register(Codespace, 25, "value or fee overflows")
	ErrBadInstrument     = contracts.Register(Codespace, 26, "instrument record is invalid")
	ErrBadParams         = contracts.Register(Codespace, 27, "trading parameters are invalid")
	ErrBadDate           = contracts.Register(Codespace, 28, "date is not a valid YYYYMMDD business date")
	ErrBadTicket         = contracts.Register(Codespace, 29, "ticket is missing")
)
