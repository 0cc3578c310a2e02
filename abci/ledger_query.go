package abci

import (
	"encoding/json"

	"github.com/custody-ledger/custody/contracts"
)

// defaultQuery answers /custody/<path>. The ledger's own JSON queries
// (account/<id>, funds/<id>, signer/<address>...) belong to
// contracts/ledger; until it exports its query function only "invariants"
// is served here.
func (a *App) defaultQuery(st contracts.Store, path string, _ []byte) ([]byte, error) {
	if path == "invariants" {
		return json.Marshal(contracts.CheckInvariants(st, a.invs))
	}
	return nil, errQueryNotServed{path: path}
}

type errQueryNotServed struct{ path string }

func (e errQueryNotServed) Error() string { return "abci: no query handler for /custody/" + e.path }
