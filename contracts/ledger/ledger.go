// Package ledger assembles the contracts into one state machine: the Router
// with every message route, genesis initialisation, and the list of
// invariants. The abci package depends on this package alone.
package ledger

import (
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/participants"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// NewRouter returns the router with every contract's routes.
func NewRouter() *contracts.Router {
	return contracts.NewRouter()
}

// InitGenesis writes the genesis state.
func InitGenesis(store contracts.Store, gen *custodyv1.GenesisState) error {
	return participants.InitGenesis(store, gen.Participants)
}

// Invariants returns every contract's invariants, in a fixed order.
func Invariants() []contracts.Invariant {
	return nil
}
