package anchors

import (
	"encoding/binary"
	"fmt"

	"github.com/custody-ledger/custody/contracts"
)

// MaxBatchesPerPage bounds one read of an operator's batches.
const MaxBatchesPerPage = 1000

// mustBatch decodes a stored batch; bytes that do not decode are corrupt
// state and stop the node (contracts.Unmarshal's rule).
func mustBatch(key, value []byte) *Batch {
	b, err := DecodeBatch(value)
	if err != nil {
		panic(fmt.Sprintf("anchors: corrupt batch at %x: %v", key, err))
	}
	return b
}

func mustParams(key, value []byte) *Params {
	p, err := DecodeParams(value)
	if err != nil {
		panic(fmt.Sprintf("anchors: corrupt params at %x: %v", key, err))
	}
	return p
}

// GetBatch returns an operator's batch seq, or ErrNotFound.
func GetBatch(store contracts.Store, operator string, seq uint64) (*Batch, error) {
	k := BatchKey(operator, seq)
	bz := store.Get(k)
	if bz == nil {
		return nil, ErrNotFound.Wrapf("operator %q batch %d", operator, seq)
	}
	return mustBatch(k, bz), nil
}

// LastBatch returns an operator's newest batch, or nil before the first.
func LastBatch(store contracts.Store, operator string) *Batch {
	prefix := BatchesPrefix(operator)
	it := store.ReverseIterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	if !it.Valid() {
		return nil
	}
	return mustBatch(it.Key(), it.Value())
}

// Batches returns up to limit batches of an operator from seq fromSeq on, in
// order. limit ≤ 0 or above MaxBatchesPerPage reads MaxBatchesPerPage.
func Batches(store contracts.Store, operator string, fromSeq uint64, limit int) []*Batch {
	if limit <= 0 || limit > MaxBatchesPerPage {
		limit = MaxBatchesPerPage
	}
	prefix := BatchesPrefix(operator)
	it := store.Iterator(BatchKey(operator, fromSeq), contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []*Batch
	for ; it.Valid() && len(out) < limit; it.Next() {
		out = append(out, mustBatch(it.Key(), it.Value()))
	}
	return out
}

// GetParams returns an operator's parameter version, or ErrNotFound.
func GetParams(store contracts.Store, operator string, version uint64) (*Params, error) {
	k := ParamsKey(operator, version)
	bz := store.Get(k)
	if bz == nil {
		return nil, ErrNotFound.Wrapf("operator %q params version %d", operator, version)
	}
	return mustParams(k, bz), nil
}

// LastParams returns an operator's newest parameter version, or nil.
func LastParams(store contracts.Store, operator string) *Params {
	prefix := ParamsPrefix(operator)
	it := store.ReverseIterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	if !it.Valid() {
		return nil
	}
	return mustParams(it.Key(), it.Value())
}

// ParamsVersionOf returns the latest version an operator anchored with
// hash, and whether there is one.
func ParamsVersionOf(store contracts.Store, operator string, hash []byte) (uint64, bool) {
	bz := store.Get(ParamsHashKey(operator, hash))
	if len(bz) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(bz), true
}

// forEachOperatorRecord calls fn for every record of one kind, in key order
// (operator, then number): the walk the invariants make.
func forEachRecord(store contracts.Store, kind byte, fn func(key, value []byte)) {
	prefix := []byte{contracts.PrefixAnchor, kind}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	for ; it.Valid(); it.Next() {
		fn(it.Key(), it.Value())
	}
}
