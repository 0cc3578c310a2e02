package governance

import (
	"encoding/binary"
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/participants"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// The safety rule for validator changes. CometBFT needs more than two
// thirds of the power to commit, and its light clients trust a new set
// when more than a third of the power they trust signed it. So a change
// may not move more than a third of the current total power at once (the
// sum, in one block, of |new power - old power| over every validator
// changed: MaxMoveNumerator/MaxMoveDenominator of the total), and may not
// leave a total of zero. Adding a fifth validator of the same power to
// four moves a quarter; removing one of four moves a quarter; doubling one
// of four moves a quarter. Bigger changes are made in steps, a block or
// more apart.
const (
	MaxMoveNumerator   = 1
	MaxMoveDenominator = 3
)

// movedKey holds the power moved by the changes queued in this block (the
// queue's own prefix with no suffix; TakeValidatorUpdates clears it).
var movedKey = []byte{contracts.PrefixValidatorUpdate}

// CheckChange refuses a change that could not be applied to store at
// height. Submit runs it so that a hopeless proposal is refused at once,
// and apply runs it again when the proposal passes.
func CheckChange(store contracts.Store, m *custodyv1.MsgSubmitProposal, height int64) error {
	switch c := m.Change.(type) {
	case *custodyv1.MsgSubmitProposal_AddParticipant:
		p := c.AddParticipant
		if store.Has(RemovedKey(p.Id)) {
			return ErrRemovedID.Wrapf("%q was removed; a new institution takes a new id", p.Id)
		}
		if err := participants.CheckNew(store, p); err != nil {
			return err
		}
		return checkMove(store, p.ValidatorPower)
	case *custodyv1.MsgSubmitProposal_RemoveParticipant:
		return checkRemove(store, c.RemoveParticipant)
	case *custodyv1.MsgSubmitProposal_SetValidatorPower:
		ch := c.SetValidatorPower
		p, err := participants.Get(store, ch.ParticipantId)
		if err != nil {
			return ErrUnknownMember.Wrapf("%q", ch.ParticipantId)
		}
		if ch.Power > 0 && len(p.ValidatorPubKey) == 0 {
			return ErrNoValidatorKey.Wrapf("%s has no consensus key; propose it again as a new participant", p.Id)
		}
		if ch.Power == p.ValidatorPower {
			return ErrNothingToChange.Wrapf("%s already has power %d", p.Id, p.ValidatorPower)
		}
		if participants.TotalPower(store)-p.ValidatorPower+ch.Power <= 0 {
			return ErrUnsafePower.Wrapf("the total voting power would be 0")
		}
		return checkMove(store, abs(ch.Power-p.ValidatorPower))
	case *custodyv1.MsgSubmitProposal_SoftwareUpgrade:
		return CheckPlan(store, c.SoftwareUpgrade, height)
	case *custodyv1.MsgSubmitProposal_CancelUpgrade:
		plan := GetPlan(store)
		if plan == nil || plan.Name != c.CancelUpgrade {
			return ErrNoPlan.Wrapf("no plan %q is scheduled", c.CancelUpgrade)
		}
		return nil
	}
	return ErrBadProposal.Wrapf("no change proposed")
}

// checkRemove: the participant exists; the network keeps a regulator and a
// validator; a bank or broker has no live (pending or active) account; the
// power it takes away obeys the safety rule.
func checkRemove(store contracts.Store, id string) error {
	p, err := participants.Get(store, id)
	if err != nil {
		return ErrUnknownMember.Wrapf("%q", id)
	}
	var regulators int
	var otherPower int64
	for _, q := range participants.All(store) {
		if q.Role == custodyv1.Role_ROLE_REGULATOR {
			regulators++
		}
		if q.Id != id {
			otherPower += q.ValidatorPower
		}
	}
	if p.Role == custodyv1.Role_ROLE_REGULATOR && regulators == 1 {
		return ErrLastRegulator.Wrapf("%s is the only regulator", id)
	}
	if p.ValidatorPower > 0 && otherPower == 0 {
		return ErrOnlyValidator.Wrapf("%s holds all the voting power", id)
	}
	if n := liveAccounts(store, p); n != "" {
		return ErrOpenAccounts.Wrapf("%s: account %s is not closed (close or move every account first)", id, n)
	}
	return checkMove(store, p.ValidatorPower)
}

// liveAccounts is the id of one pending or active account of p (its broker
// or its custody bank), or "".
func liveAccounts(store contracts.Store, p *custodyv1.Participant) string {
	if p.Role != custodyv1.Role_ROLE_BROKER && p.Role != custodyv1.Role_ROLE_BANK {
		return ""
	}
	found := ""
	accounts.ForEach(store, func(a *custodyv1.Account) {
		if found != "" || (a.BrokerId != p.Id && a.BankId != p.Id) {
			return
		}
		if a.Status == custodyv1.AccountStatus_ACCOUNT_STATUS_PENDING || a.Status == custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE {
			found = a.Id
		}
	})
	return found
}

// checkMove applies the safety rule to a change moving delta power, on top
// of what this block's earlier changes moved.
func checkMove(store contracts.Store, delta int64) error {
	if delta == 0 {
		return nil
	}
	total := participants.TotalPower(store)
	moved := movedThisBlock(store) + delta
	if moved*MaxMoveDenominator > total*MaxMoveNumerator {
		return ErrUnsafePower.Wrapf("moves %d of the total power %d in one block; at most %d/%d may move at once",
			moved, total, MaxMoveNumerator, MaxMoveDenominator)
	}
	return nil
}

func movedThisBlock(store contracts.Store) int64 {
	bz := store.Get(movedKey)
	if bz == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(bz))
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// apply makes the passed proposal's change, after checking it again; on a
// refusal it writes nothing.
func apply(ctx *contracts.Context, p *custodyv1.Proposal) error {
	m := p.Change
	if err := CheckChange(ctx.Store, m, ctx.Block.Height); err != nil {
		return err
	}
	switch c := m.Change.(type) {
	case *custodyv1.MsgSubmitProposal_AddParticipant:
		np := c.AddParticipant
		if err := participants.Add(ctx.Store, np); err != nil {
			return err
		}
		queueValidator(ctx.Store, np.ValidatorPubKey, 0, np.ValidatorPower)
		ctx.Emit("participant_added", "participant_id", np.Id, "role", np.Role.String(),
			"validator_power", fmt.Sprint(np.ValidatorPower), "proposal_id", p.Id)
	case *custodyv1.MsgSubmitProposal_RemoveParticipant:
		old, err := participants.Remove(ctx.Store, c.RemoveParticipant, ctx.Block.Height)
		if err != nil {
			return err
		}
		ctx.Store.Set(RemovedKey(old.Id), contracts.Marshal(old))
		queueValidator(ctx.Store, old.ValidatorPubKey, old.ValidatorPower, 0)
		ctx.Emit("participant_removed", "participant_id", old.Id, "role", old.Role.String(), "proposal_id", p.Id)
	case *custodyv1.MsgSubmitProposal_SetValidatorPower:
		before, err := participants.Get(ctx.Store, c.SetValidatorPower.ParticipantId)
		if err != nil {
			return err
		}
		after, err := participants.SetValidatorPower(ctx.Store, before.Id, c.SetValidatorPower.Power)
		if err != nil {
			return err
		}
		queueValidator(ctx.Store, after.ValidatorPubKey, before.ValidatorPower, after.ValidatorPower)
		ctx.Emit("validator_power_changed", "participant_id", after.Id, "old_power", fmt.Sprint(before.ValidatorPower),
			"power", fmt.Sprint(after.ValidatorPower), "proposal_id", p.Id)
	case *custodyv1.MsgSubmitProposal_SoftwareUpgrade:
		ctx.Store.Set(PlanKey(), contracts.Marshal(c.SoftwareUpgrade))
		ctx.Emit("upgrade_scheduled", "name", c.SoftwareUpgrade.Name, "height", fmt.Sprint(c.SoftwareUpgrade.Height),
			"info", c.SoftwareUpgrade.Info, "proposal_id", p.Id)
	case *custodyv1.MsgSubmitProposal_CancelUpgrade:
		ctx.Store.Delete(PlanKey())
		ctx.Emit("upgrade_cancelled", "name", c.CancelUpgrade, "proposal_id", p.Id)
	}
	return nil
}

// queueValidator queues a validator update for this block's FinalizeBlock
// and counts the power it moves. A participant that neither was nor becomes
// a validator queues nothing.
func queueValidator(store contracts.Store, pk []byte, oldPower, newPower int64) {
	if oldPower == newPower || len(pk) == 0 {
		return
	}
	store.Set(validatorUpdateKey(pk), putInt64(newPower))
	store.Set(movedKey, putInt64(movedThisBlock(store)+abs(newPower-oldPower)))
}

// ValidatorUpdate is one change to CometBFT's validator set.
type ValidatorUpdate struct {
	PubKey []byte // ed25519, 32 bytes
	Power  int64  // 0 removes the validator
}

// TakeValidatorUpdates returns the validator updates queued in this block,
// ordered by key, and clears the queue. The abci package calls it once at
// the end of FinalizeBlock.
func TakeValidatorUpdates(store contracts.Store) []ValidatorUpdate {
	pre := []byte{contracts.PrefixValidatorUpdate}
	it := store.Iterator(pre, contracts.PrefixEnd(pre))
	var out []ValidatorUpdate
	var keys [][]byte
	for ; it.Valid(); it.Next() {
		k := it.Key()
		keys = append(keys, append([]byte(nil), k...))
		if len(k) == 1 {
			continue // movedKey
		}
		out = append(out, ValidatorUpdate{
			PubKey: append([]byte(nil), k[1:]...),
			Power:  int64(binary.BigEndian.Uint64(it.Value())),
		})
	}
	it.Close()
	for _, k := range keys {
		store.Delete(k)
	}
	return out
}

// ExpireProposals closes every open proposal whose voting period ended
// before height (expires_height < height), with an event each. The abci
// package calls it at the end of every FinalizeBlock.
func ExpireProposals(store contracts.Store, height int64) []contracts.Event {
	pre := []byte{contracts.PrefixOpenProposal}
	end := openKey(height, "") // every key whose expiry is below height
	it := store.Iterator(pre, end)
	var ids []string
	var keys [][]byte
	for ; it.Valid(); it.Next() {
		keys = append(keys, append([]byte(nil), it.Key()...))
		ids = append(ids, string(it.Key()[9:]))
	}
	it.Close()
	var evs []contracts.Event
	for i, id := range ids {
		store.Delete(keys[i])
		p, err := Get(store, id)
		if err != nil {
			panic(fmt.Sprintf("governance: open index names missing proposal %q", id))
		}
		p.Status = custodyv1.ProposalStatus_PROPOSAL_STATUS_EXPIRED
		p.DecidedHeight = height
		store.Set(ProposalKey(id), contracts.Marshal(p))
		evs = append(evs, contracts.Event{Type: "proposal_expired", Attrs: []contracts.EventAttr{{Key: "proposal_id", Value: id}}})
	}
	return evs
}
