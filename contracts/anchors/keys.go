package anchors

import (
	"encoding/binary"

	"github.com/custody-ledger/custody/contracts"
)

// Kinds of records under contracts.PrefixAnchor: the byte after the prefix.
const (
	kindBatch      byte = 0x01 // operator, batch seq → Batch
	kindParams     byte = 0x02 // operator, version → Params
	kindParamsHash byte = 0x03 // operator, params hash → version (8 bytes BE)
)

func operatorPrefix(kind byte, operator string) []byte {
	return contracts.LenPrefixed([]byte{contracts.PrefixAnchor, kind}, operator)
}

// BatchesPrefix is the prefix of an operator's alert batches:
// 0x40 | 0x01 | len(operator) | operator.
func BatchesPrefix(operator string) []byte { return operatorPrefix(kindBatch, operator) }

// BatchKey is the key of one alert batch: BatchesPrefix(operator) | seq as
// 8 bytes big-endian, so that an operator's batches iterate in order. A
// client reads it with a proof (abci /store/key) and decodes it with
// DecodeBatch.
func BatchKey(operator string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(BatchesPrefix(operator), seq)
}

// ParamsPrefix is the prefix of an operator's parameter versions:
// 0x40 | 0x02 | len(operator) | operator.
func ParamsPrefix(operator string) []byte { return operatorPrefix(kindParams, operator) }

// ParamsKey is the key of one parameter version: ParamsPrefix(operator) |
// version as 8 bytes big-endian.
func ParamsKey(operator string, version uint64) []byte {
	return binary.BigEndian.AppendUint64(ParamsPrefix(operator), version)
}

// ParamsHashKey is the key of the parameter-hash index:
// 0x40 | 0x03 | len(operator) | operator | params hash (32 bytes) → the
// latest version anchored with that hash (8 bytes big-endian). It makes
// "this batch's parameters were anchored" a single Has.
func ParamsHashKey(operator string, hash []byte) []byte {
	return append(operatorPrefix(kindParamsHash, operator), hash...)
}
