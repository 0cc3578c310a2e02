package chain

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/custody-ledger/custody/risk/anchor"
	"github.com/custody-ledger/custody/risk/store"
)

// Sync brings the store's batch records up to the operator's batches on
// chain: every batch the chain has beyond the store's last record is
// rebuilt from the store's own alerts (anchor.Rebuild), checked against the
// root read with a proof, and recorded with where the chain holds it. A
// process runs it before it anchors: a hot standby taking over from its
// leader (which cut and anchored those batches), or a restart whose store
// lost records. It returns how many batches it recorded; a root that
// differs is ErrDiverged, missing alerts anchor.ErrIncomplete.
func (ch *Chain) Sync(ctx context.Context, st *store.Store) (int, error) {
	local, err := st.LastBatchSeq()
	if err != nil {
		return 0, err
	}
	head, err := ch.LastBatch(ctx)
	if err != nil || head == nil {
		return 0, err
	}
	n := 0
	for seq := local + 1; seq <= head.Seq; seq++ {
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
	return n, nil
}
