package governance

import (
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/participants"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Invariants of the governance contract.
func Invariants() []contracts.Invariant {
	return []contracts.Invariant{
		{Name: "governance/open-index", Check: openIndex},
		{Name: "governance/members", Check: members},
	}
}

// openIndex: a proposal is OPEN exactly when the open index holds it under
// its expiry height, so ExpireProposals closes every one of them in time;
// and no validator update is left queued between blocks.
func openIndex(store contracts.Store) (string, bool) {
	var msgs []string
	open := 0
	for _, p := range All(store) {
		indexed := store.Has(openKey(p.ExpiresHeight, p.Id))
		isOpen := p.Status == custodyv1.ProposalStatus_PROPOSAL_STATUS_OPEN
		if isOpen {
			open++
		}
		if indexed != isOpen {
			msgs = append(msgs, fmt.Sprintf("%s is %s but indexed=%v", p.Id, p.Status, indexed))
		}
	}
	pre := []byte{contracts.PrefixOpenProposal}
	it := store.Iterator(pre, contracts.PrefixEnd(pre))
	n := 0
	for ; it.Valid(); it.Next() {
		n++
	}
	it.Close()
	if n != open {
		msgs = append(msgs, fmt.Sprintf("%d index entries for %d open proposals", n, open))
	}
	vu := []byte{contracts.PrefixValidatorUpdate}
	if it := store.Iterator(vu, contracts.PrefixEnd(vu)); it.Valid() {
		msgs = append(msgs, "validator updates left queued after a block")
		it.Close()
	} else {
		it.Close()
	}
	if len(msgs) > 0 {
		return fmt.Sprintf("%d problems: %v", len(msgs), msgs), true
	}
	return fmt.Sprintf("%d open proposals, each indexed", open), false
}

// members: the network keeps a regulator and some voting power, no removed
// participant is back, and no two validators share a consensus key.
func members(store contracts.Store) (string, bool) {
	var msgs []string
	regulators := 0
	keys := map[string]string{}
	for _, p := range participants.All(store) {
		if p.Role == custodyv1.Role_ROLE_REGULATOR {
			regulators++
		}
		if store.Has(RemovedKey(p.Id)) {
			msgs = append(msgs, fmt.Sprintf("%s is both a participant and removed", p.Id))
		}
		if len(p.ValidatorPubKey) > 0 {
			if other, dup := keys[string(p.ValidatorPubKey)]; dup {
				msgs = append(msgs, fmt.Sprintf("%s and %s share a consensus key", other, p.Id))
			}
			keys[string(p.ValidatorPubKey)] = p.Id
		}
	}
	// A chain whose genesis had no regulator (some tests) is not broken by
	// governance; only losing the last one would be, and checkRemove refuses it.
	if regulators == 0 {
		pre := []byte{contracts.PrefixRemovedParticipant}
		it := store.Iterator(pre, contracts.PrefixEnd(pre))
		for ; it.Valid(); it.Next() {
			var p custodyv1.Participant
			contracts.Unmarshal(it.Key(), it.Value(), &p)
			if p.Role == custodyv1.Role_ROLE_REGULATOR {
				msgs = append(msgs, "the last regulator ("+p.Id+") was removed")
			}
		}
		it.Close()
	}
	if len(msgs) > 0 {
		return fmt.Sprintf("%d problems: %v", len(msgs), msgs), true
	}
	return fmt.Sprintf("%d regulators, %d validators with distinct keys", regulators, len(keys)), false
}
