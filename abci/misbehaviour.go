package abci

import (
	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/evidence"
)

// recordMisbehaviour keeps the evidence a block commits (CometBFT verified
// it on every honest validator before the block could commit) as
// misbehaviour records (package evidence), before the block's txs, and
// returns the block's "misbehaviour" events. The order is the request's,
// the same on every node. A permissioned chain does not slash: the record
// is for the institutions and the regulator to act on.
func (a *App) recordMisbehaviour(working contracts.Store, block contracts.Block, list []abcitypes.Misbehavior) []abcitypes.Event {
	if len(list) == 0 {
		return nil
	}
	var evs []contracts.Event
	for _, m := range list {
		kind := "unknown"
		switch m.Type {
		case abcitypes.MisbehaviorType_DUPLICATE_VOTE:
			kind = evidence.KindDuplicateVote
		case abcitypes.MisbehaviorType_LIGHT_CLIENT_ATTACK:
			kind = evidence.KindLightClientAttack
		}
		ev := evidence.Record(working, block, evidence.Misbehaviour{
			Kind: kind, Height: m.Height, Time: m.Time, Address: m.Validator.Address,
			Power: m.Validator.Power, TotalPower: m.TotalVotingPower,
		})
		a.logger.Error("validator misbehaviour committed", "kind", kind, "height", m.Height,
			"validator", ev.Attrs[2].Value, "participant", ev.Attrs[3].Value, "committed_in", block.Height)
		evs = append(evs, ev)
	}
	return convertEvents(evs)
}
