package client

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Institution keys and dual control: message builders and reads. Sign and
// Submit any of these messages as usual (e.g. Submit(ctx, oldKey,
// RotateKey(newPub, "yearly"), ...)).

// RotateKey replaces the signing key with newKey (same owner, role and
// operator grant). Sign it with the key being replaced: it is that key's
// last tx.
func RotateKey(newKey ed25519.PublicKey, reason string) *custodyv1.MsgRotateKey {
	return &custodyv1.MsgRotateKey{NewPubKey: newKey, Reason: reason}
}

// RevokeKey disables the key at address at once (the regulator for any
// institution's key, or an institution's unrestricted key for its own).
func RevokeKey(address, reason string) *custodyv1.MsgRevokeKey {
	return &custodyv1.MsgRevokeKey{Address: address, Reason: reason}
}

// AddOperator registers an operator key under the signer's institution,
// granted msgTypes (Msg field names, e.g. "bank_to_broker"; sorted and
// de-duplicated here, as the chain requires) with an amount limit in fen.
func AddOperator(pub ed25519.PublicKey, msgTypes []string, amountLimit int64, label string) *custodyv1.MsgAddOperator {
	types := slices.Clone(msgTypes)
	slices.Sort(types)
	types = slices.Compact(types)
	return &custodyv1.MsgAddOperator{PubKey: pub, Grant: &custodyv1.OperatorGrant{MsgTypes: types, AmountLimit: amountLimit, Label: label}}
}

// ApprovePending executes the pending approval id of the signer's
// institution (a second operator's approval).
func ApprovePending(id uint64) *custodyv1.MsgApprovePending {
	return &custodyv1.MsgApprovePending{Id: id}
}

// RejectPending closes the pending approval id without effect.
func RejectPending(id uint64, reason string) *custodyv1.MsgRejectPending {
	return &custodyv1.MsgRejectPending{Id: id, Reason: reason}
}

// HeldForApproval reports whether a committed result is a money movement
// held for a second operator's approval (event approval_pending) and, if
// so, the approval's id.
func HeldForApproval(r *Result) (uint64, bool) {
	if r == nil {
		return 0, false
	}
	for _, ev := range r.Events {
		if ev.Type != "approval_pending" {
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key == "id" {
				id, err := strconv.ParseUint(a.Value, 10, 64)
				return id, err == nil
			}
		}
	}
	return 0, false
}

var pjRead = protojson.UnmarshalOptions{DiscardUnknown: true}

// ParticipantKeys reads every key ever registered for a participant (the
// keys/<id> query; no proof).
func (c *Client) ParticipantKeys(ctx context.Context, participantID string) ([]*custodyv1.KeyRecord, error) {
	return queryList(ctx, c, "keys/"+url.PathEscape(participantID), "keys", func() *custodyv1.KeyRecord { return new(custodyv1.KeyRecord) })
}

// KeyHistory reads a participant's key history from seq fromSeq on.
func (c *Client) KeyHistory(ctx context.Context, participantID string, fromSeq uint64) ([]*custodyv1.KeyEvent, error) {
	path := fmt.Sprintf("key-history/%s?from=%d", url.PathEscape(participantID), fromSeq)
	return queryList(ctx, c, path, "events", func() *custodyv1.KeyEvent { return new(custodyv1.KeyEvent) })
}

// Approvals reads an institution's approvals from id fromID on; only the
// pending ones when pendingOnly.
func (c *Client) Approvals(ctx context.Context, participantID string, fromID uint64, pendingOnly bool) ([]*custodyv1.PendingApproval, error) {
	path := fmt.Sprintf("approvals/%s?from=%d&pending=%t", url.PathEscape(participantID), fromID, pendingOnly)
	return queryList(ctx, c, path, "approvals", func() *custodyv1.PendingApproval { return new(custodyv1.PendingApproval) })
}

func queryList[M proto.Message](ctx context.Context, c *Client, path, field string, mk func() M) ([]M, error) {
	raw, err := c.QueryJSON(ctx, path)
	if err != nil {
		return nil, err
	}
	var wrap map[string][]json.RawMessage
	if err := json.Unmarshal(raw, &wrap); err != nil {
		return nil, fmt.Errorf("client: decode %s: %w", path, err)
	}
	out := make([]M, 0, len(wrap[field]))
	for _, item := range wrap[field] {
		m := mk()
		if err := pjRead.Unmarshal(item, m); err != nil {
			return nil, fmt.Errorf("client: decode %s: %w", path, err)
		}
		out = append(out, m)
	}
	return out, nil
}
