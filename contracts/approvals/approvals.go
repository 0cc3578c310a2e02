// Package approvals is dual control inside an institution (maker-checker,
// 双人复核): a money movement sent by an operator key above its amount limit
// does not execute. It is held as a PendingApproval of the operator's
// institution and executes, exactly once, in the tx of a second operator of
// the same institution who approves it by id; or it is rejected and never
// executes.
//
// The mechanism is generic: Guard wraps every route named in a table of
// money movements (transfers.MoneyMovements: bank_to_broker,
// confirm_withdrawal; a later correction joins by adding its entry) and
// adds this package's own routes, approve_pending and reject_pending.
//
// Who may send:
//
//   - a held message: the operator (the maker), as the message's own route
//     allows; the router has already checked its role and its grant.
//   - approve_pending: a key of the maker's institution that is not the
//     maker (nor any key of the maker's rotation chain), whose grant lists
//     the held message type with an amount limit at least the held amount;
//     an unrestricted key of the institution qualifies. The maker's key must
//     not have been revoked since (a compromised maker's work is void).
//   - reject_pending: the maker itself, or a key of the institution granted
//     the held message type (whatever its limit).
//
// Who may read: an institution's approvals are read by that institution and
// the regulator (MayRead); they name accounts and amounts.
//
// Exactly once: an item executes only from PENDING, and the same tx marks it
// EXECUTED; a second approval, or an approval after a rejection, is refused
// (ErrAlreadyDecided) and changes nothing. If the held message fails when it
// executes (the account was frozen, the withdrawal settled otherwise), the
// approving tx is refused, nothing changes, and the item stays pending, to be
// approved later or rejected. An identical message cannot be pending twice
// for one institution (ErrDuplicatePending), so a resent message is not held
// twice.
//
// State: PrefixApproval | len-prefixed participant id | id (8 bytes BE) →
// PendingApproval; PrefixPendingMsg | len-prefixed participant id |
// SHA-256(held Msg bytes) → id, while the item is pending.
package approvals

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Codespace of this contract's refusals.
const Codespace = "approvals"

var (
	ErrUnknownApproval  = contracts.Register(Codespace, 1, "no such approval at the signer's institution")
	ErrAlreadyDecided   = contracts.Register(Codespace, 2, "approval is already executed or rejected")
	ErrMakerMayNot      = contracts.Register(Codespace, 3, "the maker may not approve its own operation")
	ErrCheckerNotGrant  = contracts.Register(Codespace, 4, "checker is not granted this message type or amount")
	ErrDuplicatePending = contracts.Register(Codespace, 5, "an identical operation is already pending approval")
	ErrMakerRevoked     = contracts.Register(Codespace, 6, "the maker's key was revoked")
	ErrBadApproval      = contracts.Register(Codespace, 7, "approval message is invalid")
)

// MaxReasonLen bounds a rejection's reason.
const MaxReasonLen = 256

// guarded is one held message type: its unguarded execution and its amount.
type guarded struct {
	execute func(*contracts.Context, proto.Message) ([]byte, error)
	amount  contracts.AmountFunc
}

// Guard returns routes with every route named in amounts wrapped by the
// operator limit check, followed by approve_pending and reject_pending. A
// name in amounts with no route panics: a wiring bug.
func Guard(routes []contracts.Route, amounts map[string]contracts.AmountFunc) []contracts.Route {
	held := map[string]guarded{}
	out := make([]contracts.Route, 0, len(routes)+2)
	for _, rt := range routes {
		if amount, ok := amounts[rt.Name]; ok {
			held[rt.Name] = guarded{execute: rt.Execute, amount: amount}
			rt.Execute = limitChecked(rt.Name, rt.Execute, amount)
		}
		out = append(out, rt)
	}
	for _, name := range slices.Sorted(maps.Keys(amounts)) {
		if _, ok := held[name]; !ok {
			panic(fmt.Sprintf("approvals: money movement %q has no route", name))
		}
	}
	roles := []custodyv1.Role{custodyv1.Role_ROLE_BANK, custodyv1.Role_ROLE_BROKER}
	return append(out,
		contracts.Handle("approve_pending", roles, ValidateApprove, func(ctx *contracts.Context, m *custodyv1.MsgApprovePending) ([]byte, error) {
			return approve(ctx, m, held)
		}),
		contracts.Handle("reject_pending", roles, ValidateReject, reject),
	)
}

// limitChecked runs execute at once for an unrestricted key, or for an
// operator within its limit; above the limit it holds the message instead.
func limitChecked(name string, execute func(*contracts.Context, proto.Message) ([]byte, error), amount contracts.AmountFunc) func(*contracts.Context, proto.Message) ([]byte, error) {
	return func(ctx *contracts.Context, m proto.Message) ([]byte, error) {
		op := ctx.Signer.Operator
		if op == nil {
			return execute(ctx, m)
		}
		n, err := amount(ctx, m)
		if err != nil {
			return nil, err
		}
		if n <= op.AmountLimit {
			return execute(ctx, m)
		}
		return hold(ctx, name, m, n)
	}
}

// hold records m as the next pending approval of the signer's institution.
// The tx succeeds; its result data is the PendingApproval.
func hold(ctx *contracts.Context, name string, m proto.Message, amount int64) ([]byte, error) {
	owner := ctx.Signer.Owner
	msgBytes := envelope(name, m)
	sum := sha256.Sum256(msgBytes)
	idx := PendingMsgKey(owner, sum[:])
	if bz := ctx.Store.Get(idx); bz != nil {
		return nil, ErrDuplicatePending.Wrapf("%s is already pending as approval %d of %s", name, binary.BigEndian.Uint64(bz), owner)
	}
	rec, err := auth.Get(ctx.Store, ctx.Signer.Address)
	if err != nil {
		return nil, err
	}
	p := &custodyv1.PendingApproval{
		Id:            nextID(ctx.Store, owner),
		ParticipantId: owner,
		MsgType:       name,
		Msg:           msgBytes,
		Amount:        amount,
		Maker:         ctx.Signer.Address,
		MakerLineage:  auth.Lineage(rec),
		Status:        custodyv1.ApprovalStatus_APPROVAL_STATUS_PENDING,
		CreatedHeight: ctx.Block.Height,
		CreatedTime:   ctx.Block.UnixNano(),
		TxHash:        ctx.TxHash,
	}
	ctx.Store.Set(idx, binary.BigEndian.AppendUint64(nil, p.Id))
	ctx.Emit("approval_pending", "participant_id", owner, "id", fmt.Sprint(p.Id), "msg_type", name,
		"amount", fmt.Sprint(amount), "amount_limit", fmt.Sprint(ctx.Signer.Operator.AmountLimit), "maker", p.Maker)
	return set(ctx.Store, p), nil
}

// ValidateApprove checks the id.
func ValidateApprove(m *custodyv1.MsgApprovePending) error {
	if m.Id == 0 {
		return ErrBadApproval.Wrapf("id must be at least 1")
	}
	return nil
}

// ValidateReject checks the id and the reason.
func ValidateReject(m *custodyv1.MsgRejectPending) error {
	if m.Id == 0 {
		return ErrBadApproval.Wrapf("id must be at least 1")
	}
	if len(m.Reason) > MaxReasonLen {
		return ErrBadApproval.Wrapf("reason is %d bytes, limit %d", len(m.Reason), MaxReasonLen)
	}
	return nil
}

// approve executes a pending item as its maker would have, had it been
// within the maker's limit. Writes: the held message's writes, the
// approval, the index entry (deleted).
func approve(ctx *contracts.Context, m *custodyv1.MsgApprovePending, held map[string]guarded) ([]byte, error) {
	p, err := pending(ctx.Store, ctx.Signer.Owner, m.Id)
	if err != nil {
		return nil, err
	}
	checker, err := auth.Get(ctx.Store, ctx.Signer.Address)
	if err != nil {
		return nil, err
	}
	if auth.Lineage(checker) == p.MakerLineage {
		return nil, ErrMakerMayNot.Wrapf("approval %d of %s was made by %s", p.Id, p.ParticipantId, p.Maker)
	}
	if op := checker.Operator; op != nil && (!granted(op, p.MsgType) || op.AmountLimit < p.Amount) {
		return nil, ErrCheckerNotGrant.Wrapf("key %s: %s of %d fen needs a grant of %s with a limit of at least %d (has %v, limit %d)",
			ctx.Signer.Address, p.MsgType, p.Amount, p.MsgType, p.Amount, op.MsgTypes, op.AmountLimit)
	}
	maker, err := auth.Get(ctx.Store, p.Maker)
	if err != nil {
		return nil, err
	}
	if maker.DisabledReason == custodyv1.KeyDisableReason_KEY_DISABLE_REASON_REVOKED {
		return nil, ErrMakerRevoked.Wrapf("%s was revoked at block %d; approval %d can only be rejected", p.Maker, maker.DisabledHeight, p.Id)
	}
	g, inner, err := resolve(held, p)
	if err != nil {
		return nil, err
	}
	// The held message runs as its maker's: the same contract code, the
	// same signer identity, now on the state of the approving block.
	makerCtx := contracts.NewContext(ctx.Block, contracts.Signer{
		Address: p.Maker, Role: maker.Role, Owner: maker.Owner, Operator: maker.Operator,
	}, ctx.Store, ctx.TxHash)
	result, err := g.execute(makerCtx, inner)
	if err != nil {
		return nil, err
	}
	for _, ev := range makerCtx.Events() {
		kv := make([]string, 0, 2*len(ev.Attrs))
		for _, a := range ev.Attrs {
			kv = append(kv, a.Key, a.Value)
		}
		ctx.Emit(ev.Type, kv...)
	}
	decide(ctx, p, custodyv1.ApprovalStatus_APPROVAL_STATUS_EXECUTED, "")
	p.Result = result
	ctx.Emit("approval_executed", "participant_id", p.ParticipantId, "id", fmt.Sprint(p.Id), "msg_type", p.MsgType,
		"amount", fmt.Sprint(p.Amount), "maker", p.Maker, "checker", p.Checker)
	return set(ctx.Store, p), nil
}

// reject closes a pending item without effect. Writes: the approval, the
// index entry (deleted).
func reject(ctx *contracts.Context, m *custodyv1.MsgRejectPending) ([]byte, error) {
	p, err := pending(ctx.Store, ctx.Signer.Owner, m.Id)
	if err != nil {
		return nil, err
	}
	rec, err := auth.Get(ctx.Store, ctx.Signer.Address)
	if err != nil {
		return nil, err
	}
	isMaker := auth.Lineage(rec) == p.MakerLineage
	if op := rec.Operator; !isMaker && op != nil && !granted(op, p.MsgType) {
		return nil, ErrCheckerNotGrant.Wrapf("key %s is not granted %s", ctx.Signer.Address, p.MsgType)
	}
	decide(ctx, p, custodyv1.ApprovalStatus_APPROVAL_STATUS_REJECTED, m.Reason)
	ctx.Emit("approval_rejected", "participant_id", p.ParticipantId, "id", fmt.Sprint(p.Id), "msg_type", p.MsgType,
		"amount", fmt.Sprint(p.Amount), "maker", p.Maker, "checker", p.Checker, "reason", m.Reason)
	return set(ctx.Store, p), nil
}

func decide(ctx *contracts.Context, p *custodyv1.PendingApproval, status custodyv1.ApprovalStatus, reason string) {
	sum := sha256.Sum256(p.Msg)
	ctx.Store.Delete(PendingMsgKey(p.ParticipantId, sum[:]))
	p.Status = status
	p.Checker = ctx.Signer.Address
	p.Reason = reason
	p.DecidedHeight, p.DecidedTime = ctx.Block.Height, ctx.Block.UnixNano()
}

// pending returns the institution's approval id if it is still pending.
func pending(store contracts.Store, owner string, id uint64) (*custodyv1.PendingApproval, error) {
	p, err := Get(store, owner, id)
	if err != nil {
		return nil, err
	}
	if p.Status != custodyv1.ApprovalStatus_APPROVAL_STATUS_PENDING {
		return nil, ErrAlreadyDecided.Wrapf("approval %d of %s is %s (by %s at block %d)", id, owner, p.Status, p.Checker, p.DecidedHeight)
	}
	return p, nil
}

func resolve(held map[string]guarded, p *custodyv1.PendingApproval) (guarded, proto.Message, error) {
	var msg custodyv1.Msg
	if err := proto.Unmarshal(p.Msg, &msg); err != nil {
		panic(fmt.Sprintf("approvals: corrupt held message in approval %d of %s: %v", p.Id, p.ParticipantId, err))
	}
	g, ok := held[p.MsgType]
	if !ok {
		// Only a wiring change could do this (a money movement removed from
		// the table while items of it are pending).
		return guarded{}, nil, contracts.ErrUnknownMessage.Wrapf("held message type %s is no longer a money movement", p.MsgType)
	}
	r := msg.ProtoReflect()
	fd := r.Descriptor().Fields().ByName(protoreflect.Name(p.MsgType))
	return g, r.Get(fd).Message().Interface(), nil
}

func granted(op *custodyv1.OperatorGrant, msgType string) bool {
	_, ok := slices.BinarySearch(op.MsgTypes, msgType)
	return ok
}

// envelope is the canonical encoding of m in its custody.v1.Msg field name.
func envelope(name string, m proto.Message) []byte {
	var msg custodyv1.Msg
	r := msg.ProtoReflect()
	r.Set(r.Descriptor().Fields().ByName(protoreflect.Name(name)), protoreflect.ValueOfMessage(m.ProtoReflect()))
	return contracts.Marshal(&msg)
}

// MayRead: an institution's approvals are read by it and the regulator.
func MayRead(role custodyv1.Role, callerOwner, participantID string) bool {
	return role == custodyv1.Role_ROLE_REGULATOR || (role != custodyv1.Role_ROLE_CLIENT && callerOwner == participantID)
}

func prefix(owner string) []byte {
	return contracts.LenPrefixed([]byte{contracts.PrefixApproval}, owner)
}

// Key is the state key of approval id of owner.
func Key(owner string, id uint64) []byte { return binary.BigEndian.AppendUint64(prefix(owner), id) }

// PendingMsgKey is the index entry of a pending held message, by the
// SHA-256 of its Msg bytes.
func PendingMsgKey(owner string, sum []byte) []byte {
	return append(contracts.LenPrefixed([]byte{contracts.PrefixPendingMsg}, owner), sum...)
}

func nextID(store contracts.Store, owner string) uint64 {
	pre := prefix(owner)
	it := store.ReverseIterator(pre, contracts.PrefixEnd(pre))
	defer it.Close()
	if !it.Valid() {
		return 1
	}
	return binary.BigEndian.Uint64(it.Key()[len(pre):]) + 1
}

func set(store contracts.Store, p *custodyv1.PendingApproval) []byte {
	bz := contracts.Marshal(p)
	store.Set(Key(p.ParticipantId, p.Id), bz)
	return bz
}

// Get returns approval id of owner, or ErrUnknownApproval.
func Get(store contracts.Store, owner string, id uint64) (*custodyv1.PendingApproval, error) {
	k := Key(owner, id)
	bz := store.Get(k)
	if bz == nil {
		return nil, ErrUnknownApproval.Wrapf("approval %d of %s", id, owner)
	}
	var p custodyv1.PendingApproval
	contracts.Unmarshal(k, bz, &p)
	return &p, nil
}

// MaxPage bounds one List.
const MaxPage = 1000

// List returns owner's approvals from id fromID on, at most limit (≤ 0 or
// above MaxPage: MaxPage), only pending ones when pendingOnly.
func List(store contracts.Store, owner string, fromID uint64, limit int, pendingOnly bool) []*custodyv1.PendingApproval {
	if limit <= 0 || limit > MaxPage {
		limit = MaxPage
	}
	it := store.Iterator(Key(owner, fromID), contracts.PrefixEnd(prefix(owner)))
	defer it.Close()
	var out []*custodyv1.PendingApproval
	for ; it.Valid() && len(out) < limit; it.Next() {
		var p custodyv1.PendingApproval
		contracts.Unmarshal(it.Key(), it.Value(), &p)
		if pendingOnly && p.Status != custodyv1.ApprovalStatus_APPROVAL_STATUS_PENDING {
			continue
		}
		out = append(out, &p)
	}
	return out
}
