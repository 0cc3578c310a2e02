package anchor

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/store"
)

// ErrNotInBatch is returned by Prove for an alert no batch covers yet.
var ErrNotInBatch = errors.New("anchor: alert not in any batch")

// ErrIncomplete is returned by Rebuild when the store does not hold the
// alerts of the range (yet): the process is behind the one that cut it.
var ErrIncomplete = errors.New("anchor: the store lacks alerts of the batch")

// Batch is one anchored set of alerts: the alerts with store Seq in
// [FirstSeq, LastSeq], in Seq order, are the leaves.
type Batch struct {
	Seq        uint64    `json:"seq"`
	FirstSeq   uint64    `json:"first_seq"`
	LastSeq    uint64    `json:"last_seq"`
	Count      int       `json:"count"`
	Root       string    `json:"root"`        // hex
	ParamsHash string    `json:"params_hash"` // hex SHA-256 of the rule parameters in force
	From       time.Time `json:"from"`        // earliest alert event time
	To         time.Time `json:"to"`          // latest alert event time
	AlertIDs   []string  `json:"alert_ids"`
	CutAt      time.Time `json:"cut_at"` // the batcher's clock when cut
	// TxHash and Height are set once the Anchorer has put the batch on chain.
	TxHash string `json:"tx_hash,omitempty"`
	Height int64  `json:"height,omitempty"`
}

// Anchorer puts a batch's root, range, count and parameter hash on chain
// and returns where. The chain team's client implements it.
type Anchorer interface {
	Anchor(ctx context.Context, batch Batch) (txHash string, height int64, err error)
}

// Config configures a Batcher.
type Config struct {
	// MaxCount cuts a batch when this many alerts wait (default 256).
	MaxCount int
	// MaxAge cuts a batch when the oldest waiting alert was stored this long
	// ago by the batcher's clock (default 1 min).
	MaxAge time.Duration
}

// Batcher cuts batches from the store. Its clock is injected (Cut's now),
// never read, so tests drive it. Not safe for concurrent use.
type Batcher struct {
	st       *store.Store
	anchorer Anchorer
	cfg      Config
	// waitingSince is when the batcher first saw the oldest unbatched alert.
	waitingSince time.Time
}

// NewBatcher returns a batcher over st; anchorer may be nil (batches are
// then recorded but not anchored, and anchored later by Retry).
func NewBatcher(st *store.Store, anchorer Anchorer, cfg Config) *Batcher {
	if cfg.MaxCount <= 0 {
		cfg.MaxCount = 256
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = time.Minute
	}
	return &Batcher{st: st, anchorer: anchorer, cfg: cfg}
}

// Cut builds the next batch if MaxCount alerts wait, or the oldest has
// waited MaxAge, or force is set and any wait; records it; and anchors it.
// It returns nil when there is nothing to cut. A batch that failed to
// anchor stays recorded (without TxHash) and the error is returned.
func (b *Batcher) Cut(ctx context.Context, now time.Time, params risk.Params, force bool) (*Batch, error) {
	last, err := b.st.LastBatchSeq()
	if err != nil {
		return nil, err
	}
	var after uint64
	if last > 0 {
		var prev Batch
		if err := b.st.BatchRecord(last, &prev); err != nil {
			return nil, err
		}
		after = prev.LastSeq
	}
	as, err := b.st.ListAlerts(store.Filter{AfterSeq: after, Limit: b.cfg.MaxCount})
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		b.waitingSince = time.Time{}
		return nil, nil
	}
	if b.waitingSince.IsZero() {
		b.waitingSince = now
	}
	if !force && len(as) < b.cfg.MaxCount && now.Sub(b.waitingSince) < b.cfg.MaxAge {
		return nil, nil
	}
	leaves := make([]Hash, len(as))
	batch := Batch{Seq: last + 1, FirstSeq: as[0].Seq, LastSeq: as[len(as)-1].Seq, Count: len(as),
		ParamsHash: params.HashHex(), From: as[0].Time, To: as[0].Time, CutAt: now}
	for i := range as {
		leaves[i] = LeafHash(as[i].Canonical())
		batch.AlertIDs = append(batch.AlertIDs, as[i].ID)
		if as[i].Time.Before(batch.From) {
			batch.From = as[i].Time
		}
		if as[i].Time.After(batch.To) {
			batch.To = as[i].Time
		}
	}
	root := Root(leaves)
	batch.Root = hex.EncodeToString(root[:])
	if err := b.st.PutBatchRecord(batch.Seq, &batch); err != nil {
		return nil, err
	}
	b.waitingSince = time.Time{}
	return &batch, b.anchor(ctx, &batch)
}

func (b *Batcher) anchor(ctx context.Context, batch *Batch) error {
	if b.anchorer == nil {
		return nil
	}
	tx, h, err := b.anchorer.Anchor(ctx, *batch)
	if err != nil {
		return fmt.Errorf("anchor: batch %d: %w", batch.Seq, err)
	}
	batch.TxHash, batch.Height = tx, h
	return b.st.PutBatchRecord(batch.Seq, batch)
}

// Retry anchors every recorded batch that has no TxHash yet, oldest first.
func (b *Batcher) Retry(ctx context.Context) error {
	last, err := b.st.LastBatchSeq()
	if err != nil {
		return err
	}
	for s := uint64(1); s <= last; s++ {
		var batch Batch
		if err := b.st.BatchRecord(s, &batch); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			return err
		}
		if batch.TxHash == "" {
			if err := b.anchor(ctx, &batch); err != nil {
				return err
			}
		}
	}
	return nil
}

// InclusionProof proves that an alert is in a batch.
type InclusionProof struct {
	AlertID string   `json:"alert_id"`
	Leaf    string   `json:"leaf"` // hex leaf hash of the alert's canonical bytes
	Index   int      `json:"index"`
	Count   int      `json:"count"`
	Path    []string `json:"path"` // hex sibling hashes, leaf to root
	Root    string   `json:"root"`
	Batch   uint64   `json:"batch"`
	TxHash  string   `json:"tx_hash,omitempty"`
	Height  int64    `json:"height,omitempty"`
}

// Prove builds the inclusion proof of alert id from the store.
func Prove(st *store.Store, id string) (InclusionProof, error) {
	a, err := st.GetAlert(id)
	if err != nil {
		return InclusionProof{}, err
	}
	last, err := st.LastBatchSeq()
	if err != nil {
		return InclusionProof{}, err
	}
	for s := uint64(1); s <= last; s++ {
		var batch Batch
		if err := st.BatchRecord(s, &batch); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			return InclusionProof{}, err
		}
		if a.Seq < batch.FirstSeq || a.Seq > batch.LastSeq {
			continue
		}
		leaves := make([]Hash, len(batch.AlertIDs))
		idx := -1
		for i, aid := range batch.AlertIDs {
			x, err := st.GetAlert(aid)
			if err != nil {
				return InclusionProof{}, fmt.Errorf("anchor: batch %d: %w", batch.Seq, err)
			}
			leaves[i] = LeafHash(x.Canonical())
			if aid == id {
				idx = i
			}
		}
		if idx < 0 {
			break
		}
		p := InclusionProof{AlertID: id, Leaf: hex.EncodeToString(leaves[idx][:]), Index: idx, Count: len(leaves),
			Root: batch.Root, Batch: batch.Seq, TxHash: batch.TxHash, Height: batch.Height}
		for _, h := range Proof(leaves, idx) {
			p.Path = append(p.Path, hex.EncodeToString(h[:]))
		}
		return p, nil
	}
	return InclusionProof{}, fmt.Errorf("%w: %s", ErrNotInBatch, id)
}

// VerifyAlert checks that alert a is included under root (hex, as read from
// the chain) by proof p: the leaf is recomputed from the alert itself.
func VerifyAlert(a risk.Alert, p InclusionProof, root string) error {
	leaf := LeafHash(a.Canonical())
	if hex.EncodeToString(leaf[:]) != p.Leaf {
		return fmt.Errorf("%w: alert bytes do not match the leaf", ErrBadProof)
	}
	var path []Hash
	for _, s := range p.Path {
		h, err := decodeHash(s)
		if err != nil {
			return err
		}
		path = append(path, h)
	}
	r, err := decodeHash(root)
	if err != nil {
		return err
	}
	return Verify(leaf, p.Index, p.Count, path, r)
}

func decodeHash(s string) (Hash, error) {
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("%w: bad hash %q", ErrBadProof, s)
	}
	copy(h[:], b)
	return h, nil
}

// Rebuild recomputes batch seq from the store's alerts numbered first..last
// (count of them): what a process that did not cut the batch itself (a
// standby taking over, a restart that lost its batch records) checks
// against the root anchored on chain before recording the batch as its
// own. ParamsHash, TxHash and Height are the caller's to fill in.
func Rebuild(st *store.Store, seq, first, last uint64, count int) (Batch, error) {
	as, err := st.ListAlerts(store.Filter{AfterSeq: first - 1, Limit: count + 1})
	if err != nil {
		return Batch{}, err
	}
	var in []risk.Alert
	for _, a := range as {
		if a.Seq <= last {
			in = append(in, a)
		}
	}
	if len(in) != count || count == 0 {
		return Batch{}, fmt.Errorf("%w: batch %d covers %d..%d (%d alerts), the store has %d of them", ErrIncomplete, seq, first, last, count, len(in))
	}
	b := Batch{Seq: seq, FirstSeq: first, LastSeq: last, Count: count, From: in[0].Time, To: in[0].Time}
	leaves := make([]Hash, len(in))
	for i := range in {
		leaves[i] = LeafHash(in[i].Canonical())
		b.AlertIDs = append(b.AlertIDs, in[i].ID)
		if in[i].Time.Before(b.From) {
			b.From = in[i].Time
		}
		if in[i].Time.After(b.To) {
			b.To = in[i].Time
		}
	}
	root := Root(leaves)
	b.Root = hex.EncodeToString(root[:])
	return b, nil
}
