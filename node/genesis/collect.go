package genesis

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/custody-ledger/custody/abci"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Options are what the collector decides beyond the entries.
type Options struct {
	// GenesisTime is the chain's start (the first block's time follows
	// it). Everyone validates the same file, so it is fixed here.
	GenesisTime time.Time
	// Trading is the trading genesis (parameters, calendar, instruments);
	// nil: the defaults, opened by the clearing house's first end_of_day.
	Trading *custodyv1.TradingGenesis
}

// Collect checks every entry and assembles genesis: participants sorted by
// id, every participant with power a validator with its own consensus key.
// It refuses the whole set on the first bad or conflicting entry.
func Collect(chainID string, entries []*Entry, opt Options) (*types.GenesisDoc, error) {
	if len(entries) == 0 {
		return nil, fmt.Errorf("%w: no entries", ErrBadEntry)
	}
	if opt.GenesisTime.IsZero() {
		return nil, fmt.Errorf("%w: the genesis time must be set", ErrBadEntry)
	}
	sorted := append([]*Entry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Participant.GetId() < sorted[j].Participant.GetId() })
	ids, keys, vals := map[string]bool{}, map[string]string{}, map[string]string{}
	gen := &types.GenesisDoc{
		GenesisTime:     opt.GenesisTime.UTC(),
		ChainID:         chainID,
		InitialHeight:   1,
		ConsensusParams: types.DefaultConsensusParams(),
	}
	app := &custodyv1.GenesisState{Trading: opt.Trading}
	for _, e := range sorted {
		if err := e.Verify(chainID); err != nil {
			return nil, err
		}
		p := e.Participant
		if ids[p.Id] {
			return nil, fmt.Errorf("%w: two entries for %s", ErrConflict, p.Id)
		}
		ids[p.Id] = true
		for _, k := range p.PubKeys {
			if other, ok := keys[string(k)]; ok {
				return nil, fmt.Errorf("%w: key %x is listed by %s and %s", ErrConflict, k, other, p.Id)
			}
			keys[string(k)] = p.Id
		}
		if p.ValidatorPower > 0 {
			if other, ok := vals[string(p.ValidatorPubKey)]; ok {
				return nil, fmt.Errorf("%w: validator key %x is claimed by %s and %s", ErrConflict, p.ValidatorPubKey, other, p.Id)
			}
			vals[string(p.ValidatorPubKey)] = p.Id
			pk := cmted25519.PubKey(p.ValidatorPubKey)
			gen.Validators = append(gen.Validators, types.GenesisValidator{
				Address: pk.Address(), PubKey: pk, Power: p.ValidatorPower, Name: p.Id,
			})
		}
		app.Participants = append(app.Participants, p)
	}
	if len(gen.Validators) == 0 {
		return nil, fmt.Errorf("%w: no entry has validator power", ErrBadEntry)
	}
	bz, err := protojson.MarshalOptions{Indent: "  ", UseProtoNames: true}.Marshal(app)
	if err != nil {
		return nil, fmt.Errorf("genesis: app_state: %w", err)
	}
	gen.AppState = bz
	if err := gen.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	if err := Validate(gen); err != nil {
		return nil, err
	}
	return gen, nil
}

// PersistentPeers lists the entries' nodes as "id@host:port", for
// config.toml's p2p.persistent_peers (entries without an address are left
// out: those nodes dial, they are not dialled).
func PersistentPeers(entries []*Entry, except string) []string {
	var out []string
	for _, e := range entries {
		if e.P2PAddress != "" && e.NodeID != except {
			out = append(out, e.NodeID+"@"+e.P2PAddress)
		}
	}
	sort.Strings(out)
	return out
}

// Validate checks a genesis document as every institution should before it
// starts its node: CometBFT's own checks, the app state a custody.v1
// GenesisState that InitChain accepts (the same code over an in-memory
// store; an exported state must also keep every invariant), and the
// consensus validators exactly the participants with power, each with its
// own key and power.
func Validate(gen *types.GenesisDoc) error {
	if err := gen.ValidateAndComplete(); err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	var app custodyv1.GenesisState
	if err := protojson.Unmarshal(gen.AppState, &app); err != nil {
		return fmt.Errorf("genesis: app_state is not a custody.v1.GenesisState: %w", err)
	}
	ps, err := abci.CheckGenesis(&app)
	if err != nil {
		return fmt.Errorf("genesis: the chain would refuse this app_state: %w", err)
	}
	want := map[string]int64{}
	for _, p := range ps {
		if p.ValidatorPower > 0 {
			want[string(p.ValidatorPubKey)] = p.ValidatorPower
		}
	}
	if len(want) != len(gen.Validators) {
		return fmt.Errorf("genesis: %d validators, but %d participants with power", len(gen.Validators), len(want))
	}
	for _, v := range gen.Validators {
		power, ok := want[string(v.PubKey.Bytes())]
		if !ok || power != v.Power {
			return fmt.Errorf("genesis: validator %s (%X, power %d) is not a participant's with that power", v.Name, v.PubKey.Bytes(), v.Power)
		}
	}
	return nil
}

// Load reads and validates a genesis.json.
func Load(path string) (*types.GenesisDoc, error) {
	gen, err := types.GenesisDocFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	return gen, Validate(gen)
}

// Hash is the SHA-256 of genesis.json's bytes, in hex: what the
// institutions compare, out of band, before they start.
func Hash(path string) (string, error) {
	bz, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(bz)
	return hex.EncodeToString(sum[:]), nil
}
