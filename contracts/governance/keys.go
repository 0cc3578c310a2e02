package governance

import (
	"encoding/binary"

	"github.com/custody-ledger/custody/contracts"
)

// State keys (docs/state.md):
//
//	PrefixProposal | id                              → Proposal
//	PrefixOpenProposal | expires height (8 bytes BE) | id → (empty: index of open proposals)
//	PrefixValidatorUpdate | consensus pub key (32)   → power (8 bytes BE), queued for this block
//	PrefixUpgradePlan                                → UpgradePlan (the one scheduled)
//	PrefixAppliedUpgrade | name                      → AppliedUpgrade
//	PrefixAppVersion                                 → app version (8 bytes BE)
//	PrefixRemovedParticipant | id                    → Participant as it was when removed

// ProposalKey is the key of a proposal.
func ProposalKey(id string) []byte { return append([]byte{contracts.PrefixProposal}, id...) }

func openKey(expires int64, id string) []byte {
	k := make([]byte, 9, 9+len(id))
	k[0] = contracts.PrefixOpenProposal
	binary.BigEndian.PutUint64(k[1:], uint64(expires))
	return append(k, id...)
}

func validatorUpdateKey(pk []byte) []byte {
	return append([]byte{contracts.PrefixValidatorUpdate}, pk...)
}

// PlanKey is the key of the scheduled upgrade plan.
func PlanKey() []byte { return []byte{contracts.PrefixUpgradePlan} }

// AppliedKey is the key of the record of an applied upgrade.
func AppliedKey(name string) []byte { return append([]byte{contracts.PrefixAppliedUpgrade}, name...) }

// AppVersionKey is the key of the application version.
func AppVersionKey() []byte { return []byte{contracts.PrefixAppVersion} }

// RemovedKey is the key of a removed participant's last record.
func RemovedKey(id string) []byte { return append([]byte{contracts.PrefixRemovedParticipant}, id...) }

func putInt64(v int64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, uint64(v))
	return b
}
