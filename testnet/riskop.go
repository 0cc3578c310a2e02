package testnet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cometbft/cometbft/types"
	"google.golang.org/protobuf/encoding/protojson"

	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// ErrStarted is returned by AddRiskOperator for a testnet whose nodes have
// already started from their genesis.
var ErrStarted = errors.New("testnet: nodes already started; a participant can only join in genesis")

// AddRiskOperator adds a ROLE_RISK_OPERATOR participant with one fresh
// signing key to the genesis of a generated testnet that has not started
// yet, and keeps the key in DIR/<id>/keyring-test (the test backend). A risk
// operator runs no node: it signs anchoring txs from its risk core.
//
// The generator itself has no risk operators yet (the manifest lists banks,
// brokers, regulators and clearing houses); until it does, tests and demos
// that anchor alerts call this between Generate and the first start.
func (t *Testnet) AddRiskOperator(id string) (ParticipantKey, error) {
	for _, n := range t.Nodes {
		if _, err := os.Stat(filepath.Join(t.Home(n), "data", "blockstore.db")); err == nil {
			return ParticipantKey{}, ErrStarted
		}
	}
	pk, err := NewParticipantKey(id, custodyv1.Role_ROLE_RISK_OPERATOR, 0)
	if err != nil {
		return ParticipantKey{}, err
	}
	if len(t.Nodes) == 0 {
		return ParticipantKey{}, errors.New("testnet: no nodes")
	}
	gen, err := types.GenesisDocFromFile(filepath.Join(t.Home(t.Nodes[0]), "config", "genesis.json"))
	if err != nil {
		return ParticipantKey{}, fmt.Errorf("testnet: %w", err)
	}
	var app custodyv1.GenesisState
	if err := protojson.Unmarshal(gen.AppState, &app); err != nil {
		return ParticipantKey{}, fmt.Errorf("testnet: app_state: %w", err)
	}
	for _, p := range app.Participants {
		if p.Id == id {
			return ParticipantKey{}, fmt.Errorf("testnet: participant %q exists", id)
		}
	}
	app.Participants = append(app.Participants, &custodyv1.Participant{
		Id: id, Role: custodyv1.Role_ROLE_RISK_OPERATOR, Name: "Risk Operator " + id, PubKeys: [][]byte{pk.PubKey()},
	})
	if gen.AppState, err = (protojson.MarshalOptions{Indent: "  "}).Marshal(&app); err != nil {
		return ParticipantKey{}, fmt.Errorf("testnet: app_state: %w", err)
	}
	for _, n := range t.Nodes {
		if err := gen.SaveAs(filepath.Join(t.Home(n), "config", "genesis.json")); err != nil {
			return ParticipantKey{}, fmt.Errorf("testnet: %w", err)
		}
	}
	home := filepath.Join(t.Dir, id)
	if err := os.MkdirAll(home, 0o700); err != nil {
		return ParticipantKey{}, fmt.Errorf("testnet: %w", err)
	}
	if err := SaveKeyring(home, []ParticipantKey{pk}); err != nil {
		return ParticipantKey{}, err
	}
	return pk, nil
}

// RiskOperatorKeyring is the keyring directory AddRiskOperator writes for id.
func (t *Testnet) RiskOperatorKeyring(id string) string {
	return filepath.Join(t.Dir, id, KeyringDir)
}
