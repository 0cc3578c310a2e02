package anchors

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/custody-ledger/custody/contracts"
)

// Invariants of the anchors contract.
func Invariants() []contracts.Invariant {
	return []contracts.Invariant{
		{Name: "anchors/batches-consecutive", Check: batchesConsecutive},
		{Name: "anchors/params-index", Check: paramsIndex},
	}
}

// splitKey returns the operator and the 8-byte number of a batch or params
// key (prefix, kind, len, operator, number).
func splitKey(key []byte) (operator string, n uint64, ok bool) {
	if len(key) < 3 || len(key) != 3+int(key[2])+8 {
		return "", 0, false
	}
	return string(key[3 : 3+key[2]]), binary.BigEndian.Uint64(key[3+key[2]:]), true
}

// batchesConsecutive: each operator's batches are numbered 1..N under the
// key of their own seq and operator, each range starts right after the
// previous one, the count fits the range, and each batch's parameter hash
// was anchored by its operator.
func batchesConsecutive(store contracts.Store) (string, bool) {
	var (
		msgs    []string
		prevOp  string
		prev    *Batch
		batches int
	)
	forEachRecord(store, kindBatch, func(key, value []byte) {
		batches++
		op, seq, ok := splitKey(key)
		b, err := DecodeBatch(value)
		if !ok || err != nil {
			msgs = append(msgs, fmt.Sprintf("undecodable batch at %x", key))
			return
		}
		if op != prevOp {
			prevOp, prev = op, nil
		}
		wantSeq, wantFirst := uint64(1), uint64(1)
		if prev != nil {
			wantSeq, wantFirst = prev.Seq+1, prev.LastSeq+1
		}
		switch {
		case b.Operator != op || b.Seq != seq:
			msgs = append(msgs, fmt.Sprintf("batch %s/%d stored under %s/%d", b.Operator, b.Seq, op, seq))
		case b.Seq != wantSeq:
			msgs = append(msgs, fmt.Sprintf("operator %s: batch %d follows %d", op, b.Seq, wantSeq-1))
		case b.FirstSeq != wantFirst || b.LastSeq < b.FirstSeq || b.Count == 0 || b.Count-1 > b.LastSeq-b.FirstSeq:
			msgs = append(msgs, fmt.Sprintf("operator %s batch %d: range %d..%d count %d, want start %d", op, b.Seq, b.FirstSeq, b.LastSeq, b.Count, wantFirst))
		case !store.Has(ParamsHashKey(op, b.ParamsHash)):
			msgs = append(msgs, fmt.Sprintf("operator %s batch %d: params hash %x never anchored", op, b.Seq, b.ParamsHash))
		}
		prev = b
	})
	if len(msgs) > 0 {
		return fmt.Sprintf("%d bad batches: %v", len(msgs), msgs), true
	}
	return fmt.Sprintf("%d batches consecutive", batches), false
}

// paramsIndex: every parameter version is stored under its own number and
// operator, its hash index entry exists and names it or a later version
// with the same hash, and every index entry names a version with that hash.
func paramsIndex(store contracts.Store) (string, bool) {
	var msgs []string
	versions := 0
	forEachRecord(store, kindParams, func(key, value []byte) {
		versions++
		op, v, ok := splitKey(key)
		p, err := DecodeParams(value)
		if !ok || err != nil {
			msgs = append(msgs, fmt.Sprintf("undecodable params at %x", key))
			return
		}
		if p.Operator != op || p.Version != v {
			msgs = append(msgs, fmt.Sprintf("params %s/%d stored under %s/%d", p.Operator, p.Version, op, v))
			return
		}
		if iv, ok := ParamsVersionOf(store, op, p.ParamsHash); !ok || iv < v {
			msgs = append(msgs, fmt.Sprintf("operator %s version %d: hash index says %d", op, v, iv))
		}
	})
	forEachRecord(store, kindParamsHash, func(key, value []byte) {
		if len(key) < 3 || len(key) != 3+int(key[2])+HashLen || len(value) != 8 {
			msgs = append(msgs, fmt.Sprintf("malformed params index at %x", key))
			return
		}
		op, hash := string(key[3:3+key[2]]), key[3+key[2]:]
		p, err := GetParams(store, op, binary.BigEndian.Uint64(value))
		if err != nil || !bytes.Equal(p.ParamsHash, hash) {
			msgs = append(msgs, fmt.Sprintf("operator %s: index of %x names version %d without that hash", op, hash, binary.BigEndian.Uint64(value)))
		}
	})
	if len(msgs) > 0 {
		return fmt.Sprintf("%d bad parameter records: %v", len(msgs), msgs), true
	}
	return fmt.Sprintf("%d parameter versions indexed", versions), false
}
