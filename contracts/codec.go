package contracts

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Marshal encodes a state record the one way state is encoded: protobuf
// with Deterministic: true (map fields sorted), so that every validator
// writes the same bytes for the same record. A record that cannot be
// encoded is a programming error, not a property of the tx: it panics.
//
// A record whose fields are all zero (new funds, an emptied total) would
// encode to no bytes at all, and ICS23 cannot prove a key whose value is
// empty: a client could then prove neither the record nor the absence of
// its neighbours. Such a record is written with its lowest-numbered plain
// field present and zero instead, which decodes to the same record.
func Marshal(m proto.Message) []byte {
	bz, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("contracts: marshal %T: %v", m, err))
	}
	if len(bz) == 0 {
		bz = explicitZero(m.ProtoReflect().Descriptor())
	}
	return bz
}

// explicitZero encodes one field of md with its zero value: the field with
// the lowest number that is neither in a oneof nor a message (so decoding
// sets nothing that an absent field would not). Every state record has one.
func explicitZero(md protoreflect.MessageDescriptor) []byte {
	var pick protoreflect.FieldDescriptor
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.ContainingOneof() != nil || fd.Message() != nil || fd.IsList() || fd.IsMap() {
			continue
		}
		if pick == nil || fd.Number() < pick.Number() {
			pick = fd
		}
	}
	if pick == nil {
		panic(fmt.Sprintf("contracts: %s has no plain field to encode an empty record with", md.FullName()))
	}
	switch pick.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind:
		return protowire.AppendBytes(protowire.AppendTag(nil, pick.Number(), protowire.BytesType), nil)
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.AppendFixed32(protowire.AppendTag(nil, pick.Number(), protowire.Fixed32Type), 0)
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.AppendFixed64(protowire.AppendTag(nil, pick.Number(), protowire.Fixed64Type), 0)
	default: // varints: ints, uints, sints, bool, enum
		return protowire.AppendVarint(protowire.AppendTag(nil, pick.Number(), protowire.VarintType), 0)
	}
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
