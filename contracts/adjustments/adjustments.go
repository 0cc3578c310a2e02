// Package adjustments is the adjustment (调账): a correction of client
// balances that resolves a reconciliation break, under dual control.
//
// A daily reconciliation break (reconcile) says the bank's books and the
// chain's disagree about a (bank, broker) pair at the close of a date. Once
// the two institutions have found out why — a deposit the chain never saw,
// a reversal the bank booked after the day closed — one of them proposes an
// adjustment naming the break, the client accounts and the amounts, and
// the other approves it; only then does money move (maker-checker across
// institutions, DOMAIN.md "dual control"). Our choice for the regulator
// (docs/settlement.md):
//
//   - an adjustment whose gross amount (Σ |legs|) is above the chain
//     parameter AdjustmentParams.regulator_threshold also needs the
//     regulator's co-signature (approve_adjustment signed by the regulator);
//   - the regulator may veto any pending adjustment, whatever its size;
//   - the counterparty may reject it and the proposer may withdraw it.
//
// Money is conserved explicitly: every leg credits or debits one active
// client account of the break's (bank, broker) across the bank boundary —
// a credit is money the bank pays into custody (Supply.deposited), a debit
// money custody pays back to it (Supply.withdrawn) — and the proposal must
// state the net (net_boundary = Σ legs), so both signers sign what crosses
// the boundary. Custody totals and the supply move with every leg (funds.Adjust).
// A debit larger than the account's available funds is refused at
// application: the approval fails and the adjustment stays pending.
//
// When the last signature is in, the legs apply, the adjustment is APPLIED
// and the break is marked resolved with "adj/<id>" (reconcile.MarkResolved).
// A break has at most one pending or applied adjustment at a time.
//
// The same machinery resolves a settlement break (clearing: a broker's day
// differed from the clearing house's trade file, and its settlement is
// held). Its parties are the broker and the clearing house; its legs, if
// any, cross the clearing boundary (Supply.from_clearing / to_clearing)
// instead of the bank's; an adjustment with no legs records that both
// agree the chain's fills stand. Applying it releases the held settlement
// (clearing.ResolveBreak).
package adjustments

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/reconcile"
	"github.com/custody-ledger/custody/contracts/trading"
	"github.com/custody-ledger/custody/contracts/transfers"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Codespace of the adjustments contract's refusals.
const Codespace = "adjustments"

// Refusals of the adjustment messages. Never renumber.
var (
	ErrBadID           = contracts.Register(Codespace, 1, "adjustment id is not 1-64 characters [0-9A-Za-z._-]")
	ErrBadBreak        = contracts.Register(Codespace, 2, "break reference has no kind or a bad date or id")
	ErrBadLegs         = contracts.Register(Codespace, 3, "legs are empty, too many, repeated, zero or too large")
	ErrUnbalanced      = contracts.Register(Codespace, 4, "net_boundary is not the sum of the legs")
	ErrBadReason       = contracts.Register(Codespace, 5, "reason is not 1-256 bytes of UTF-8")
	ErrExists          = contracts.Register(Codespace, 6, "adjustment id already used")
	ErrNotParty        = contracts.Register(Codespace, 7, "signer is not a party of the break")
	ErrUnknownBreak    = contracts.Register(Codespace, 8, "no reconciliation break for that date, bank and broker")
	ErrBreakResolved   = contracts.Register(Codespace, 9, "the break is already resolved")
	ErrBreakTaken      = contracts.Register(Codespace, 10, "the break already has a pending adjustment")
	ErrLegOutsideBreak = contracts.Register(Codespace, 11, "a leg's account is not a client of the break's bank and broker")
	ErrUnknown         = contracts.Register(Codespace, 12, "adjustment not found")
	ErrNotPending      = contracts.Register(Codespace, 13, "adjustment is not pending")
	ErrOwnProposal     = contracts.Register(Codespace, 14, "the proposer cannot approve its own adjustment")
	ErrAlreadyApproved = contracts.Register(Codespace, 15, "signer has already approved this adjustment")
	ErrBadParams       = contracts.Register(Codespace, 16, "adjustment parameters are out of range")
	ErrRegulatorOnlyCo = contracts.Register(Codespace, 17, "the regulator co-signs only adjustments above the threshold")
)

// Limits of the stateless checks.
const (
	MaxIDLen     = 64
	MaxLegs      = 100
	MaxReasonLen = 256
	// DefaultRegulatorThreshold: above 100 000.00 CNY (10^7 fen) gross, the
	// regulator co-signs (our default; a chain parameter).
	DefaultRegulatorThreshold int64 = 10_000_000
)

// Routes of the adjustments contract.
func Routes() []contracts.Route {
	parties := []custodyv1.Role{custodyv1.Role_ROLE_BANK, custodyv1.Role_ROLE_BROKER, custodyv1.Role_ROLE_CLEARING_HOUSE}
	all := append(parties, custodyv1.Role_ROLE_REGULATOR)
	return []contracts.Route{
		contracts.Handle("propose_adjustment", parties, ValidatePropose, Propose),
		contracts.Handle("approve_adjustment", all, ValidateApprove, Approve),
		contracts.Handle("reject_adjustment", all, ValidateReject, Reject),
	}
}

// Key is the key of an Adjustment: 0x50 | id.
func Key(id string) []byte { return append([]byte{contracts.PrefixAdjustment}, id...) }

// ParamsKey is the key of the AdjustmentParams: 0x51.
func ParamsKey() []byte { return []byte{contracts.PrefixAdjustmentParams} }

// BreakKey is the key of a break's open (pending or applied) adjustment:
// 0x52 | kind | date | len(bank) | bank | broker → adjustment id.
func BreakKey(b *custodyv1.BreakRef) []byte {
	k := binary.BigEndian.AppendUint32([]byte{contracts.PrefixAdjustmentBreak, byte(b.Kind)}, b.Date)
	return append(contracts.LenPrefixed(k, b.BankId), b.BrokerId...)
}

// Ref is the reference an adjustment leaves in the fund ledger and on the
// break it resolves: "adj/<id>".
func Ref(id string) string { return "adj/" + id }

// DefaultParams are the defaults of the adjustment parameters.
func DefaultParams() *custodyv1.AdjustmentParams {
	return &custodyv1.AdjustmentParams{RegulatorThreshold: DefaultRegulatorThreshold}
}

// GetParams returns the parameters (the defaults before genesis).
func GetParams(store contracts.Store) *custodyv1.AdjustmentParams {
	bz := store.Get(ParamsKey())
	if bz == nil {
		return DefaultParams()
	}
	var p custodyv1.AdjustmentParams
	contracts.Unmarshal(ParamsKey(), bz, &p)
	return &p
}

// InitGenesis writes the parameters (defaults when absent).
func InitGenesis(store contracts.Store, g *custodyv1.AdjustmentGenesis) error {
	p := DefaultParams()
	if g.GetParams() != nil {
		p = g.Params
	}
	if p.RegulatorThreshold < 0 {
		return ErrBadParams.Wrapf("threshold %d", p.RegulatorThreshold)
	}
	store.Set(ParamsKey(), contracts.Marshal(p))
	return nil
}

// Get returns an adjustment, or ErrUnknown.
func Get(store contracts.Store, id string) (*custodyv1.Adjustment, error) {
	bz := store.Get(Key(id))
	if bz == nil {
		return nil, ErrUnknown.Wrapf("%q", id)
	}
	var a custodyv1.Adjustment
	contracts.Unmarshal(Key(id), bz, &a)
	return &a, nil
}

// ForEach calls fn for every adjustment in id order.
func ForEach(store contracts.Store, fn func(*custodyv1.Adjustment)) {
	prefix := []byte{contracts.PrefixAdjustment}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	for ; it.Valid(); it.Next() {
		var a custodyv1.Adjustment
		contracts.Unmarshal(it.Key(), it.Value(), &a)
		fn(&a)
	}
}

func set(store contracts.Store, a *custodyv1.Adjustment) []byte {
	bz := contracts.Marshal(a)
	store.Set(Key(a.Id), bz)
	return bz
}

func validateID(id string) error {
	if !accounts.IDChars(id, MaxIDLen, "._-") {
		return ErrBadID.Wrapf("%q", id)
	}
	return nil
}

func validateReason(r string) error {
	if r == "" || len(r) > MaxReasonLen || accounts.ValidateReason(r) != nil {
		return ErrBadReason.Wrapf("%d bytes", len(r))
	}
	return nil
}

// ValidatePropose is the stateless check of MsgProposeAdjustment.
func ValidatePropose(m *custodyv1.MsgProposeAdjustment) error {
	if err := validateID(m.AdjustmentId); err != nil {
		return err
	}
	b := m.Break
	if b == nil || trading.ValidateDate(b.Date) != nil || accounts.ValidateParticipantID(b.BrokerId) != nil {
		return ErrBadBreak.Wrapf("%v", b)
	}
	switch b.Kind {
	case custodyv1.BreakKind_BREAK_KIND_RECONCILIATION:
		if accounts.ValidateParticipantID(b.BankId) != nil {
			return ErrBadBreak.Wrapf("%v", b)
		}
	case custodyv1.BreakKind_BREAK_KIND_SETTLEMENT:
		if b.BankId != "" {
			return ErrBadBreak.Wrapf("a settlement break names no bank: %v", b)
		}
	default:
		return ErrBadBreak.Wrapf("kind %v", b.Kind)
	}
	// A settlement break may be resolved with no legs: the chain's fills
	// stand and only the clearing house's file was wrong.
	minLegs := 1
	if b.Kind == custodyv1.BreakKind_BREAK_KIND_SETTLEMENT {
		minLegs = 0
	}
	if len(m.Legs) < minLegs || len(m.Legs) > MaxLegs {
		return ErrBadLegs.Wrapf("%d legs, 1-%d allowed", len(m.Legs), MaxLegs)
	}
	seen := map[string]bool{}
	var net int64 // |leg| ≤ MaxAmount = 10^14 and ≤ 100 legs: no overflow
	for _, l := range m.Legs {
		if l == nil || accounts.ValidateAccountID(l.AccountId) != nil || seen[l.AccountId] ||
			l.Amount == 0 || l.Amount > transfers.MaxAmount || l.Amount < -transfers.MaxAmount {
			return ErrBadLegs.Wrapf("%v", l)
		}
		seen[l.AccountId] = true
		net += l.Amount
	}
	if net != m.NetBoundary {
		return ErrUnbalanced.Wrapf("legs sum to %d, net_boundary %d", net, m.NetBoundary)
	}
	return validateReason(m.Reason)
}

// ValidateApprove is the stateless check of MsgApproveAdjustment.
func ValidateApprove(m *custodyv1.MsgApproveAdjustment) error { return validateID(m.AdjustmentId) }

// ValidateReject is the stateless check of MsgRejectAdjustment.
func ValidateReject(m *custodyv1.MsgRejectAdjustment) error {
	if err := validateID(m.AdjustmentId); err != nil {
		return err
	}
	return validateReason(m.Reason)
}

// counterpartyOf returns the other party of a break for a signer that is
// one of its parties, or ErrNotParty. A reconciliation break's parties are
// its bank and its broker; a settlement break's its broker and the
// clearing house (any clearing-house participant: there is one CCP).
func counterpartyOf(s contracts.Signer, b *custodyv1.BreakRef) (string, error) {
	if b.Kind == custodyv1.BreakKind_BREAK_KIND_SETTLEMENT {
		switch {
		case s.Role == custodyv1.Role_ROLE_BROKER && s.Owner == b.BrokerId:
			return clearingHouseParty, nil
		case s.Role == custodyv1.Role_ROLE_CLEARING_HOUSE:
			return b.BrokerId, nil
		}
		return "", ErrNotParty.Wrapf("%s is neither broker %s nor the clearing house", s.Owner, b.BrokerId)
	}
	switch {
	case s.Role == custodyv1.Role_ROLE_BANK && s.Owner == b.BankId:
		return b.BrokerId, nil
	case s.Role == custodyv1.Role_ROLE_BROKER && s.Owner == b.BrokerId:
		return b.BankId, nil
	}
	return "", ErrNotParty.Wrapf("%s is neither bank %s nor broker %s", s.Owner, b.BankId, b.BrokerId)
}

// clearingHouseParty stands for the clearing house as a settlement break's
// counterparty before one of its keys has signed.
const clearingHouseParty = "clearing-house"

// isCounterparty reports whether s may give the counterparty's approval.
func isCounterparty(s contracts.Signer, adj *custodyv1.Adjustment) bool {
	cp, err := counterpartyOf(s, adj.Break)
	if err != nil || s.Owner == adj.Proposer {
		return false
	}
	if adj.Break.Kind == custodyv1.BreakKind_BREAK_KIND_SETTLEMENT {
		// The broker proposed and the clearing house approves, or the
		// other way round.
		return (s.Role == custodyv1.Role_ROLE_CLEARING_HOUSE && adj.Counterparty == clearingHouseParty) ||
			(s.Role == custodyv1.Role_ROLE_BROKER && adj.Counterparty == s.Owner)
	}
	return s.Owner == adj.Counterparty && cp == adj.Proposer
}

// openBreak checks that the break exists and is not resolved.
func openBreak(store contracts.Store, b *custodyv1.BreakRef) error {
	if b.Kind == custodyv1.BreakKind_BREAK_KIND_SETTLEMENT {
		sb, ok := clearing.GetBreak(store, b.Date, b.BrokerId)
		switch {
		case !ok:
			return ErrUnknownBreak.Wrapf("no settlement break %d %s", b.Date, b.BrokerId)
		case sb.ResolvedBy != "":
			return ErrBreakResolved.Wrapf("%d %s by %s", b.Date, b.BrokerId, sb.ResolvedBy)
		}
		return nil
	}
	r, ok := reconcile.GetResult(store, b.Date, b.BankId, b.BrokerId)
	if !ok || r.Status != custodyv1.ReconStatus_RECON_STATUS_BREAK {
		return ErrUnknownBreak.Wrapf("%d %s/%s", b.Date, b.BankId, b.BrokerId)
	}
	if r.ResolvedBy != "" {
		return ErrBreakResolved.Wrapf("%d %s/%s by %s", b.Date, b.BankId, b.BrokerId, r.ResolvedBy)
	}
	return nil
}

// Propose records a pending adjustment. Checks, in order: the id is
// unused, the signer is a party of the break, the break exists and is
// open, it has no pending adjustment, every leg's account is an active
// client of the break's bank and broker. Writes: the adjustment and the
// break index.
func Propose(ctx *contracts.Context, m *custodyv1.MsgProposeAdjustment) ([]byte, error) {
	if ctx.Store.Has(Key(m.AdjustmentId)) {
		return nil, ErrExists.Wrapf("%q", m.AdjustmentId)
	}
	b := m.Break
	counterparty, err := counterpartyOf(ctx.Signer, b)
	if err != nil {
		return nil, err
	}
	if err := openBreak(ctx.Store, b); err != nil {
		return nil, err
	}
	if id := ctx.Store.Get(BreakKey(b)); id != nil {
		return nil, ErrBreakTaken.Wrapf("%s", id)
	}
	var gross int64
	for _, l := range m.Legs {
		a, err := accounts.GetActive(ctx.Store, l.AccountId)
		if err != nil {
			return nil, err
		}
		if a.BrokerId != b.BrokerId || (b.Kind == custodyv1.BreakKind_BREAK_KIND_RECONCILIATION && a.BankId != b.BankId) {
			return nil, ErrLegOutsideBreak.Wrapf("%s is %s/%s", a.Id, a.BankId, a.BrokerId)
		}
		gross += abs(l.Amount)
	}
	adj := &custodyv1.Adjustment{
		Id: m.AdjustmentId, Break: b, Legs: m.Legs, NetBoundary: m.NetBoundary, Reason: m.Reason,
		Proposer: ctx.Signer.Owner, Counterparty: counterparty,
		Status: custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_PENDING, Gross: gross,
		RegulatorRequired: gross > GetParams(ctx.Store).RegulatorThreshold,
		ProposedHeight:    ctx.Block.Height, ProposedTime: ctx.Block.UnixNano(),
	}
	ctx.Store.Set(BreakKey(b), []byte(adj.Id))
	ctx.Emit("adjustment_proposed", "adjustment_id", adj.Id, "proposer", adj.Proposer, "counterparty", counterparty,
		"date", fmt.Sprint(b.Date), "bank_id", b.BankId, "broker_id", b.BrokerId,
		"gross", fmt.Sprint(gross), "net_boundary", fmt.Sprint(m.NetBoundary), "regulator_required", fmt.Sprint(adj.RegulatorRequired))
	return set(ctx.Store, adj), nil
}

// Approve adds the signer's approval: the counterparty's, or the
// regulator's co-signature (only where required). When every required
// signature is in, the legs apply and the break is resolved.
func Approve(ctx *contracts.Context, m *custodyv1.MsgApproveAdjustment) ([]byte, error) {
	adj, err := Get(ctx.Store, m.AdjustmentId)
	if err != nil {
		return nil, err
	}
	if adj.Status != custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_PENDING {
		return nil, ErrNotPending.Wrapf("%s is %s", adj.Id, adj.Status)
	}
	s := ctx.Signer
	switch {
	case s.Role == custodyv1.Role_ROLE_REGULATOR:
		if !adj.RegulatorRequired {
			return nil, ErrRegulatorOnlyCo.Wrapf("%s: gross %d", adj.Id, adj.Gross)
		}
		if adj.RegulatorApprovedBy != "" {
			return nil, ErrAlreadyApproved.Wrapf("%s by %s", adj.Id, adj.RegulatorApprovedBy)
		}
		adj.RegulatorApprovedBy = s.Owner
	case s.Owner == adj.Proposer || (s.Role == custodyv1.Role_ROLE_CLEARING_HOUSE && adj.Counterparty != clearingHouseParty &&
		adj.Break.Kind == custodyv1.BreakKind_BREAK_KIND_SETTLEMENT):
		return nil, ErrOwnProposal.Wrapf("%s", adj.Id)
	default:
		if !isCounterparty(s, adj) {
			return nil, ErrNotParty.Wrapf("%s is not the counterparty %s", s.Owner, adj.Counterparty)
		}
		if adj.CounterpartyApprovedBy != "" {
			return nil, ErrAlreadyApproved.Wrapf("%s by %s", adj.Id, adj.CounterpartyApprovedBy)
		}
		adj.CounterpartyApprovedBy = s.Owner
	}
	ctx.Emit("adjustment_approved", "adjustment_id", adj.Id, "by", s.Owner)
	if adj.CounterpartyApprovedBy != "" && (!adj.RegulatorRequired || adj.RegulatorApprovedBy != "") {
		if err := apply(ctx, adj); err != nil {
			return nil, err
		}
	}
	return set(ctx.Store, adj), nil
}

// apply moves the legs' money and resolves the break. Every debit is
// checked against its account's available funds before anything is
// written.
func apply(ctx *contracts.Context, adj *custodyv1.Adjustment) error {
	// A settlement break may have been resolved meanwhile by a corrected
	// trade file: then this adjustment can only be rejected.
	if err := openBreak(ctx.Store, adj.Break); err != nil {
		return err
	}
	holders := make([]funds.Holder, len(adj.Legs))
	for i, l := range adj.Legs {
		a, err := accounts.GetActive(ctx.Store, l.AccountId)
		if err != nil {
			return err
		}
		holders[i] = accounts.Holder(a)
		if f := funds.Get(ctx.Store, a.Id); l.Amount < 0 && -l.Amount > f.Available {
			return funds.ErrInsufficient.Wrapf("adjustment %s takes %d from %s, %d available", adj.Id, -l.Amount, a.Id, f.Available)
		}
	}
	ref := Ref(adj.Id)
	b := adj.Break
	move := funds.Adjust
	if b.Kind == custodyv1.BreakKind_BREAK_KIND_SETTLEMENT {
		move = funds.AdjustAgainstClearing
	}
	for i, l := range adj.Legs {
		if err := move(ctx, holders[i], l.Amount, ref); err != nil {
			return err // overflow of a credit: the whole tx is dropped
		}
	}
	if b.Kind == custodyv1.BreakKind_BREAK_KIND_SETTLEMENT {
		clearing.ResolveBreak(ctx, b.Date, b.BrokerId, ref)
	} else {
		reconcile.MarkResultResolved(ctx, b.Date, b.BankId, b.BrokerId, ref)
		// The statement's item breaks (checks 1 and 2, filed from the
		// same statement) are what the legs corrected: resolve each.
		for _, check := range []custodyv1.ReconCheckKind{custodyv1.ReconCheckKind_RECON_CHECK_TOTAL, custodyv1.ReconCheckKind_RECON_CHECK_CLIENTS} {
			for _, rb := range openItemBreaks(ctx.Store, b, check) {
				id := reconcile.BreakID{Date: rb.Date, Counterparty: rb.CounterpartyId, Broker: rb.BrokerId, Check: rb.Check, Item: rb.ItemKey}
				if err := reconcile.MarkResolved(ctx, id, ref); err != nil {
					return err
				}
			}
		}
	}
	adj.Status = custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_APPLIED
	adj.ClosedHeight, adj.ClosedTime = ctx.Block.Height, ctx.Block.UnixNano()
	ctx.Emit("adjustment_applied", "adjustment_id", adj.Id, "gross", fmt.Sprint(adj.Gross),
		"net_boundary", fmt.Sprint(adj.NetBoundary), "resolves", fmt.Sprintf("%d %s/%s", b.Date, b.BankId, b.BrokerId))
	return nil
}

// Reject ends a pending adjustment without effect: the regulator's veto,
// the counterparty's rejection or the proposer's withdrawal. Writes: the
// adjustment; the break is free for another proposal.
func Reject(ctx *contracts.Context, m *custodyv1.MsgRejectAdjustment) ([]byte, error) {
	adj, err := Get(ctx.Store, m.AdjustmentId)
	if err != nil {
		return nil, err
	}
	if adj.Status != custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_PENDING {
		return nil, ErrNotPending.Wrapf("%s is %s", adj.Id, adj.Status)
	}
	s := ctx.Signer
	switch {
	case s.Role == custodyv1.Role_ROLE_REGULATOR:
		adj.Status = custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_VETOED
	default:
		if _, err := counterpartyOf(s, adj.Break); err != nil {
			return nil, err
		}
		adj.Status = custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_REJECTED
	}
	adj.ClosedBy, adj.CloseReason = s.Owner, m.Reason
	adj.ClosedHeight, adj.ClosedTime = ctx.Block.Height, ctx.Block.UnixNano()
	ctx.Store.Delete(BreakKey(adj.Break))
	ctx.Emit("adjustment_closed", "adjustment_id", adj.Id, "status", adj.Status.String(), "by", s.Owner, "reason", m.Reason)
	return set(ctx.Store, adj), nil
}

// openItemBreaks lists the unresolved item breaks of one check of the
// break's (date, bank, broker), in key order.
func openItemBreaks(store contracts.Store, b *custodyv1.BreakRef, check custodyv1.ReconCheckKind) []*custodyv1.ReconBreak {
	prefix := reconcile.ItemBreaksPrefix(b.Date, b.BankId, b.BrokerId, check)
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []*custodyv1.ReconBreak
	for ; it.Valid(); it.Next() {
		var rb custodyv1.ReconBreak
		contracts.Unmarshal(it.Key(), it.Value(), &rb)
		if !rb.Resolved {
			out = append(out, &rb)
		}
	}
	return out
}

func abs(x int64) int64 {
	if x < 0 {
		if x == math.MinInt64 {
			return math.MaxInt64
		}
		return -x
	}
	return x
}

// Invariants of the adjustments contract.
func Invariants() []contracts.Invariant {
	return []contracts.Invariant{{Name: "adjustments/linked", Check: checkLinked}}
}

// checkLinked: each pending or applied adjustment holds its break's index
// entry and no other does; each applied one's break names it as resolved;
// legs sum to net_boundary and gross is Σ |legs|.
func checkLinked(store contracts.Store) (string, bool) {
	n, open := 0, 0
	var bad string
	ForEach(store, func(a *custodyv1.Adjustment) {
		n++
		if bad != "" {
			return
		}
		var net, gross int64
		for _, l := range a.Legs {
			net += l.Amount
			gross += abs(l.Amount)
		}
		live := a.Status == custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_PENDING || a.Status == custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_APPLIED
		idx := store.Get(BreakKey(a.Break))
		switch {
		case net != a.NetBoundary || gross != a.Gross:
			bad = fmt.Sprintf("adjustment %s: legs net %d gross %d, recorded %d and %d", a.Id, net, gross, a.NetBoundary, a.Gross)
		case live && string(idx) != a.Id:
			bad = fmt.Sprintf("adjustment %s is %s but its break indexes %q", a.Id, a.Status, idx)
		case !live && string(idx) == a.Id:
			bad = fmt.Sprintf("adjustment %s is %s but still holds its break", a.Id, a.Status)
		}
		if live {
			open++
		}
		if bad == "" && a.Status == custodyv1.AdjustmentStatus_ADJUSTMENT_STATUS_APPLIED {
			var by string
			if a.Break.Kind == custodyv1.BreakKind_BREAK_KIND_SETTLEMENT {
				sb, _ := clearing.GetBreak(store, a.Break.Date, a.Break.BrokerId)
				by = sb.GetResolvedBy()
			} else {
				r, _ := reconcile.GetResult(store, a.Break.Date, a.Break.BankId, a.Break.BrokerId)
				by = r.GetResolvedBy()
			}
			if by != Ref(a.Id) {
				bad = fmt.Sprintf("adjustment %s is applied but its break is not resolved by it", a.Id)
			}
		}
	})
	prefix := []byte{contracts.PrefixAdjustmentBreak}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	indexed := 0
	for ; it.Valid(); it.Next() {
		indexed++
	}
	if bad == "" && indexed != open {
		bad = fmt.Sprintf("%d breaks indexed, %d pending or applied adjustments", indexed, open)
	}
	if bad != "" {
		return bad, true
	}
	return fmt.Sprintf("%d adjustments, %d pending or applied, each holding its break", n, open), false
}
