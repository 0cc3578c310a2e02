// Package trading is the order book of the chain's clients: the instrument
// master, the business date, orders placed by brokers on their clients'
// signed tickets, cancels, and the fills brokers report. It freezes and
// moves money only through the funds package and keeps the holdings and
// the clearing house's positions; end-of-day clearing (package clearing)
// settles what it records.
//
// The flow of one order:
//
//	place_order (broker + client's signed OrderTicket)
//	    checks: ticket chain and date, trading hours, account, client's
//	    signature, order id, instrument, market rules, holdings/funds
//	    buy:  freeze value at the bound price + the highest fees
//	    sell: freeze the quantity (+ a fee reserve for cheap securities)
//	report_fill × n (broker)
//	    buy:  value + fees leave the freeze for the broker's settlement
//	          account; holding grows (T+1: not sellable today)
//	    sell: holding goes; value − fees arrive, unsettled until clearing
//	    fees are cumulative over the order: Σ fill fees = fees of the total
//	    complete: what is still frozen is released
//	cancel_order (broker + client's signed CancelTicket): release the rest
//	end_of_day (clearing): open orders expire, releasing the rest
//
// Every amount is an integer: money in fen, prices in CNY × 10 000,
// quantities in shares; the rounding rules are those of the fees and
// market packages (half up, to the fen and to the tick). See README.md for
// the state layout, the refusals and the invariants, and
// docs/settlement.md for the rules in plain words.
package trading

import (
	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Routes of the trading contract.
func Routes() []contracts.Route {
	broker := []custodyv1.Role{custodyv1.Role_ROLE_BROKER}
	return []contracts.Route{
		contracts.Handle("place_order", broker, ValidatePlace, Place),
		contracts.Handle("cancel_order", broker, ValidateCancel, Cancel),
		contracts.Handle("report_fill", broker, ValidateFill, ReportFill),
	}
}
