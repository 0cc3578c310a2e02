package ledger

import (
	"encoding/json"
	"strconv"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/governance"
)

// governanceQueryPaths are the paths of proposals and upgrades.
var governanceQueryPaths = []string{"proposals", "proposal/<id>", "upgrade"}

// queryGovernance answers the governance paths; ok is false for any other.
// Every institution reads them (governance.MayRead, governance.Reads);
// anyone else gets not found, like every read.
func (q reading) queryGovernance(head, rest string) (out []byte, ok bool, err error) {
	store := q.store
	switch head {
	case "proposals", "proposal", "upgrade":
		if err := q.admit(contracts.Audience{Institutions: true}); err != nil {
			return nil, true, err
		}
	}
	switch head {
	case "proposals":
		out, err = list("proposals", governance.All(store), nil)
		return out, true, err
	case "proposal":
		p, err := governance.Get(store, rest)
		if err != nil {
			return nil, true, ErrNotFound.Wrapf("%v", err)
		}
		out, err = record(p)
		return out, true, err
	case "upgrade":
		// The scheduled plan (null when none), the upgrades applied and
		// the application version the state records (0: never upgraded).
		var plan json.RawMessage = []byte("null")
		if p := governance.GetPlan(store); p != nil {
			if plan, err = record(p); err != nil {
				return nil, true, err
			}
		}
		applied, err := list("applied", governance.Applied(store), nil)
		if err != nil {
			return nil, true, err
		}
		out, err = json.Marshal(map[string]any{
			"plan": plan, "applied": json.RawMessage(applied),
			"app_version": strconv.FormatUint(governance.AppVersion(store), 10),
		})
		return out, true, err
	}
	return nil, false, nil
}
