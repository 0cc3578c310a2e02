package governance

import (
	"github.com/custody-ledger/custody/contracts"
)

// Reads declares who may read governance's records (MayRead): every
// institution reads the proposals, the upgrade plan, the upgrades applied,
// the app version and the removed participants; clients read none. The
// indexes (open proposals, the validator updates queued for a block) are
// the regulator's: the lists show their records instead.
func Reads() []contracts.RecordKind {
	institutions := func(_, _ []byte) contracts.Audience { return contracts.Audience{Institutions: true} }
	var out []contracts.RecordKind
	for _, k := range []struct {
		name   string
		prefix byte
	}{
		{"proposal", contracts.PrefixProposal}, {"upgrade plan", contracts.PrefixUpgradePlan},
		{"applied upgrade", contracts.PrefixAppliedUpgrade}, {"app version", contracts.PrefixAppVersion},
		{"removed participant", contracts.PrefixRemovedParticipant},
	} {
		out = append(out, contracts.RecordKind{Name: k.name, ByKey: true, Prefix: []byte{k.prefix}, Audience: institutions})
	}
	return out
}
