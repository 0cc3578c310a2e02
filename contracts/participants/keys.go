package participants

// Institution key lifecycle: rotate_key, revoke_key and add_operator, and
// the key-history record kept per participant.
//
// Who may send what (declared here, with the records they change):
//
//   - rotate_key: the key being replaced, of any institution role. The new
//     key gets the same owner, role and operator grant, and the rotation is
//     the last tx the old key signs: the old key is disabled as the tx
//     executes, so it signs nothing later in this block or after.
//   - revoke_key: the regulator, for a key of any institution; or an
//     unrestricted (admin) key of the key's own institution (e.g. an
//     operator who leaves). Effective at once, like a rotation.
//   - add_operator: an unrestricted key of a bank or broker registers an
//     operator key under its own participant. Operators cannot add
//     operators, revoke keys or grant key management.
//
// Who may read: the key records (PrefixKey) and the key history
// (PrefixKeyHistory) are readable by every institution and the regulator,
// never by a client key (MayReadKeyHistory).
//
// A participant keeps at least one active unrestricted key: the one that can
// still add operators and revoke keys. Client keys (ROLE_CLIENT) belong to
// contracts/accounts and are refused here.
//
// State: PrefixKeyHistory | len-prefixed participant id | seq (8 bytes BE) →
// KeyEvent; Participant.pub_keys lists every key ever registered for the
// participant (genesis and later), whose key records say which are active.

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Refusals of the key lifecycle (participants codespace, from 10).
var (
	ErrUnknownKey        = contracts.Register(Codespace, 10, "key is not registered")
	ErrNotInstitutionKey = contracts.Register(Codespace, 11, "key is not an institution's key")
	ErrKeyNotActive      = contracts.Register(Codespace, 12, "key is already disabled or revoked")
	ErrLastKey           = contracts.Register(Codespace, 13, "participant must keep at least one active unrestricted key")
	ErrWrongSigner       = contracts.Register(Codespace, 14, "signer may not change this participant's keys")
	ErrOperatorKey       = contracts.Register(Codespace, 15, "operator keys may not manage keys")
	ErrBadGrant          = contracts.Register(Codespace, 16, "operator grant is invalid")
	ErrBadKeyMessage     = contracts.Register(Codespace, 17, "key message is invalid")
)

// Limits of the key messages.
const (
	MaxReasonLen   = 256
	MaxLabelLen    = 64
	MaxGrantTypes  = 32
	MaxAmountLimit = int64(100_000_000_000_000) // as transfers.MaxAmount: one trillion CNY
)

// keyManagement are the messages an operator may never be granted: an
// operator key manages no keys but its own rotation.
var keyManagement = []string{"add_operator", "revoke_key"}

// institutionRoles are the roles of participants (every role but client).
var institutionRoles = []custodyv1.Role{
	custodyv1.Role_ROLE_BANK, custodyv1.Role_ROLE_BROKER, custodyv1.Role_ROLE_REGULATOR,
	custodyv1.Role_ROLE_CLEARING_HOUSE, custodyv1.Role_ROLE_RISK_OPERATOR,
}

// Routes of the key lifecycle.
func Routes() []contracts.Route {
	return []contracts.Route{
		contracts.Handle("rotate_key", institutionRoles, ValidateRotateKey, RotateKey),
		contracts.Handle("revoke_key", institutionRoles, ValidateRevokeKey, RevokeKey),
		contracts.Handle("add_operator", []custodyv1.Role{custodyv1.Role_ROLE_BANK, custodyv1.Role_ROLE_BROKER}, ValidateAddOperator, AddOperator),
	}
}

// MayReadKeyHistory: every institution and the regulator read every
// participant's keys and key history; clients read none.
func MayReadKeyHistory(role custodyv1.Role) bool {
	return slices.Contains(institutionRoles, role)
}

// ValidateRotateKey checks the new key's length and the reason's.
func ValidateRotateKey(m *custodyv1.MsgRotateKey) error {
	if len(m.NewPubKey) != ed25519.PublicKeySize {
		return auth.ErrBadPubKey.Wrapf("new_pub_key is %d bytes, want %d", len(m.NewPubKey), ed25519.PublicKeySize)
	}
	return validateReason(m.Reason)
}

// ValidateRevokeKey checks the address and the reason (required: a
// revocation is an audit fact).
func ValidateRevokeKey(m *custodyv1.MsgRevokeKey) error {
	if _, err := auth.ParseAddress(m.Address); err != nil {
		return ErrBadKeyMessage.Wrapf("address: %v", err)
	}
	if m.Reason == "" {
		return ErrBadKeyMessage.Wrapf("a revocation needs a reason")
	}
	return validateReason(m.Reason)
}

func validateReason(r string) error {
	if len(r) > MaxReasonLen {
		return ErrBadKeyMessage.Wrapf("reason is %d bytes, limit %d", len(r), MaxReasonLen)
	}
	return nil
}

// ValidateAddOperator checks the key and the grant.
func ValidateAddOperator(m *custodyv1.MsgAddOperator) error {
	if len(m.PubKey) != ed25519.PublicKeySize {
		return auth.ErrBadPubKey.Wrapf("pub_key is %d bytes, want %d", len(m.PubKey), ed25519.PublicKeySize)
	}
	return ValidateGrant(m.Grant)
}

// ValidateGrant checks an operator grant: 1-32 message types, each a field
// of custody.v1.Msg and none a key-management message, sorted without
// repeats (so the record holds exactly what was signed); 0 ≤ amount_limit
// ≤ MaxAmountLimit; a label of at most 64 bytes.
func ValidateGrant(g *custodyv1.OperatorGrant) error {
	if g == nil {
		return ErrBadGrant.Wrapf("grant is required")
	}
	if len(g.MsgTypes) == 0 || len(g.MsgTypes) > MaxGrantTypes {
		return ErrBadGrant.Wrapf("%d message types, want 1-%d", len(g.MsgTypes), MaxGrantTypes)
	}
	fields := (&custodyv1.Msg{}).ProtoReflect().Descriptor().Fields()
	for i, t := range g.MsgTypes {
		if fields.ByName(protoreflect.Name(t)) == nil {
			return ErrBadGrant.Wrapf("%q is not a message type", t)
		}
		if slices.Contains(keyManagement, t) {
			return ErrBadGrant.Wrapf("%s may not be granted to an operator", t)
		}
		if i > 0 && g.MsgTypes[i-1] >= t {
			return ErrBadGrant.Wrapf("message types must be sorted without repeats (%q after %q)", t, g.MsgTypes[i-1])
		}
	}
	if g.AmountLimit < 0 || g.AmountLimit > MaxAmountLimit {
		return ErrBadGrant.Wrapf("amount_limit %d fen is not in [0, %d]", g.AmountLimit, MaxAmountLimit)
	}
	if len(g.Label) > MaxLabelLen {
		return ErrBadGrant.Wrapf("label is %d bytes, limit %d", len(g.Label), MaxLabelLen)
	}
	return nil
}

// RotateKey registers the new key with the old key's owner, role and grant,
// and disables the signing key: this tx is the last it signs. Writes: both
// key records, the participant, one key-history record.
func RotateKey(ctx *contracts.Context, m *custodyv1.MsgRotateKey) ([]byte, error) {
	old, err := auth.Get(ctx.Store, ctx.Signer.Address)
	if err != nil {
		return nil, err
	}
	p, err := Get(ctx.Store, old.Owner)
	if err != nil {
		return nil, ErrNotInstitutionKey.Wrapf("key %s belongs to %s, not a participant", ctx.Signer.Address, old.Owner)
	}
	newAddr := auth.Address(m.NewPubKey)
	next := &custodyv1.KeyRecord{
		PubKey:           m.NewPubKey,
		Role:             old.Role,
		Owner:            old.Owner,
		Operator:         old.Operator,
		Lineage:          auth.Lineage(old),
		RegisteredHeight: ctx.Block.Height,
	}
	if err := auth.RegisterRecord(ctx.Store, next); err != nil {
		return nil, err
	}
	auth.DisableRecord(ctx.Store, old, custodyv1.KeyDisableReason_KEY_DISABLE_REASON_ROTATED, ctx.Block.Height, newAddr)
	addPubKey(ctx.Store, p, m.NewPubKey)
	ev := appendHistory(ctx, &custodyv1.KeyEvent{
		Kind:          custodyv1.KeyEventKind_KEY_EVENT_KIND_ROTATED,
		ParticipantId: p.Id,
		Address:       ctx.Signer.Address,
		NewAddress:    newAddr,
		Reason:        m.Reason,
		Operator:      old.Operator,
	})
	ctx.Emit("key_rotated", "participant_id", p.Id, "address", ctx.Signer.Address, "new_address", newAddr,
		"seq", fmt.Sprint(ev.Seq))
	return contracts.Marshal(ev), nil
}

// RevokeKey disables an institution key at once. Writes: the key record,
// one key-history record.
func RevokeKey(ctx *contracts.Context, m *custodyv1.MsgRevokeKey) ([]byte, error) {
	target, err := auth.Get(ctx.Store, m.Address)
	if err != nil {
		return nil, ErrUnknownKey.Wrapf("%s", m.Address)
	}
	if target.Role == custodyv1.Role_ROLE_CLIENT {
		return nil, ErrNotInstitutionKey.Wrapf("%s is a client key (closed with its account)", m.Address)
	}
	p, err := Get(ctx.Store, target.Owner)
	if err != nil {
		return nil, ErrNotInstitutionKey.Wrapf("%s belongs to %s, not a participant", m.Address, target.Owner)
	}
	if err := mayManageKeys(ctx.Signer, p.Id); err != nil {
		return nil, err
	}
	if target.Disabled {
		return nil, ErrKeyNotActive.Wrapf("%s is %s since block %d", m.Address, target.DisabledReason, target.DisabledHeight)
	}
	if target.Operator == nil && activeAdminKeys(ctx.Store, p) <= 1 {
		return nil, ErrLastKey.Wrapf("%s is the last active unrestricted key of %s", m.Address, p.Id)
	}
	auth.DisableRecord(ctx.Store, target, custodyv1.KeyDisableReason_KEY_DISABLE_REASON_REVOKED, ctx.Block.Height, "")
	ev := appendHistory(ctx, &custodyv1.KeyEvent{
		Kind:          custodyv1.KeyEventKind_KEY_EVENT_KIND_REVOKED,
		ParticipantId: p.Id,
		Address:       m.Address,
		Reason:        m.Reason,
		Operator:      target.Operator,
	})
	ctx.Emit("key_revoked", "participant_id", p.Id, "address", m.Address, "by", ctx.Signer.Address,
		"by_owner", ctx.Signer.Owner, "reason", m.Reason, "seq", fmt.Sprint(ev.Seq))
	return contracts.Marshal(ev), nil
}

// mayManageKeys: the regulator manages every participant's keys; an
// unrestricted key manages its own participant's.
func mayManageKeys(s contracts.Signer, participantID string) error {
	if s.Operator != nil {
		return ErrOperatorKey.Wrapf("operator key %s", s.Address)
	}
	if s.Role == custodyv1.Role_ROLE_REGULATOR || s.Owner == participantID {
		return nil
	}
	return ErrWrongSigner.Wrapf("%s (%s) may not change the keys of %s", s.Address, s.Owner, participantID)
}

// AddOperator registers an operator key under the signer's participant.
// Writes: the key record, the participant, one key-history record.
func AddOperator(ctx *contracts.Context, m *custodyv1.MsgAddOperator) ([]byte, error) {
	if err := mayManageKeys(ctx.Signer, ctx.Signer.Owner); err != nil {
		return nil, err
	}
	p, err := Get(ctx.Store, ctx.Signer.Owner)
	if err != nil {
		return nil, err
	}
	grant := proto.Clone(m.Grant).(*custodyv1.OperatorGrant)
	rec := &custodyv1.KeyRecord{
		PubKey:           m.PubKey,
		Role:             p.Role,
		Owner:            p.Id,
		Operator:         grant,
		RegisteredHeight: ctx.Block.Height,
	}
	if err := auth.RegisterRecord(ctx.Store, rec); err != nil {
		return nil, err
	}
	addPubKey(ctx.Store, p, m.PubKey)
	addr := auth.Address(m.PubKey)
	ev := appendHistory(ctx, &custodyv1.KeyEvent{
		Kind:          custodyv1.KeyEventKind_KEY_EVENT_KIND_OPERATOR_ADDED,
		ParticipantId: p.Id,
		Address:       addr,
		Operator:      grant,
	})
	ctx.Emit("operator_added", "participant_id", p.Id, "address", addr, "by", ctx.Signer.Address,
		"msg_types", strings.Join(grant.MsgTypes, ","), "amount_limit", fmt.Sprint(grant.AmountLimit),
		"seq", fmt.Sprint(ev.Seq))
	return contracts.Marshal(ev), nil
}

// activeAdminKeys counts the participant's active unrestricted keys.
func activeAdminKeys(store contracts.Store, p *custodyv1.Participant) int {
	n := 0
	for _, rec := range Keys(store, p) {
		if !rec.Disabled && rec.Operator == nil {
			n++
		}
	}
	return n
}

// Keys returns the key records of every key ever registered for p, in the
// order they were registered.
func Keys(store contracts.Store, p *custodyv1.Participant) []*custodyv1.KeyRecord {
	out := make([]*custodyv1.KeyRecord, 0, len(p.PubKeys))
	for _, pk := range p.PubKeys {
		rec, err := auth.Get(store, auth.Address(pk))
		if err != nil {
			panic(fmt.Sprintf("participants: %s lists key %s with no key record", p.Id, auth.Address(pk)))
		}
		out = append(out, rec)
	}
	return out
}

func addPubKey(store contracts.Store, p *custodyv1.Participant, pk []byte) {
	p.PubKeys = append(p.PubKeys, pk)
	store.Set(key(p.Id), contracts.Marshal(p))
}

// HistoryPrefix is the key prefix of a participant's key history.
func HistoryPrefix(id string) []byte {
	return contracts.LenPrefixed([]byte{contracts.PrefixKeyHistory}, id)
}

// HistoryKey is the state key of one key-history record.
func HistoryKey(id string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(HistoryPrefix(id), seq)
}

// appendHistory stores ev as the participant's next key-history record
// (seq from 1), stamped with the block, the signer and the tx.
func appendHistory(ctx *contracts.Context, ev *custodyv1.KeyEvent) *custodyv1.KeyEvent {
	prefix := HistoryPrefix(ev.ParticipantId)
	ev.Seq = 1
	it := ctx.Store.ReverseIterator(prefix, contracts.PrefixEnd(prefix))
	if it.Valid() {
		ev.Seq = binary.BigEndian.Uint64(it.Key()[len(prefix):]) + 1
	}
	it.Close()
	ev.By, ev.ByOwner = ctx.Signer.Address, ctx.Signer.Owner
	ev.Height, ev.Time, ev.TxHash = ctx.Block.Height, ctx.Block.UnixNano(), ctx.TxHash
	ctx.Store.Set(HistoryKey(ev.ParticipantId, ev.Seq), contracts.Marshal(ev))
	return ev
}

// MaxPage bounds one History read.
const MaxPage = 1000

// History returns the participant's key-history records from seq fromSeq
// on, at most limit (≤ 0 or above MaxPage: MaxPage).
func History(store contracts.Store, id string, fromSeq uint64, limit int) []*custodyv1.KeyEvent {
	if limit <= 0 || limit > MaxPage {
		limit = MaxPage
	}
	prefix := HistoryPrefix(id)
	it := store.Iterator(HistoryKey(id, fromSeq), contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []*custodyv1.KeyEvent
	for ; it.Valid() && len(out) < limit; it.Next() {
		var ev custodyv1.KeyEvent
		contracts.Unmarshal(it.Key(), it.Value(), &ev)
		out = append(out, &ev)
	}
	return out
}
