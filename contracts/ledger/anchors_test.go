package ledger_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/ledger"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// TestAnchors_RoutedQueriedAndChecked: the ledger routes the anchoring
// messages, answers the anchors queries and runs the anchors invariants.
// The contract itself is tested in contracts/anchors.
func TestAnchors_RoutedQueriedAndChecked(t *testing.T) {
	e := newEnv(t)
	gen := &custodyv1.GenesisState{Calendar: alwaysOpen(), Participants: []*custodyv1.Participant{
		{Id: "risk-1", Role: custodyv1.Role_ROLE_RISK_OPERATOR, Name: "risk", PubKeys: [][]byte{pubKey("risk-1")}},
	}}
	if err := ledger.InitGenesis(e.mem, gen); err != nil {
		t.Fatal(err)
	}
	op := contracts.Signer{Address: auth.Address(pubKey("risk-1")), Role: custodyv1.Role_ROLE_RISK_OPERATOR, Owner: "risk-1"}
	e.must(op, &custodyv1.Msg{Sum: &custodyv1.Msg_AnchorRuleParams{AnchorRuleParams: &custodyv1.MsgAnchorRuleParams{
		Version: 1, ParamsHash: hash32("params"), ChangedBy: "ops"}}})
	for seq := uint64(1); seq <= 3; seq++ {
		e.must(op, &custodyv1.Msg{Sum: &custodyv1.Msg_AnchorAlertBatch{AnchorAlertBatch: &custodyv1.MsgAnchorAlertBatch{
			Seq: seq, FirstSeq: 10*seq - 9, LastSeq: 10 * seq, Count: 10, Root: hash32("root"), ParamsHash: hash32("params"),
		}}})
	}
	e.checkInvariants()
	ok := map[string]string{
		"anchor/risk-1/2":               `"first_seq":"11"`,
		"anchors/risk-1":                `"changed_by":"ops"`,
		"anchors/risk-1?from=3":         `"seq":"3"`,
		"anchors/nobody":                `"batches":[],"last_params":null`,
		"invariants":                    `"name":"anchors/batches-consecutive","broken":false`,
		"anchors/risk-1?from=2&limit=1": `"last_seq":"20"`,
	}
	for path, want := range ok {
		out, err := ledger.Query(e.mem, auditor, path, nil)
		if err != nil || !json.Valid(out) || !strings.Contains(string(out), want) {
			t.Errorf("%s: %s, %v; want it to contain %s", path, out, err, want)
		}
	}
	out, _ := ledger.Query(e.mem, auditor, "anchors/risk-1?from=2&limit=1", nil)
	var page struct{ Batches []json.RawMessage }
	if json.Unmarshal(out, &page) != nil || len(page.Batches) != 1 {
		t.Errorf("page of one: %s", out)
	}
	bad := map[string]error{
		"anchor/risk-1/9":     ledger.ErrNotFound,
		"anchor/risk-1":       ledger.ErrBadQuery,
		"anchor/risk-1/x":     ledger.ErrBadQuery,
		"anchors/":            ledger.ErrBadQuery,
		"anchors/r?limit=bad": ledger.ErrBadQuery,
	}
	for path, want := range bad {
		if _, err := ledger.Query(e.mem, auditor, path, nil); !errors.Is(err, want) {
			t.Errorf("%s: got %v, want %v", path, err, want)
		}
	}
}
