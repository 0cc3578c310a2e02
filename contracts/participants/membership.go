package participants

import (
	"crypto/ed25519"
	"fmt"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/auth"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Membership after genesis. contracts/governance decides (by proposal and
// vote) that an institution joins, leaves or changes its validator power;
// these functions make the change in this contract's records. Each checks
// what it needs and writes nothing when it refuses.

// CheckNew refuses a participant that Add would refuse: the same rules as
// genesis (id format, role, at least one 32-byte key, power not negative),
// an id or key already in use, and a validator (power > 0) without a
// 32-byte consensus key.
func CheckNew(store contracts.Store, p *custodyv1.Participant) error {
	if p == nil {
		return ErrBadGenesis.Wrapf("no participant")
	}
	if !idPattern.MatchString(p.Id) {
		return ErrBadGenesis.Wrapf("id %q must match %s", p.Id, idPattern)
	}
	if store.Has(key(p.Id)) {
		return ErrDuplicateID.Wrapf("%q is already a participant", p.Id)
	}
	switch p.Role {
	case custodyv1.Role_ROLE_BANK, custodyv1.Role_ROLE_BROKER, custodyv1.Role_ROLE_REGULATOR,
		custodyv1.Role_ROLE_CLEARING_HOUSE, custodyv1.Role_ROLE_RISK_OPERATOR:
	default:
		return ErrBadGenesis.Wrapf("participant %q has role %s", p.Id, p.Role)
	}
	if len(p.Name) > 128 {
		return ErrBadGenesis.Wrapf("participant %q: name longer than 128 bytes", p.Id)
	}
	if len(p.PubKeys) == 0 || len(p.PubKeys) > 16 {
		return ErrBadGenesis.Wrapf("participant %q has %d signing keys, want 1 to 16", p.Id, len(p.PubKeys))
	}
	seen := map[string]bool{}
	for _, pk := range p.PubKeys {
		if len(pk) != ed25519.PublicKeySize {
			return ErrBadGenesis.Wrapf("participant %q: signing key of %d bytes", p.Id, len(pk))
		}
		addr := auth.Address(pk)
		if seen[addr] {
			return ErrBadGenesis.Wrapf("participant %q lists key %s twice", p.Id, addr)
		}
		seen[addr] = true
		if _, err := auth.Get(store, addr); err == nil {
			return ErrBadGenesis.Wrapf("participant %q: key %s is already registered", p.Id, addr)
		}
	}
	if p.ValidatorPower < 0 {
		return ErrBadGenesis.Wrapf("participant %q has negative validator power", p.Id)
	}
	if p.Role == custodyv1.Role_ROLE_RISK_OPERATOR && (p.ValidatorPower != 0 || len(p.ValidatorPubKey) != 0) {
		return ErrBadGenesis.Wrapf("risk operator %q runs no validator", p.Id)
	}
	if len(p.ValidatorPubKey) != 0 || p.ValidatorPower > 0 {
		if len(p.ValidatorPubKey) != ed25519.PublicKeySize {
			return ErrBadGenesis.Wrapf("participant %q: validator key of %d bytes, want %d", p.Id, len(p.ValidatorPubKey), ed25519.PublicKeySize)
		}
		if owner := ValidatorKeyOwner(store, p.ValidatorPubKey); owner != "" {
			return ErrBadGenesis.Wrapf("participant %q: validator key is %s's", p.Id, owner)
		}
	}
	return nil
}

// Add stores a new participant and registers its keys, after CheckNew.
func Add(store contracts.Store, p *custodyv1.Participant) error {
	if err := CheckNew(store, p); err != nil {
		return err
	}
	for _, pk := range p.PubKeys {
		if err := auth.Register(store, pk, p.Role, p.Id); err != nil {
			return fmt.Errorf("participant %q: %w", p.Id, err)
		}
	}
	store.Set(key(p.Id), contracts.Marshal(p))
	return nil
}

// Remove deletes the participant's record and disables every key it ever
// had (from height on, no tx or REST token of it is accepted). It returns
// the record as it was. The caller (governance) has checked that the
// network can do without it.
func Remove(store contracts.Store, id string, height int64) (*custodyv1.Participant, error) {
	p, err := Get(store, id)
	if err != nil {
		return nil, err
	}
	for _, rec := range Keys(store, p) {
		if !rec.Disabled {
			auth.DisableRecord(store, rec, custodyv1.KeyDisableReason_KEY_DISABLE_REASON_REVOKED, height, "")
		}
	}
	store.Delete(key(id))
	return p, nil
}

// SetValidatorPower records a participant's new voting power.
func SetValidatorPower(store contracts.Store, id string, power int64) (*custodyv1.Participant, error) {
	p, err := Get(store, id)
	if err != nil {
		return nil, err
	}
	p.ValidatorPower = power
	store.Set(key(id), contracts.Marshal(p))
	return p, nil
}

// ValidatorKeyOwner is the id of the participant whose consensus key is pk,
// or "".
func ValidatorKeyOwner(store contracts.Store, pk []byte) string {
	for _, p := range All(store) {
		if len(p.ValidatorPubKey) > 0 && string(p.ValidatorPubKey) == string(pk) {
			return p.Id
		}
	}
	return ""
}

// TotalPower is the sum of every participant's validator power.
func TotalPower(store contracts.Store) int64 {
	var total int64
	for _, p := range All(store) {
		total += p.ValidatorPower
	}
	return total
}
