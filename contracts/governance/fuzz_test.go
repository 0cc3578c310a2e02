package governance_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/governance"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Every refusal of a proposal's stateless check is a registered code, it
// never panics, and a message validates as its re-encoding does.
func FuzzValidateSubmit(f *testing.F) {
	f.Add(contracts.Marshal(&custodyv1.MsgSubmitProposal{Id: "add-bank-2", Title: "t",
		Change: &custodyv1.MsgSubmitProposal_AddParticipant{AddParticipant: &custodyv1.Participant{Id: "bank-2"}}}))
	f.Add(contracts.Marshal(&custodyv1.MsgSubmitProposal{Id: "u", Title: "t", VotingBlocks: 10,
		Change: &custodyv1.MsgSubmitProposal_SoftwareUpgrade{SoftwareUpgrade: &custodyv1.UpgradePlan{Name: "v2", Height: 9}}}))
	f.Add(contracts.Marshal(&custodyv1.MsgSubmitProposal{Id: "p", Title: "t",
		Change: &custodyv1.MsgSubmitProposal_SetValidatorPower{SetValidatorPower: &custodyv1.ValidatorPowerChange{ParticipantId: "x", Power: -1}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m custodyv1.MsgSubmitProposal
		if proto.Unmarshal(data, &m) != nil {
			return
		}
		err := governance.ValidateSubmit(&m)
		var coded *contracts.Error
		if err != nil && !errors.As(err, &coded) {
			t.Fatalf("unregistered refusal %v", err)
		}
		var again custodyv1.MsgSubmitProposal
		if proto.Unmarshal(contracts.Marshal(&m), &again) != nil || (governance.ValidateSubmit(&again) == nil) != (err == nil) {
			t.Fatalf("re-encoded proposal validates differently: %v", err)
		}
	})
}
