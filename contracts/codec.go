package contracts

import (
	"fmt"

	"google.golang.org/protobuf/proto"
)

// Marshal encodes a state record the one way state is encoded: protobuf
// with Deterministic: true (map fields sorted), so that every validator
// writes the same bytes for the same record. A record that cannot be
// encoded is a programming error, not a property of the tx: it panics.
func Marshal(m proto.Message) []byte {
	bz, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("contracts: marshal %T: %v", m, err))
	}
	return bz
}

// Unmarshal decodes a state record read at key. State bytes were written
// by Marshal; bytes that do not decode mean corrupt state, and the node
// must stop rather than diverge: it panics.
func Unmarshal(key, bz []byte, m proto.Message) {
	if err := proto.Unmarshal(bz, m); err != nil {
		panic(fmt.Sprintf("contracts: corrupt %T at %x: %v", m, key, err))
	}
}

// UnixNano is the block time in Unix nanoseconds, the form state records
// keep. The zero time (no block, e.g. genesis) is 0.
func (b Block) UnixNano() int64 {
	if b.Time.IsZero() {
		return 0
	}
	return b.Time.UnixNano()
}

// LenPrefixed appends len(s) as one byte and then s to key. Key parts of
// variable length are written this way wherever a key is scanned by prefix,
// so that the keys of "A1" never fall inside the range of "A12". Every
// caller bounds s to at most 255 bytes (ids are at most 64).
func LenPrefixed(key []byte, s string) []byte {
	if len(s) > 255 {
		panic(fmt.Sprintf("contracts: key part of %d bytes", len(s)))
	}
	key = append(key, byte(len(s)))
	return append(key, s...)
}
