// Package anchors keeps what the risk cores anchor on chain: the Merkle
// root, alert range and count of each batch of alerts, and the hash of each
// version of the rule parameters in force. A risk core keeps its alerts off
// chain (risk/store); the chain keeps the roots, so anyone holding an alert
// and its inclusion proof can check it against a root the validators
// agreed on, read with an IAVL proof.
//
// Records are per operator (the signing key's participant id): an
// operator's batches are numbered 1, 2, 3, ... without gaps and cover
// consecutive alert ranges, so a batch can be neither dropped nor anchored
// twice. Two risk-core processes of one operator (a leader and a hot
// standby) cannot both anchor batch N: the second gets ErrBadSeq and
// re-syncs from the chain. Each batch names the parameter hash in force,
// which the operator must have anchored before with anchor_rule_params.
//
// Each message writes one record (a parameter version two: the record and
// its hash index); reads and key functions are exported for queries and
// proofs. See README.md for the byte layout.
package anchors

import (
	"fmt"
	"unicode/utf8"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// MaxChangedByLen bounds MsgAnchorRuleParams.changed_by.
const MaxChangedByLen = 64

// Routes of the anchors contract.
func Routes() []contracts.Route {
	operator := []custodyv1.Role{custodyv1.Role_ROLE_RISK_OPERATOR}
	return []contracts.Route{
		contracts.Handle("anchor_alert_batch", operator, ValidateBatch, AnchorBatch),
		contracts.Handle("anchor_rule_params", operator, ValidateParams, AnchorParams),
	}
}

func validateHash(h []byte, bad *contracts.Error, what string) error {
	if len(h) != HashLen {
		return bad.Wrapf("%s has %d bytes", what, len(h))
	}
	for _, b := range h {
		if b != 0 {
			return nil
		}
	}
	return bad.Wrapf("%s is all zero", what)
}

// ValidateBatch is the stateless check of MsgAnchorAlertBatch: seq ≥ 1,
// 1 ≤ first_seq ≤ last_seq, 1 ≤ count ≤ last_seq − first_seq + 1, 32-byte
// non-zero root and params hash, 0 ≤ from ≤ to.
func ValidateBatch(m *custodyv1.MsgAnchorAlertBatch) error {
	if m.Seq == 0 {
		return ErrBadSeq.Wrapf("seq 0: batches are numbered from 1")
	}
	if m.FirstSeq == 0 || m.LastSeq < m.FirstSeq {
		return ErrBadRange.Wrapf("range %d..%d", m.FirstSeq, m.LastSeq)
	}
	if m.Count == 0 || m.Count-1 > m.LastSeq-m.FirstSeq {
		return ErrBadRange.Wrapf("count %d for range %d..%d", m.Count, m.FirstSeq, m.LastSeq)
	}
	if err := validateHash(m.Root, ErrBadRoot, "root"); err != nil {
		return err
	}
	if err := validateHash(m.ParamsHash, ErrBadParamsHash, "params hash"); err != nil {
		return err
	}
	if m.FromUnixMs < 0 || m.ToUnixMs < m.FromUnixMs {
		return ErrBadTimeRange.Wrapf("%d..%d", m.FromUnixMs, m.ToUnixMs)
	}
	return nil
}

// ValidateParams is the stateless check of MsgAnchorRuleParams: version ≥ 1,
// a 32-byte non-zero hash, changed_by of 1-64 bytes of UTF-8.
func ValidateParams(m *custodyv1.MsgAnchorRuleParams) error {
	if m.Version == 0 {
		return ErrStaleVersion.Wrapf("version 0: versions are numbered from 1")
	}
	if err := validateHash(m.ParamsHash, ErrBadParamsHash, "params hash"); err != nil {
		return err
	}
	if m.ChangedBy == "" || len(m.ChangedBy) > MaxChangedByLen || !utf8.ValidString(m.ChangedBy) {
		return ErrBadChangedBy.Wrapf("%d bytes", len(m.ChangedBy))
	}
	return nil
}

// AnchorBatch records an alert batch of the signing operator. Checks, in
// order: seq is the previous batch's + 1 (ErrBadSeq), first_seq is the
// previous last_seq + 1 (ErrRangeGap), the params hash was anchored by this
// operator (ErrParamsNotAnchored). Writes: the batch record (1).
func AnchorBatch(ctx *contracts.Context, m *custodyv1.MsgAnchorAlertBatch) ([]byte, error) {
	op := ctx.Signer.Owner
	wantSeq, wantFirst := uint64(1), uint64(1)
	if prev := LastBatch(ctx.Store, op); prev != nil {
		wantSeq, wantFirst = prev.Seq+1, prev.LastSeq+1
	}
	if m.Seq != wantSeq {
		return nil, ErrBadSeq.Wrapf("operator %s: got batch %d, want %d", op, m.Seq, wantSeq)
	}
	if m.FirstSeq != wantFirst {
		return nil, ErrRangeGap.Wrapf("operator %s batch %d: range starts at %d, want %d", op, m.Seq, m.FirstSeq, wantFirst)
	}
	if !ctx.Store.Has(ParamsHashKey(op, m.ParamsHash)) {
		return nil, ErrParamsNotAnchored.Wrapf("operator %s: params hash %x", op, m.ParamsHash)
	}
	b := &Batch{
		Operator: op, Seq: m.Seq, FirstSeq: m.FirstSeq, LastSeq: m.LastSeq, Count: m.Count,
		Root: m.Root, ParamsHash: m.ParamsHash, FromUnixMs: m.FromUnixMs, ToUnixMs: m.ToUnixMs,
		Height: ctx.Block.Height, Time: ctx.Block.UnixNano(), TxHash: ctx.TxHash, Signer: ctx.Signer.Address,
	}
	bz := b.Encode()
	ctx.Store.Set(BatchKey(op, b.Seq), bz)
	ctx.Emit("alert_batch_anchored", "operator", op, "seq", fmt.Sprint(b.Seq),
		"first_seq", fmt.Sprint(b.FirstSeq), "last_seq", fmt.Sprint(b.LastSeq),
		"count", fmt.Sprint(b.Count), "root", b.Root.String(), "params_hash", b.ParamsHash.String())
	return bz, nil
}

// AnchorParams records a rule-parameter version of the signing operator.
// The version must be above the operator's last (ErrStaleVersion); gaps are
// allowed, since a core may change its parameters several times while the
// chain is out of reach and anchors only the version in force. Writes: the
// version record and the hash index (2).
func AnchorParams(ctx *contracts.Context, m *custodyv1.MsgAnchorRuleParams) ([]byte, error) {
	op := ctx.Signer.Owner
	if last := LastParams(ctx.Store, op); last != nil && m.Version <= last.Version {
		return nil, ErrStaleVersion.Wrapf("operator %s: got version %d, last is %d", op, m.Version, last.Version)
	}
	p := &Params{
		Operator: op, Version: m.Version, ParamsHash: m.ParamsHash, ChangedBy: m.ChangedBy,
		Height: ctx.Block.Height, Time: ctx.Block.UnixNano(), TxHash: ctx.TxHash, Signer: ctx.Signer.Address,
	}
	bz := p.Encode()
	ctx.Store.Set(ParamsKey(op, p.Version), bz)
	ctx.Store.Set(ParamsHashKey(op, p.ParamsHash), appendU64(nil, p.Version))
	ctx.Emit("rule_params_anchored", "operator", op, "version", fmt.Sprint(p.Version),
		"params_hash", p.ParamsHash.String(), "changed_by", p.ChangedBy)
	return bz, nil
}
