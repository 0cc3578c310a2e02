package evidence

import "github.com/custody-ledger/custody/contracts"

// Reads declares who may read the misbehaviour records: every institution
// (in a permissioned chain a double-signing validator is a case for the
// institutions, not an automatic slash); clients read none.
func Reads() []contracts.RecordKind {
	return []contracts.RecordKind{{
		Name: "misbehaviour", ByKey: true, Prefix: []byte{contracts.PrefixMisbehaviour},
		Audience: func(_, _ []byte) contracts.Audience { return contracts.Audience{Institutions: true} },
	}}
}
