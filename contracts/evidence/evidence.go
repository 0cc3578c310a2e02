// Package evidence keeps what CometBFT's evidence proves a validator did:
// when a block commits evidence (a validator's two conflicting votes at
// one height, DuplicateVoteEvidence, or a light-client attack), the abci
// adapter hands it to Record in FinalizeBlock, and one MisbehaviourRecord
// per height and validator stays in state, with an event "misbehaviour"
// on the block.
//
// In this permissioned chain a misbehaving validator is an institution's
// machine: the record is a case for the institutions and the regulator
// (who run the validators and can agree, by the participant messages, to
// change the set), not an automatic slash. Nothing about the validator's
// power changes here.
//
// # Who may write and read
//
// No message writes a record: only the consensus layer, through evidence
// every honest validator verified, does. Every participant (banks,
// brokers, the regulator, the clearing house) may read every record: a
// validator's conduct concerns all who rely on the chain, and a record
// holds no client data. Query serves "misbehaviour" (every record, by
// height) and "misbehaviour/<height>".
package evidence

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/participants"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Codespace of the evidence package's refusals.
const Codespace = "evidence"

// Refusals of the misbehaviour queries. Never renumber.
var (
	// ErrBadQuery: a height that is not a positive integer, or a bad page.
	ErrBadQuery = contracts.Register(Codespace, 1, "malformed misbehaviour query")
	// ErrNotFound: no misbehaviour was recorded at that height.
	ErrNotFound = contracts.Register(Codespace, 2, "no misbehaviour recorded at that height")
)

// Readers are the roles that may read misbehaviour records: all of them.
var Readers = []custodyv1.Role{custodyv1.Role_ROLE_BANK, custodyv1.Role_ROLE_BROKER,
	custodyv1.Role_ROLE_REGULATOR, custodyv1.Role_ROLE_CLEARING_HOUSE}

// Kinds of misbehaviour, as CometBFT names them in ABCI.
const (
	KindDuplicateVote     = "duplicate-vote"
	KindLightClientAttack = "light-client-attack"
)

// Misbehaviour is one piece of committed evidence, as the abci adapter
// reads it from FinalizeBlock's request.
type Misbehaviour struct {
	Kind string
	// Height and Time are the misbehaviour's (not the committing block's).
	Height     int64
	Time       time.Time
	Address    []byte // the validator's 20-byte address
	Power      int64
	TotalPower int64
}

// Key is 0x70 | height (8 bytes big-endian) | validator address, so that
// records iterate by height.
func Key(height int64, address []byte) []byte {
	k := binary.BigEndian.AppendUint64([]byte{contracts.PrefixMisbehaviour}, uint64(height))
	return append(k, address...)
}

func heightPrefix(height int64) []byte {
	return binary.BigEndian.AppendUint64([]byte{contracts.PrefixMisbehaviour}, uint64(height))
}

// Record writes (or counts again) the record of m, committed in block, and
// returns the event that says so. The validator's participant is found by
// its genesis key (address = SHA-256(pubkey)[:20], CometBFT's ed25519
// address).
func Record(store contracts.Store, block contracts.Block, m Misbehaviour) contracts.Event {
	addr := strings.ToUpper(hex.EncodeToString(m.Address))
	k := Key(m.Height, m.Address)
	rec := &custodyv1.MisbehaviourRecord{}
	if bz := store.Get(k); bz != nil {
		contracts.Unmarshal(k, bz, rec)
	} else {
		rec = &custodyv1.MisbehaviourRecord{
			Height: m.Height, ValidatorAddress: addr, Participant: participantOf(store, m.Address),
			Kind: m.Kind, ValidatorPower: m.Power, TotalPower: m.TotalPower,
			Time: m.Time.UTC().Format(time.RFC3339Nano), CommittedHeight: block.Height,
		}
	}
	rec.Count++
	store.Set(k, contracts.Marshal(rec))
	return contracts.Event{Type: "misbehaviour", Attrs: []contracts.EventAttr{
		{Key: "kind", Value: m.Kind},
		{Key: "height", Value: itoa(m.Height)},
		{Key: "validator", Value: addr},
		{Key: "participant", Value: rec.Participant},
		{Key: "count", Value: itoa(int64(rec.Count))},
	}}
}

func participantOf(store contracts.Store, address []byte) string {
	for _, p := range participants.All(store) {
		if len(p.ValidatorPubKey) == 0 {
			continue
		}
		sum := sha256.Sum256(p.ValidatorPubKey)
		if string(sum[:20]) == string(address) {
			return p.Id
		}
	}
	return ""
}

// AtHeight returns the records of one height, by validator address.
func AtHeight(store contracts.Store, height int64) []*custodyv1.MisbehaviourRecord {
	p := heightPrefix(height)
	return scan(store, p, contracts.PrefixEnd(p), 0)
}

// MaxPerPage bounds one read of the records.
const MaxPerPage = 1000

// From returns at most limit records (0 or more than MaxPerPage:
// MaxPerPage) from height on, by height.
func From(store contracts.Store, height int64, limit int) []*custodyv1.MisbehaviourRecord {
	if limit <= 0 || limit > MaxPerPage {
		limit = MaxPerPage
	}
	return scan(store, heightPrefix(max(height, 0)), contracts.PrefixEnd([]byte{contracts.PrefixMisbehaviour}), limit)
}

func scan(store contracts.Store, start, end []byte, limit int) []*custodyv1.MisbehaviourRecord {
	it := store.Iterator(start, end)
	defer it.Close()
	out := []*custodyv1.MisbehaviourRecord{}
	for ; it.Valid() && (limit == 0 || len(out) < limit); it.Next() {
		rec := &custodyv1.MisbehaviourRecord{}
		contracts.Unmarshal(it.Key(), it.Value(), rec)
		out = append(out, rec)
	}
	return out
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
