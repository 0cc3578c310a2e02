package participants

import (
	"fmt"

	"github.com/custody-ledger/custody/contracts"
)

// Invariants of the participants contract.
func Invariants() []contracts.Invariant {
	return []contracts.Invariant{{Name: "participants/active-admin-key", Check: activeAdminKey}}
}

// activeAdminKey: every participant keeps an active unrestricted key, and
// every key it lists is registered to it with its role.
func activeAdminKey(store contracts.Store) (string, bool) {
	var msgs []string
	ps := All(store)
	for _, p := range ps {
		for _, rec := range Keys(store, p) {
			if rec.Owner != p.Id || rec.Role != p.Role {
				msgs = append(msgs, fmt.Sprintf("%s lists a key of %s (%s)", p.Id, rec.Owner, rec.Role))
			}
		}
		if activeAdminKeys(store, p) == 0 {
			msgs = append(msgs, fmt.Sprintf("%s has no active unrestricted key", p.Id))
		}
	}
	if len(msgs) > 0 {
		return fmt.Sprintf("%d problems: %v", len(msgs), msgs), true
	}
	return fmt.Sprintf("%d participants, each with an active unrestricted key", len(ps)), false
}
