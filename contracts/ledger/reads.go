package ledger

import (
	"slices"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/adjustments"
	"github.com/custody-ledger/custody/contracts/anchors"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/evidence"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/governance"
	"github.com/custody-ledger/custody/contracts/participants"
	"github.com/custody-ledger/custody/contracts/reconcile"
	"github.com/custody-ledger/custody/contracts/trading"
	"github.com/custody-ledger/custody/contracts/transfers"
)

// Reads returns every contract's record kinds: who may read the records
// under each key prefix, declared in the package that owns the prefix,
// beside its Routes.
func Reads() []contracts.RecordKind {
	return slices.Concat(participants.Reads(), auth.Reads(), accounts.Reads(), funds.Reads(),
		transfers.Reads(), trading.Reads(), clearing.Reads(), reconcile.Reads(), anchors.Reads(),
		adjustments.Reads(), governance.Reads(), evidence.Reads())
}

// policy is built once: the kinds are fixed at compile time.
var policy = contracts.NewReadPolicy(accounts.Parties, Reads()...)

// Policy returns the read policy every entry point enforces: Query, the
// abci package's raw /store/key reads and their proofs.
func Policy() *contracts.ReadPolicy {
	return policy
}
