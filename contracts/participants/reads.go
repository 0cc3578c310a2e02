package participants

import "github.com/custody-ledger/custody/contracts"

// Reads declares who may read the participants' records: the institutions
// and their public keys are public.
func Reads() []contracts.RecordKind {
	return []contracts.RecordKind{{
		Name: "participant", ByKey: true, Prefix: []byte{contracts.PrefixParticipant},
		Audience: func(_, _ []byte) contracts.Audience { return contracts.Audience{Public: true} },
	}}
}
