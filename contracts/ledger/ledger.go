// Package ledger assembles the contracts into one state machine: the Router
// with every message route, genesis initialisation, the list of
// invariants, and the read-only Query the abci package serves under
// /custody/<path>. The abci package depends on this package alone.
package ledger

import (
	"slices"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/adjustments"
	"github.com/custody-ledger/custody/contracts/anchors"
	"github.com/custody-ledger/custody/contracts/approvals"
	"github.com/custody-ledger/custody/contracts/calendar"
	"github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/governance"
	"github.com/custody-ledger/custody/contracts/interest"
	"github.com/custody-ledger/custody/contracts/participants"
	"github.com/custody-ledger/custody/contracts/reconcile"
	"github.com/custody-ledger/custody/contracts/supervision"
	"github.com/custody-ledger/custody/contracts/trading"
	"github.com/custody-ledger/custody/contracts/transfers"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Routes returns every contract's routes. The money movements among them
// are wrapped by approvals.Guard: an operator key above its amount limit
// holds them for a second operator's approval.
func Routes() []contracts.Route {
	routes := slices.Concat(accounts.Routes(), transfers.Routes(calendar.Days{}), supervision.Routes(),
		trading.Routes(), clearing.Routes(), reconcile.Routes(), anchors.Routes(),
		participants.Routes(), interest.Routes(), calendar.Routes(), adjustments.Routes(), governance.Routes())
	return approvals.Guard(routes, transfers.MoneyMovements())
}

// NewRouter returns the router with every contract's routes.
func NewRouter() *contracts.Router {
	return contracts.NewRouter(Routes()...)
}

// InitGenesis writes the genesis state: the participants, then the trading
// parameters, business date and instrument master, then the calendar.
func InitGenesis(store contracts.Store, gen *custodyv1.GenesisState) error {
	if err := participants.InitGenesis(store, gen.Participants); err != nil {
		return err
	}
	if err := trading.InitGenesis(store, gen.Trading); err != nil {
		return err
	}
	if err := calendar.InitGenesis(store, gen.Calendar); err != nil {
		return err
	}
	return adjustments.InitGenesis(store, gen.Adjustments)
}

// Invariants returns every contract's invariants, in a fixed order.
func Invariants() []contracts.Invariant {
	return slices.Concat(funds.Invariants(), accounts.Invariants(), transfers.Invariants(),
		trading.Invariants(), reconcile.Invariants(), anchors.Invariants(),
		participants.Invariants(), approvals.Invariants(), interest.Invariants(), adjustments.Invariants(), governance.Invariants())
}
