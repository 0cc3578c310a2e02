package chain

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/custody-ledger/custody/risk/anchor"
	"github.com/custody-ledger/custody/risk/store"
)

// Sync makes the store's batch records agree with the operator's batches
// on chain, before a process anchors: a hot standby taking over from its
// leader (which cut and anchored those batches), a leader restarting after
// a crash between its anchoring tx and its record of it, or an old leader
// coming back after its standby anchored in its place.
//
// Records the chain confirms (those with a tx hash) are kept. From the
// first record without one, every batch the chain has is rebuilt from the
// store's own alerts (anchor.Rebuild), checked against the root read with a
// proof, and recorded with where the chain holds it; local records the
// chain does not have are dropped (never anchored, their alerts are cut
// again). It returns how many chain batches it recorded; a root that
// differs is ErrDiverged, missing alerts anchor.ErrIncomplete.
func (ch *Chain) Sync(ctx context.Context, st *store.Store) (int, error) {
	local, err := st.LastBatchSeq()
	if err != nil {
		return 0, err
	}
	from := local + 1
	for seq := local; seq > 0; seq-- {
		var b anchor.Batch
		if err := st.BatchRecord(seq, &b); err != nil {
			return 0, err
		}
		if b.TxHash != "" {
			break
		}
		from = seq
	}
	head, err := ch.LastBatch(ctx)
	if err != nil {
		return 0, err
	}
	var headSeq uint64
	if head != nil {
		headSeq = head.Seq
	}
	n := 0
	for seq := from; seq <= headSeq; seq++ {
		rec, _, err := ch.ProvenBatch(ctx, seq)
		if err != nil {
			return n, err
		}
		b, err := anchor.Rebuild(st, seq, rec.FirstSeq, rec.LastSeq, int(rec.Count))
		if err != nil {
			return n, fmt.Errorf("chain: sync batch %d: %w", seq, err)
		}
		if b.Root != hex.EncodeToString(rec.Root) {
			return n, fmt.Errorf("%w: batch %d: chain root %x, rebuilt from the store %s", ErrDiverged, seq, rec.Root, b.Root)
		}
		b.ParamsHash = hex.EncodeToString(rec.ParamsHash)
		b.TxHash, b.Height = hex.EncodeToString(rec.TxHash), rec.Height
		b.CutAt = time.Unix(0, rec.Time).UTC()
		if err := st.PutBatchRecord(seq, &b); err != nil {
			return n, err
		}
		n++
	}
	for seq := max(from, headSeq+1); seq <= local; seq++ {
		if err := st.DeleteBatchRecord(seq); err != nil {
			return n, err
		}
	}
	return n, nil
}
