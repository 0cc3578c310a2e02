// Package participants keeps the institutions that run the network: banks,
// brokers, the regulator, the clearing house and risk operators. They are
// set at genesis and changed afterwards only by contracts/governance
// (membership.go); each has a role, a name and the keys that sign for it.
//
// State: PrefixParticipant | id → Participant (protobuf).
package participants

import (
	"fmt"
	"regexp"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Codespace of this contract's refusals.
const Codespace = "participants"

var (
	ErrNotFound      = contracts.Register(Codespace, 1, "participant not found")
	ErrWrongRole     = contracts.Register(Codespace, 2, "participant has another role")
	ErrBadGenesis    = contracts.Register(Codespace, 3, "invalid participant in genesis")
	ErrDuplicateID   = contracts.Register(Codespace, 4, "participant id appears twice")
	ErrNoParticipant = contracts.Register(Codespace, 5, "genesis has no participant")
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

func key(id string) []byte { return append([]byte{contracts.PrefixParticipant}, id...) }

// InitGenesis validates the genesis participants, stores them and registers
// their keys. It refuses the whole genesis on the first bad entry.
func InitGenesis(store contracts.Store, ps []*custodyv1.Participant) error {
	if len(ps) == 0 {
		return ErrNoParticipant.Wrapf("at least one participant is needed")
	}
	for _, p := range ps {
		if !idPattern.MatchString(p.Id) {
			return ErrBadGenesis.Wrapf("id %q must match %s", p.Id, idPattern)
		}
		if store.Has(key(p.Id)) {
			return ErrDuplicateID.Wrapf("%q", p.Id)
		}
		switch p.Role {
		case custodyv1.Role_ROLE_BANK, custodyv1.Role_ROLE_BROKER, custodyv1.Role_ROLE_REGULATOR,
			custodyv1.Role_ROLE_CLEARING_HOUSE, custodyv1.Role_ROLE_RISK_OPERATOR:
		default:
			return ErrBadGenesis.Wrapf("participant %q has role %s", p.Id, p.Role)
		}
		if len(p.PubKeys) == 0 {
			return ErrBadGenesis.Wrapf("participant %q has no signing key", p.Id)
		}
		if p.ValidatorPower < 0 {
			return ErrBadGenesis.Wrapf("participant %q has negative validator power", p.Id)
		}
		for _, pk := range p.PubKeys {
			if err := auth.Register(store, pk, p.Role, p.Id); err != nil {
				return fmt.Errorf("participant %q: %w", p.Id, err)
			}
		}
		bz, err := proto.MarshalOptions{Deterministic: true}.Marshal(p)
		if err != nil {
			return fmt.Errorf("participants: marshal %q: %w", p.Id, err)
		}
		store.Set(key(p.Id), bz)
	}
	return nil
}

// Get returns the participant with id, or ErrNotFound.
func Get(store contracts.Store, id string) (*custodyv1.Participant, error) {
	bz := store.Get(key(id))
	if bz == nil {
		return nil, ErrNotFound.Wrapf("%q", id)
	}
	var p custodyv1.Participant
	if err := proto.Unmarshal(bz, &p); err != nil {
		panic(fmt.Sprintf("participants: corrupt record %q: %v", id, err))
	}
	return &p, nil
}

// GetWithRole returns the participant with id if it has the given role.
func GetWithRole(store contracts.Store, id string, role custodyv1.Role) (*custodyv1.Participant, error) {
	p, err := Get(store, id)
	if err != nil {
		return nil, err
	}
	if p.Role != role {
		return nil, ErrWrongRole.Wrapf("%q is %s, not %s", id, p.Role, role)
	}
	return p, nil
}

// All returns every participant in id order.
func All(store contracts.Store) []*custodyv1.Participant {
	prefix := []byte{contracts.PrefixParticipant}
	it := store.Iterator(prefix, contracts.PrefixEnd(prefix))
	defer it.Close()
	var out []*custodyv1.Participant
	for ; it.Valid(); it.Next() {
		var p custodyv1.Participant
		if err := proto.Unmarshal(it.Value(), &p); err != nil {
			panic(fmt.Sprintf("participants: corrupt record %x: %v", it.Key(), err))
		}
		out = append(out, &p)
	}
	return out
}
