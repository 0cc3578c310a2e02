package ledger_test

import (
	"testing"

	"github.com/custody-ledger/custody/abci/store"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/governance"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/contracts/participants"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Membership and upgrades by proposal (contracts/governance). The test
// network has six institutions of power 10 each (total 60): passing needs
// more than 40 and the regulator.

func propose(id string, change func(*custodyv1.MsgSubmitProposal)) *custodyv1.Msg {
	m := &custodyv1.MsgSubmitProposal{Id: id, Title: "test " + id}
	change(m)
	return &custodyv1.Msg{Sum: &custodyv1.Msg_SubmitProposal{SubmitProposal: m}}
}

func addParticipant(p *custodyv1.Participant) func(*custodyv1.MsgSubmitProposal) {
	return func(m *custodyv1.MsgSubmitProposal) {
		m.Change = &custodyv1.MsgSubmitProposal_AddParticipant{AddParticipant: p}
	}
}

func removeParticipant(id string) func(*custodyv1.MsgSubmitProposal) {
	return func(m *custodyv1.MsgSubmitProposal) {
		m.Change = &custodyv1.MsgSubmitProposal_RemoveParticipant{RemoveParticipant: id}
	}
}

func setPower(id string, power int64) func(*custodyv1.MsgSubmitProposal) {
	return func(m *custodyv1.MsgSubmitProposal) {
		m.Change = &custodyv1.MsgSubmitProposal_SetValidatorPower{SetValidatorPower: &custodyv1.ValidatorPowerChange{ParticipantId: id, Power: power}}
	}
}

func upgrade(name string, height int64) func(*custodyv1.MsgSubmitProposal) {
	return func(m *custodyv1.MsgSubmitProposal) {
		m.Change = &custodyv1.MsgSubmitProposal_SoftwareUpgrade{SoftwareUpgrade: &custodyv1.UpgradePlan{Name: name, Height: height, Info: "v2 binary"}}
	}
}

func vote(id string, approve bool) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_VoteProposal{VoteProposal: &custodyv1.MsgVoteProposal{ProposalId: id, Approve: approve}}}
}

func (e *env) proposal(id string) *custodyv1.Proposal {
	e.t.Helper()
	p, err := governance.Get(e.mem, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// endBlock does what the abci package does after a block's txs.
func (e *env) endBlock() []governance.ValidatorUpdate {
	governance.ExpireProposals(e.mem, e.height)
	return governance.TakeValidatorUpdates(e.mem)
}

// pass has every institution but the regulator approve, then the regulator.
func (e *env) pass(id string, voters ...contracts.Signer) {
	e.t.Helper()
	for _, s := range voters {
		e.must(s, vote(id, true))
	}
	e.must(sRegulator, vote(id, true))
	if p := e.proposal(id); p.Status != custodyv1.ProposalStatus_PROPOSAL_STATUS_EXECUTED {
		e.t.Fatalf("%s: %s (%s)", id, p.Status, p.Failure)
	}
}

func newBank(id string) *custodyv1.Participant {
	return &custodyv1.Participant{Id: id, Role: custodyv1.Role_ROLE_BANK, Name: id,
		PubKeys: [][]byte{pubKey(id)}, ValidatorPower: 10, ValidatorPubKey: pubKey("validator " + id)}
}

func TestAddParticipantNeedsTwoThirdsAndTheRegulator(t *testing.T) {
	e := newEnv(t)
	e.must(sBankA, propose("add-bank-c", addParticipant(newBank("bank-c"))))
	for _, s := range []contracts.Signer{sBankB, sBrokerX, sBrokerY, sClearing} {
		e.must(s, vote("add-bank-c", true))
	}
	// 50 of 60 approve, but not the regulator: still open.
	p := e.proposal("add-bank-c")
	if p.Status != custodyv1.ProposalStatus_PROPOSAL_STATUS_OPEN || p.YesPower != 50 || p.TotalPower != 60 {
		t.Fatalf("without the regulator: %v yes %d of %d", p.Status, p.YesPower, p.TotalPower)
	}
	if _, err := participants.Get(e.mem, "bank-c"); err == nil {
		t.Fatal("bank-c added before the regulator approved")
	}
	e.must(sRegulator, vote("add-bank-c", true))
	p = e.proposal("add-bank-c")
	if p.Status != custodyv1.ProposalStatus_PROPOSAL_STATUS_EXECUTED || len(p.Votes) != 6 {
		t.Fatalf("after the regulator: %v, %d votes", p.Status, len(p.Votes))
	}
	// The new bank exists, signs, and validates from the end of the block.
	if _, err := participants.GetWithRole(e.mem, "bank-c", custodyv1.Role_ROLE_BANK); err != nil {
		t.Fatal(err)
	}
	if rec, err := auth.Get(e.mem, auth.Address(pubKey("bank-c"))); err != nil || rec.Owner != "bank-c" {
		t.Fatalf("bank-c key: %v %v", rec, err)
	}
	ups := e.endBlock()
	if len(ups) != 1 || string(ups[0].PubKey) != string(pubKey("validator bank-c")) || ups[0].Power != 10 {
		t.Fatalf("validator updates %+v", ups)
	}
	if again := e.endBlock(); len(again) != 0 {
		t.Fatalf("updates taken twice: %+v", again)
	}
	e.checkInvariants()
}

func TestProposalRefusals(t *testing.T) {
	e := newEnv(t)
	// Wrong role: a client may neither propose nor vote.
	_, err := e.exec(client("C1"), propose("p1", removeParticipant(brokerY)))
	wantCode(t, err, contracts.ErrUnauthorizedRole)

	e.must(sBankA, propose("p1", removeParticipant(brokerY)))
	_, err = e.exec(sBankA, propose("p1", removeParticipant(brokerY)))
	wantCode(t, err, governance.ErrProposalExists)
	_, err = e.exec(sBankA, vote("p1", true))
	wantCode(t, err, governance.ErrDuplicateVote)
	_, err = e.exec(sBankB, vote("nope", true))
	wantCode(t, err, governance.ErrNotFound)

	// Too few approvals: a third of the power says no, and it is rejected.
	e.must(sBankB, vote("p1", false))
	e.must(sBrokerX, vote("p1", false))
	if p := e.proposal("p1"); p.Status != custodyv1.ProposalStatus_PROPOSAL_STATUS_REJECTED {
		t.Fatalf("20 of 60 against: %v", p.Status)
	}
	_, err = e.exec(sClearing, vote("p1", true))
	wantCode(t, err, governance.ErrNotOpen)

	// Expiry: a proposal open for one block, voted on later.
	e.must(sBankA, propose("p2", func(m *custodyv1.MsgSubmitProposal) {
		removeParticipant(brokerY)(m)
		m.VotingBlocks = 1
	}))
	e.height += 2
	_, err = e.exec(sBankB, vote("p2", true))
	wantCode(t, err, governance.ErrExpired)
	e.endBlock()
	if p := e.proposal("p2"); p.Status != custodyv1.ProposalStatus_PROPOSAL_STATUS_EXPIRED {
		t.Fatalf("after its period: %v", p.Status)
	}

	// Malformed proposals.
	_, err = e.exec(sBankA, propose("Bad Id", removeParticipant(brokerY)))
	wantCode(t, err, governance.ErrBadProposal)
	_, err = e.exec(sBankA, propose("p3", func(*custodyv1.MsgSubmitProposal) {}))
	wantCode(t, err, governance.ErrBadProposal)
	_, err = e.exec(sBankA, propose("p3", removeParticipant("bank-zzz")))
	wantCode(t, err, governance.ErrUnknownMember)
	_, err = e.exec(sBankA, propose("p3", addParticipant(&custodyv1.Participant{Id: bankB, Role: custodyv1.Role_ROLE_BANK, PubKeys: [][]byte{pubKey("x")}})))
	wantCode(t, err, participants.ErrDuplicateID)
	e.checkInvariants()
}

func TestRemoveParticipant(t *testing.T) {
	e := newEnv(t)
	e.active("C1", bankA, sBrokerX, sBankA)
	// A broker (or its bank) with an open account stays.
	_, err := e.exec(sBankB, propose("rm-x", removeParticipant(brokerX)))
	wantCode(t, err, governance.ErrOpenAccounts)
	_, err = e.exec(sBankB, propose("rm-a", removeParticipant(bankA)))
	wantCode(t, err, governance.ErrOpenAccounts)
	// The only regulator stays.
	_, err = e.exec(sBankB, propose("rm-reg", removeParticipant(regulator)))
	wantCode(t, err, governance.ErrLastRegulator)

	// A broker with no open account goes: its keys stop signing.
	e.must(sBankA, propose("rm-y", removeParticipant(brokerY)))
	e.pass("rm-y", sBankB, sBrokerX, sClearing)
	if _, err := participants.Get(e.mem, brokerY); err == nil {
		t.Fatal("broker-y still a participant")
	}
	if _, err := e.keySigner(brokerY); err == nil {
		t.Fatal("broker-y's key still signs")
	}
	if !e.mem.Has(governance.RemovedKey(brokerY)) {
		t.Fatal("no record of the removal")
	}
	e.endBlock()
	// Its id cannot come back as a new institution.
	_, err = e.exec(sBankA, propose("re-y", addParticipant(&custodyv1.Participant{Id: brokerY, Role: custodyv1.Role_ROLE_BROKER, PubKeys: [][]byte{pubKey("y2")}})))
	wantCode(t, err, governance.ErrRemovedID)
	e.checkInvariants()
}

// keyedGenesis is genesis() with a consensus key for every participant.
func keyedGenesis() *custodyv1.GenesisState {
	gen := genesis()
	for _, p := range gen.Participants {
		p.ValidatorPubKey = pubKey("validator " + p.Id)
	}
	return gen
}

func TestValidatorSafety(t *testing.T) {
	e := envWith(t, keyedGenesis())
	// 10 → 40 moves 30 of 60: more than a third.
	_, err := e.exec(sBankA, propose("big", setPower(bankA, 40)))
	wantCode(t, err, governance.ErrUnsafePower)
	_, err = e.exec(sBankA, propose("same", setPower(bankA, 10)))
	wantCode(t, err, governance.ErrNothingToChange)
	// A participant without a consensus key cannot get power.
	gen := keyedGenesis()
	gen.Participants[0].ValidatorPower = 0
	gen.Participants[0].ValidatorPubKey = nil
	e2 := envWith(t, gen)
	_, err = e2.exec(sBankB, propose("nokey", setPower(bankA, 5)))
	wantCode(t, err, governance.ErrNoValidatorKey)
	// A participant with no power does not vote.
	e2.must(sBankB, propose("p", setPower(bankB, 15)))
	_, err = e2.exec(sBankA, vote("p", true))
	wantCode(t, err, governance.ErrNoVotingPower)

	// One validator only: it cannot go, nor drop to 0.
	solo := genesis()
	for _, p := range solo.Participants {
		p.ValidatorPower = 0
	}
	solo.Participants[4].ValidatorPower = 10 // the regulator
	e3 := envWith(t, solo)
	_, err = e3.exec(sRegulator, propose("rm", removeParticipant(regulator)))
	wantCode(t, err, governance.ErrLastRegulator)
	_, err = e3.exec(sRegulator, propose("zero", setPower(regulator, 0)))
	wantCode(t, err, governance.ErrUnsafePower)
	// The regulator holding all the power passes alone.
	e3.must(sRegulator, propose("rm-y", removeParticipant(brokerY)))
	if p := e3.proposal("rm-y"); p.Status != custodyv1.ProposalStatus_PROPOSAL_STATUS_EXECUTED {
		t.Fatalf("sole validator's proposal: %v", p.Status)
	}
	e3.checkInvariants()

	// Two changes in one block together may not move more than a third.
	e.must(sBankA, propose("up-a", setPower(bankA, 20)))
	e.pass("up-a", sBankB, sBrokerX, sClearing)
	// 10 moved already; 15 more makes 25 of 70.
	_, err = e.exec(sBankA, propose("up-b", setPower(bankB, 25)))
	wantCode(t, err, governance.ErrUnsafePower)
	if ups := e.endBlock(); len(ups) != 1 || ups[0].Power != 20 {
		t.Fatalf("updates %+v", ups)
	}
	e.checkInvariants()
}

func TestUpgradePlan(t *testing.T) {
	e := newEnv(t)
	_, err := e.exec(sBankA, propose("u0", upgrade("v2", 1)))
	wantCode(t, err, governance.ErrPlanTooSoon)
	_, err = e.exec(sBankA, propose("u0", upgrade("V2!", 100)))
	wantCode(t, err, governance.ErrBadPlan)
	e.must(sBankA, propose("u1", upgrade("v2", 100)))
	e.pass("u1", sBankB, sBrokerX, sClearing)
	if p := governance.GetPlan(e.mem); p == nil || p.Name != "v2" || p.Height != 100 {
		t.Fatalf("plan %v", p)
	}
	_, err = e.exec(sBankA, propose("u2", upgrade("v3", 200)))
	wantCode(t, err, governance.ErrPlanExists)
	_, err = e.exec(sBankA, propose("c0", func(m *custodyv1.MsgSubmitProposal) {
		m.Change = &custodyv1.MsgSubmitProposal_CancelUpgrade{CancelUpgrade: "v9"}
	}))
	wantCode(t, err, governance.ErrNoPlan)
	governance.MarkApplied(e.mem, governance.GetPlan(e.mem), 2)
	if governance.GetPlan(e.mem) != nil || governance.AppVersion(e.mem) != 2 {
		t.Fatal("applied plan still scheduled")
	}
	_, err = e.exec(sBankA, propose("u3", upgrade("v2", 300)))
	wantCode(t, err, governance.ErrPlanApplied)
	e.checkInvariants()
}

func envWith(t *testing.T, gen *custodyv1.GenesisState) *env {
	t.Helper()
	e := &env{t: t, mem: store.NewMem(), router: ledger.NewRouter(), height: 1}
	if err := ledger.InitGenesis(e.mem, gen); err != nil {
		t.Fatalf("genesis: %v", err)
	}
	return e
}
