// Package chain is the risk core's side of the custody chain, through the
// client SDK: it anchors alert batches and rule-parameter versions
// (MsgAnchorAlertBatch, MsgAnchorRuleParams) with the risk operator's key,
// reads anchored batches back with IAVL proofs checked against
// light-client-verified headers (VerifyAlert, `riskd verify-alert`),
// submits or records freeze requests (Freezer), loads base data
// (Onboard) and turns chain events into the risk core's ledger inputs
// (Feed).
//
// # Anchoring and re-sync
//
// The anchors contract numbers an operator's batches 1, 2, 3, ... and
// refuses a batch whose seq is not the previous one + 1 (anchors/1) or
// whose alert range does not follow on (anchors/2). Chain.Anchor turns such
// a refusal into a re-sync instead of an error: it reads the chain's batch
// of that seq with a proof and, when it is the same batch (root, range,
// count), returns where the chain holds it. That is the case of a risk core
// that crashed after its anchoring tx committed but before it recorded the
// fact, and of a standby that takes over from a leader which had already
// anchored the batch. A different batch under the same seq is ErrDiverged:
// the caller runs Sync, which tells the same alerts cut at other
// boundaries (the chain's batches are rebuilt from the store and adopted)
// from other alerts (a root the store cannot give: a real divergence,
// where anchoring stops until an operator looks).
package chain

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/anchors"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/anchor"
)

// Errors of this package. Each names the calls that return it.
var (
	// ErrDiverged: Anchor found a different batch on chain under the seq it
	// was anchoring (same operator, other alerts).
	ErrDiverged = errors.New("chain: the chain holds a different batch under this seq")
	// ErrBehind: Anchor was refused because the chain's batches end before
	// the one it anchors: earlier batches are missing on chain.
	ErrBehind = errors.New("chain: earlier batches are not on chain")
	// ErrNotAnchored: VerifyAlert or ProvenBatch found (with a proof) that
	// the chain has no such batch.
	ErrNotAnchored = errors.New("chain: batch not anchored")
	// ErrRootMismatch: VerifyAlert found the chain's batch differs from the
	// proof's (root, count or alert range).
	ErrRootMismatch = errors.New("chain: anchored batch does not match the proof")
	// ErrWrongRole: New with a key whose chain role is not ROLE_RISK_OPERATOR.
	ErrWrongRole = errors.New("chain: key does not have the risk operator role")
	// ErrNoVerifier: a proven read on a Chain built without a light client.
	ErrNoVerifier = errors.New("chain: proven reads need a light-client verifier")
	// ErrProofMismatch: Feed found an event that contradicts the state read
	// with a proof (a node lying about block results).
	ErrProofMismatch = errors.New("chain: event contradicts proven state")
)

// Chain anchors and reads one operator's records. It is safe for
// concurrent use (the client serialises one signer's sequences).
type Chain struct {
	c *client.Client
	v *client.Verifier
	// vmu serialises the proven reads: CometBFT's light client behind the
	// Verifier is not safe for concurrent use (the ledger feed, the batch
	// loop and on-demand onboarding read at the same time).
	vmu      sync.Mutex
	key      ed25519.PrivateKey
	operator string
	commit   client.SubmitOptions
}

// New returns a Chain over c. key is the operator's signing key (nil for a
// read-only Chain); operator is its participant id, read from the key's
// on-chain record when empty (and then the key's role is checked). v is the
// light client for proven reads; nil makes them fail with ErrNoVerifier.
func New(ctx context.Context, c *client.Client, v *client.Verifier, key ed25519.PrivateKey, operator string) (*Chain, error) {
	if key != nil {
		// The node answers a query for the key whose credential it
		// carries: the operator reads its own anchors as itself.
		c = c.WithReadKey(key)
	}
	ch := &Chain{c: c, v: v, key: key, operator: operator, commit: client.SubmitOptions{Mode: client.ModeCommit}}
	if key != nil {
		addr := client.Address(key.Public().(ed25519.PublicKey))
		rec, err := c.Signer(ctx, addr)
		if err != nil {
			return nil, fmt.Errorf("chain: operator key %s: %w", addr, err)
		}
		if rec.Role != custodyv1.Role_ROLE_RISK_OPERATOR {
			return nil, fmt.Errorf("%w: %s is %s", ErrWrongRole, addr, rec.Role)
		}
		if operator != "" && operator != rec.Owner {
			return nil, fmt.Errorf("chain: key %s belongs to %s, not %s", addr, rec.Owner, operator)
		}
		ch.operator = rec.Owner
	}
	if ch.operator == "" {
		return nil, errors.New("chain: no operator id and no key to read it from")
	}
	return ch, nil
}

// Operator is the participant id whose records this Chain reads and writes.
func (ch *Chain) Operator() string { return ch.operator }

// Client is the SDK client.
func (ch *Chain) Client() *client.Client { return ch.c }

// Verifier is the light client (nil when none).
func (ch *Chain) Verifier() *client.Verifier { return ch.v }

func decodeHex32(what, s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != anchors.HashLen {
		return nil, fmt.Errorf("chain: %s %q is not 32 bytes of hex", what, s)
	}
	return b, nil
}

// BatchMsg is the anchoring message of a batch.
func BatchMsg(b anchor.Batch) (*custodyv1.MsgAnchorAlertBatch, error) {
	root, err := decodeHex32("root", b.Root)
	if err != nil {
		return nil, err
	}
	ph, err := decodeHex32("params hash", b.ParamsHash)
	if err != nil {
		return nil, err
	}
	return &custodyv1.MsgAnchorAlertBatch{
		Seq: b.Seq, FirstSeq: b.FirstSeq, LastSeq: b.LastSeq, Count: uint64(b.Count),
		Root: root, ParamsHash: ph, FromUnixMs: b.From.UnixMilli(), ToUnixMs: b.To.UnixMilli(),
	}, nil
}

// Same reports whether the chain record is the batch b: same seq, range,
// count and root.
func Same(rec *anchors.Batch, b anchor.Batch) bool {
	root, err := hex.DecodeString(b.Root)
	return err == nil && rec.Seq == b.Seq && rec.FirstSeq == b.FirstSeq && rec.LastSeq == b.LastSeq &&
		rec.Count == uint64(b.Count) && bytes.Equal(rec.Root, root)
}

// Anchor puts batch b on chain and waits for its block; it implements
// anchor.Anchorer. A refusal for seq or range (the batch, or a later one,
// is already there) re-syncs: see the package doc.
func (ch *Chain) Anchor(ctx context.Context, b anchor.Batch) (string, int64, error) {
	if ch.key == nil {
		return "", 0, errors.New("chain: read-only: no operator key")
	}
	msg, err := BatchMsg(b)
	if err != nil {
		return "", 0, err
	}
	res, err := ch.c.Submit(ctx, ch.key, msg, ch.commit)
	if err == nil {
		return res.HashString(), res.Height, nil
	}
	if !errors.Is(err, anchors.ErrBadSeq) && !errors.Is(err, anchors.ErrRangeGap) {
		return "", 0, fmt.Errorf("chain: anchor batch %d: %w", b.Seq, err)
	}
	rec, _, perr := ch.ProvenBatch(ctx, b.Seq)
	// The refusal may come from a copy of this tx still on its way into a
	// block (sent before a restart, or by a caller that stopped waiting):
	// CheckTx sees the mempool, a proof only committed state. Give it a few
	// blocks before calling the chain behind.
	for wait := 0; errors.Is(perr, ErrNotAnchored) && wait < 20; wait++ {
		select {
		case <-ctx.Done():
			return "", 0, fmt.Errorf("chain: re-sync batch %d: %w", b.Seq, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
		rec, _, perr = ch.ProvenBatch(ctx, b.Seq)
	}
	switch {
	case errors.Is(perr, ErrNotAnchored):
		return "", 0, fmt.Errorf("%w: batch %d refused (%w)", ErrBehind, b.Seq, err)
	case perr != nil:
		return "", 0, fmt.Errorf("chain: re-sync batch %d: %w (after %w)", b.Seq, perr, err)
	case !Same(rec, b):
		return "", 0, fmt.Errorf("%w: batch %d: chain root %s range %d..%d count %d, ours %s %d..%d %d",
			ErrDiverged, b.Seq, rec.Root, rec.FirstSeq, rec.LastSeq, rec.Count, b.Root, b.FirstSeq, b.LastSeq, b.Count)
	}
	return hex.EncodeToString(rec.TxHash), rec.Height, nil
}

// ProvenBatch reads the operator's batch seq with an IAVL proof checked
// against a verified header. A proven absence is ErrNotAnchored.
func (ch *Chain) ProvenBatch(ctx context.Context, seq uint64) (*anchors.Batch, *client.Proven, error) {
	if ch.v == nil {
		return nil, nil, ErrNoVerifier
	}
	ch.vmu.Lock()
	p, err := ch.c.ProvenQuery(ctx, ch.v, anchors.BatchKey(ch.operator, seq))
	ch.vmu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	if p.Value == nil {
		return nil, p, fmt.Errorf("%w: operator %s batch %d (proven absent at height %d)", ErrNotAnchored, ch.operator, seq, p.Height)
	}
	rec, err := anchors.DecodeBatch(p.Value)
	if err != nil {
		return nil, p, fmt.Errorf("chain: batch %d: %w", seq, err)
	}
	return rec, p, nil
}

// LastBatch returns the operator's newest batch on chain (nil before the
// first), from the node's JSON query: unproven, used to find where to
// re-sync from. Each batch taken from it is then read with a proof.
func (ch *Chain) LastBatch(ctx context.Context) (*anchors.Batch, error) {
	var last *anchors.Batch
	for from := uint64(1); ; {
		raw, err := ch.c.QueryJSON(ctx, fmt.Sprintf("anchors/%s?from=%d", ch.operator, from))
		if err != nil {
			return nil, err
		}
		var page struct {
			Batches []*anchors.Batch `json:"batches"`
		}
		if err := jsonUnmarshal(raw, &page); err != nil {
			return nil, fmt.Errorf("chain: anchors of %s: %w", ch.operator, err)
		}
		if len(page.Batches) == 0 {
			return last, nil
		}
		last = page.Batches[len(page.Batches)-1]
		from = last.Seq + 1
	}
}

// AnchorParams anchors a parameter version's hash unless this operator
// already anchored that hash (a restart, or the leader of a standby did).
// When the chain's last version is not below v.Version (a process whose
// numbering lags), it anchors as the chain's last + 1.
func (ch *Chain) AnchorParams(ctx context.Context, v risk.ParamVersion) error {
	if ch.key == nil {
		return errors.New("chain: read-only: no operator key")
	}
	hash, err := decodeHex32("params hash", v.Params.HashHex())
	if err != nil {
		return err
	}
	known, err := ch.c.Query(ctx, client.QueryPathKey, anchors.ParamsHashKey(ch.operator, hash), 0, false)
	if err != nil {
		return fmt.Errorf("chain: params index: %w", err)
	}
	if len(known.Value) > 0 {
		return nil
	}
	version := uint64(max(v.Version, 1))
	raw, err := ch.c.QueryJSON(ctx, "anchors/"+ch.operator+"?limit=1")
	if err != nil {
		return fmt.Errorf("chain: anchors of %s: %w", ch.operator, err)
	}
	var head struct {
		LastParams *anchors.Params `json:"last_params"`
	}
	if err := jsonUnmarshal(raw, &head); err != nil {
		return fmt.Errorf("chain: anchors of %s: %w", ch.operator, err)
	}
	if head.LastParams != nil && head.LastParams.Version >= version {
		version = head.LastParams.Version + 1
	}
	who := v.Who
	if who == "" {
		who = "riskd"
	}
	if len(who) > anchors.MaxChangedByLen {
		who = who[:anchors.MaxChangedByLen]
	}
	_, err = ch.c.Submit(ctx, ch.key, &custodyv1.MsgAnchorRuleParams{Version: version, ParamsHash: hash, ChangedBy: who}, ch.commit)
	if err != nil {
		return fmt.Errorf("chain: anchor params version %d: %w", version, err)
	}
	return nil
}
