// Package governance changes who runs the network after genesis: a
// participant added or removed, a validator's power changed, a software
// upgrade planned or cancelled. One institution proposes
// (MsgSubmitProposal, which is also its yes vote); institutions vote
// (MsgVoteProposal); the change takes effect in the tx whose vote makes the
// yes votes hold more than two thirds of the total voting power with at least
// one regulator among them. Every step is an event and the proposal record
// (PrefixProposal), which every institution may read, keeps every vote.
//
// Voting power is the participants' validator power, as it stands when the
// votes are counted: a vote is recounted at its voter's current power (0
// once removed), so a proposal that passes always had more than two thirds
// of the power of the network it changes.
//
// Validator changes reach CometBFT through FinalizeBlock: the change queues a
// validator update (PrefixValidatorUpdate), and the abci package takes the
// queue at the end of the block (TakeValidatorUpdates) and returns it;
// CometBFT applies it at height H+2. A software upgrade plan is kept
// (PrefixUpgradePlan) until the abci package halts at its height or runs its
// migration (upgrade.go).
package governance

import (
	"fmt"
	"regexp"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/participants"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Codespace of this contract's refusals.
const Codespace = "governance"

var (
	ErrBadProposal     = Register(1, "malformed proposal")
	ErrProposalExists  = Register(2, "proposal id already used")
	ErrNotFound        = Register(3, "proposal not found")
	ErrNotOpen         = Register(4, "proposal is no longer open")
	ErrExpired         = Register(5, "proposal's voting period has ended")
	ErrDuplicateVote   = Register(6, "institution has already voted on this proposal")
	ErrNoVotingPower   = Register(7, "institution holds no voting power")
	ErrOpenAccounts    = Register(8, "participant still has open accounts")
	ErrLastRegulator   = Register(9, "the network would have no regulator")
	ErrOnlyValidator   = Register(10, "participant is the only validator")
	ErrUnsafePower     = Register(11, "validator change would leave the set unable to make progress")
	ErrNoValidatorKey  = Register(12, "participant has no validator key")
	ErrUnknownMember   = Register(13, "no such participant")
	ErrNothingToChange = Register(14, "the change changes nothing")
	ErrRemovedID       = Register(15, "participant id belonged to a removed participant")
)

// Register registers a refusal in this codespace.
func Register(code uint32, msg string) *contracts.Error {
	return contracts.Register(Codespace, code, msg)
}

const (
	// DefaultVotingBlocks is how long a proposal stays open when it does not
	// say: about a day at one block a second.
	DefaultVotingBlocks = 86_400
	// MaxVotingBlocks bounds a proposal's voting period (about 30 days at
	// one block a second).
	MaxVotingBlocks = 30 * 86_400
	maxTitle        = 256
)

var proposalIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,47}$`)

// Voters are the roles that propose and vote: the institutions that run
// validators. Risk operators and clients do neither.
var Voters = []custodyv1.Role{custodyv1.Role_ROLE_BANK, custodyv1.Role_ROLE_BROKER,
	custodyv1.Role_ROLE_REGULATOR, custodyv1.Role_ROLE_CLEARING_HOUSE}

// Routes returns the contract's routes.
func Routes() []contracts.Route {
	return []contracts.Route{
		contracts.Handle("submit_proposal", Voters, ValidateSubmit, Submit),
		contracts.Handle("vote_proposal", Voters, ValidateVote, Vote),
	}
}

// MayRead says who may read proposals, votes and upgrade plans: every
// institution (the network's own constitution is no secret among its
// members); clients may not.
func MayRead(role custodyv1.Role) bool {
	return role != custodyv1.Role_ROLE_CLIENT && role != custodyv1.Role_ROLE_UNSPECIFIED
}

// ValidateSubmit checks a proposal without state.
func ValidateSubmit(m *custodyv1.MsgSubmitProposal) error {
	if !proposalIDPattern.MatchString(m.Id) {
		return ErrBadProposal.Wrapf("id %q must match %s", m.Id, proposalIDPattern)
	}
	if len(m.Title) == 0 || len(m.Title) > maxTitle {
		return ErrBadProposal.Wrapf("title of %d bytes, want 1 to %d", len(m.Title), maxTitle)
	}
	if m.VotingBlocks < 0 || m.VotingBlocks > MaxVotingBlocks {
		return ErrBadProposal.Wrapf("voting_blocks %d, want 0 to %d", m.VotingBlocks, MaxVotingBlocks)
	}
	switch c := m.Change.(type) {
	case *custodyv1.MsgSubmitProposal_AddParticipant:
		if c.AddParticipant == nil {
			return ErrBadProposal.Wrapf("add_participant is empty")
		}
	case *custodyv1.MsgSubmitProposal_RemoveParticipant:
		if c.RemoveParticipant == "" {
			return ErrBadProposal.Wrapf("remove_participant names no participant")
		}
	case *custodyv1.MsgSubmitProposal_SetValidatorPower:
		if c.SetValidatorPower == nil || c.SetValidatorPower.ParticipantId == "" {
			return ErrBadProposal.Wrapf("set_validator_power names no participant")
		}
		if c.SetValidatorPower.Power < 0 {
			return ErrBadProposal.Wrapf("negative power %d", c.SetValidatorPower.Power)
		}
	case *custodyv1.MsgSubmitProposal_SoftwareUpgrade:
		if err := ValidatePlan(c.SoftwareUpgrade); err != nil {
			return err
		}
	case *custodyv1.MsgSubmitProposal_CancelUpgrade:
		if !planNamePattern.MatchString(c.CancelUpgrade) {
			return ErrBadPlan.Wrapf("name %q must match %s", c.CancelUpgrade, planNamePattern)
		}
	default:
		return ErrBadProposal.Wrapf("no change proposed")
	}
	return nil
}

// ValidateVote checks a vote without state.
func ValidateVote(m *custodyv1.MsgVoteProposal) error {
	if !proposalIDPattern.MatchString(m.ProposalId) {
		return ErrBadProposal.Wrapf("proposal id %q must match %s", m.ProposalId, proposalIDPattern)
	}
	return nil
}

// Submit records a proposal and the proposer's yes vote. The change is
// checked against the state now (CheckChange), so a change that could not
// be applied is refused at once with its own code; it is checked again
// when it passes.
func Submit(ctx *contracts.Context, m *custodyv1.MsgSubmitProposal) ([]byte, error) {
	if ctx.Store.Has(ProposalKey(m.Id)) {
		return nil, ErrProposalExists.Wrapf("%q", m.Id)
	}
	proposer, err := participants.Get(ctx.Store, ctx.Signer.Owner)
	if err != nil {
		return nil, err
	}
	if err := CheckChange(ctx.Store, m, ctx.Block.Height); err != nil {
		return nil, err
	}
	blocks := m.VotingBlocks
	if blocks == 0 {
		blocks = DefaultVotingBlocks
	}
	p := &custodyv1.Proposal{
		Id: m.Id, Title: m.Title, Proposer: proposer.Id, Change: m,
		Status:       custodyv1.ProposalStatus_PROPOSAL_STATUS_OPEN,
		SubmitHeight: ctx.Block.Height, SubmitTime: ctx.Block.Time.Unix(),
		ExpiresHeight: ctx.Block.Height + blocks,
	}
	ctx.Store.Set(openKey(p.ExpiresHeight, p.Id), []byte{})
	ctx.Emit("proposal_submitted", "proposal_id", p.Id, "proposer", p.Proposer, "kind", Kind(m),
		"expires_height", fmt.Sprint(p.ExpiresHeight), "by", ctx.Signer.Address)
	if proposer.ValidatorPower > 0 {
		castVote(ctx, p, proposer, true)
	}
	tally(ctx, p)
	return contracts.Marshal(p), nil
}

// Vote records one institution's vote and, if it decides the proposal,
// applies (or closes) it.
func Vote(ctx *contracts.Context, m *custodyv1.MsgVoteProposal) ([]byte, error) {
	p, err := Get(ctx.Store, m.ProposalId)
	if err != nil {
		return nil, err
	}
	if p.Status != custodyv1.ProposalStatus_PROPOSAL_STATUS_OPEN {
		return nil, ErrNotOpen.Wrapf("%q is %s", p.Id, p.Status)
	}
	if ctx.Block.Height > p.ExpiresHeight {
		return nil, ErrExpired.Wrapf("%q was open until height %d", p.Id, p.ExpiresHeight)
	}
	voter, err := participants.Get(ctx.Store, ctx.Signer.Owner)
	if err != nil {
		return nil, err
	}
	for _, v := range p.Votes {
		if v.ParticipantId == voter.Id {
			return nil, ErrDuplicateVote.Wrapf("%s voted on %q at height %d", voter.Id, p.Id, v.Height)
		}
	}
	if voter.ValidatorPower == 0 {
		return nil, ErrNoVotingPower.Wrapf("%s runs no validator", voter.Id)
	}
	castVote(ctx, p, voter, m.Approve)
	tally(ctx, p)
	return contracts.Marshal(p), nil
}

func castVote(ctx *contracts.Context, p *custodyv1.Proposal, voter *custodyv1.Participant, approve bool) {
	p.Votes = append(p.Votes, &custodyv1.Vote{
		ParticipantId: voter.Id, Approve: approve, Power: voter.ValidatorPower,
		Height: ctx.Block.Height, By: ctx.Signer.Address,
	})
	ctx.Emit("proposal_vote", "proposal_id", p.Id, "participant_id", voter.Id,
		"approve", fmt.Sprint(approve), "power", fmt.Sprint(voter.ValidatorPower), "by", ctx.Signer.Address)
}

// tally recounts p's votes at the voters' current power and, if they
// decide it, applies or rejects it; it saves p either way.
//
// Passing needs yes·3 > total·2 and a regulator's yes: the same two-thirds
// CometBFT needs to commit a block, so a change to the validator set is
// agreed by a set that could itself commit it, and the regulator (who
// licenses every institution) cannot be outvoted on membership.
func tally(ctx *contracts.Context, p *custodyv1.Proposal) {
	powers := map[string]*custodyv1.Participant{}
	regulators := 0
	for _, q := range participants.All(ctx.Store) {
		powers[q.Id] = q
		if q.Role == custodyv1.Role_ROLE_REGULATOR {
			regulators++
		}
	}
	p.YesPower, p.NoPower, p.TotalPower = 0, 0, participants.TotalPower(ctx.Store)
	regulatorYes, regulatorNo := false, 0
	for _, v := range p.Votes {
		q := powers[v.ParticipantId]
		if q == nil {
			continue // removed since it voted
		}
		if v.Approve {
			p.YesPower += q.ValidatorPower
			regulatorYes = regulatorYes || q.Role == custodyv1.Role_ROLE_REGULATOR
		} else {
			p.NoPower += q.ValidatorPower
			if q.Role == custodyv1.Role_ROLE_REGULATOR {
				regulatorNo++
			}
		}
	}
	switch {
	case regulatorYes && 3*p.YesPower > 2*p.TotalPower:
		decide(ctx, p, custodyv1.ProposalStatus_PROPOSAL_STATUS_EXECUTED)
		if err := apply(ctx, p); err != nil {
			// Passed, but the state moved since it was proposed (say, the
			// broker opened an account): nothing changed, and the record
			// says why.
			p.Status = custodyv1.ProposalStatus_PROPOSAL_STATUS_FAILED
			space, code, log := contracts.ABCIInfo(err)
			p.Failure = fmt.Sprintf("%s/%d: %s", space, code, log)
			ctx.Emit("proposal_failed", "proposal_id", p.Id, "failure", p.Failure)
		} else {
			ctx.Emit("proposal_executed", "proposal_id", p.Id, "kind", Kind(p.Change))
		}
	case 3*p.NoPower >= p.TotalPower || (regulators > 0 && regulatorNo == regulators):
		decide(ctx, p, custodyv1.ProposalStatus_PROPOSAL_STATUS_REJECTED)
		ctx.Emit("proposal_rejected", "proposal_id", p.Id)
	}
	ctx.Store.Set(ProposalKey(p.Id), contracts.Marshal(p))
}

func decide(ctx *contracts.Context, p *custodyv1.Proposal, status custodyv1.ProposalStatus) {
	p.Status = status
	p.DecidedHeight = ctx.Block.Height
	ctx.Store.Delete(openKey(p.ExpiresHeight, p.Id))
}

// Kind names a proposal's change, as events and lists show it.
func Kind(m *custodyv1.MsgSubmitProposal) string {
	switch m.GetChange().(type) {
	case *custodyv1.MsgSubmitProposal_AddParticipant:
		return "add_participant"
	case *custodyv1.MsgSubmitProposal_RemoveParticipant:
		return "remove_participant"
	case *custodyv1.MsgSubmitProposal_SetValidatorPower:
		return "set_validator_power"
	case *custodyv1.MsgSubmitProposal_SoftwareUpgrade:
		return "software_upgrade"
	case *custodyv1.MsgSubmitProposal_CancelUpgrade:
		return "cancel_upgrade"
	}
	return "none"
}

// Get returns a proposal, or ErrNotFound.
func Get(store contracts.Store, id string) (*custodyv1.Proposal, error) {
	k := ProposalKey(id)
	bz := store.Get(k)
	if bz == nil {
		return nil, ErrNotFound.Wrapf("%q", id)
	}
	var p custodyv1.Proposal
	contracts.Unmarshal(k, bz, &p)
	return &p, nil
}

// All returns every proposal in id order.
func All(store contracts.Store) []*custodyv1.Proposal {
	pre := []byte{contracts.PrefixProposal}
	it := store.Iterator(pre, contracts.PrefixEnd(pre))
	defer it.Close()
	var out []*custodyv1.Proposal
	for ; it.Valid(); it.Next() {
		var p custodyv1.Proposal
		contracts.Unmarshal(it.Key(), it.Value(), &p)
		out = append(out, &p)
	}
	return out
}
