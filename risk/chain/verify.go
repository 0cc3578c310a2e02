package chain

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/anchors"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/anchor"
)

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }

// Verification is what VerifyAlert checked: the alert, its inclusion
// proof, the chain's batch record, and the state version and verified
// header the record was proven against.
type Verification struct {
	Alert risk.Alert            `json:"alert"`
	Proof anchor.InclusionProof `json:"proof"`
	Chain *anchors.Batch        `json:"chain_batch"`
	// ProvenHeight is the state version the batch was read at; its root is
	// the AppHash of the verified header ProvenHeight+1 (HeaderHash).
	ProvenHeight int64  `json:"proven_height"`
	AppHash      string `json:"app_hash"`
	HeaderHash   string `json:"header_hash"`
}

// VerifyAlert checks alert a against the chain: it reads the operator's
// batch named by proof p with an IAVL proof (checked against a
// light-client-verified header), checks that the batch covers the alert
// (range, count) and that the chain's root is the proof's, and recomputes
// the alert's leaf and path up to that root. Errors: ErrNotAnchored,
// ErrRootMismatch, anchor.ErrBadProof, or the proof/light-client errors of
// the client package.
func (ch *Chain) VerifyAlert(ctx context.Context, a risk.Alert, p anchor.InclusionProof) (*Verification, error) {
	return ch.verifyAlert(ctx, a, p, ch.ProvenBatch)
}

// AlertVerifier verifies many alerts, reading each batch from the chain
// (with its proof) once. Not safe for concurrent use.
type AlertVerifier struct {
	ch      *Chain
	batches map[uint64]provenBatch
}

type provenBatch struct {
	rec *anchors.Batch
	p   *client.Proven
}

// NewAlertVerifier returns an AlertVerifier over ch.
func (ch *Chain) NewAlertVerifier() *AlertVerifier {
	return &AlertVerifier{ch: ch, batches: map[uint64]provenBatch{}}
}

// Verify is Chain.VerifyAlert with the batch read once per verifier.
func (av *AlertVerifier) Verify(ctx context.Context, a risk.Alert, p anchor.InclusionProof) (*Verification, error) {
	return av.ch.verifyAlert(ctx, a, p, func(ctx context.Context, seq uint64) (*anchors.Batch, *client.Proven, error) {
		if b, ok := av.batches[seq]; ok {
			return b.rec, b.p, nil
		}
		rec, pr, err := av.ch.ProvenBatch(ctx, seq)
		if err == nil {
			av.batches[seq] = provenBatch{rec, pr}
		}
		return rec, pr, err
	})
}

func (ch *Chain) verifyAlert(ctx context.Context, a risk.Alert, p anchor.InclusionProof,
	read func(context.Context, uint64) (*anchors.Batch, *client.Proven, error)) (*Verification, error) {
	rec, proven, err := read(ctx, p.Batch)
	if err != nil {
		return nil, err
	}
	v := &Verification{Alert: a, Proof: p, Chain: rec, ProvenHeight: proven.Height,
		AppHash: hex.EncodeToString(proven.Header.AppHash), HeaderHash: hex.EncodeToString(proven.Header.Hash())}
	root := hex.EncodeToString(rec.Root)
	switch {
	case root != p.Root:
		return v, fmt.Errorf("%w: batch %d root on chain %s, proof %s", ErrRootMismatch, p.Batch, root, p.Root)
	case rec.Count != uint64(p.Count):
		return v, fmt.Errorf("%w: batch %d has %d alerts on chain, proof says %d", ErrRootMismatch, p.Batch, rec.Count, p.Count)
	case a.Seq != 0 && (a.Seq < rec.FirstSeq || a.Seq > rec.LastSeq):
		return v, fmt.Errorf("%w: alert seq %d outside batch %d's range %d..%d", ErrRootMismatch, a.Seq, p.Batch, rec.FirstSeq, rec.LastSeq)
	}
	if err := anchor.VerifyAlert(a, p, root); err != nil {
		return v, fmt.Errorf("chain: alert %s: %w", a.ID, err)
	}
	return v, nil
}
