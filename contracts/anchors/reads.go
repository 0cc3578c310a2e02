package anchors

import "github.com/custody-ledger/custody/contracts"

// Reads declares who may read the anchors: an operator's batches and
// parameter versions are its own (and the regulator's).
func Reads() []contracts.RecordKind {
	return []contracts.RecordKind{{
		Name: "anchor", ByKey: true, Prefix: []byte{contracts.PrefixAnchor},
		Audience: func(key, _ []byte) contracts.Audience {
			op, ok := contracts.LenPrefixedPart(key, 2)
			if !ok {
				return contracts.Audience{}
			}
			return OperatorAudience(op)
		},
	}}
}

// OperatorAudience is who may read an operator's anchors, stored or not.
func OperatorAudience(operator string) contracts.Audience {
	return contracts.Audience{Participants: []string{operator}}
}
