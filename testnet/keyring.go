package testnet

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/custody-ledger/custody/client/keys"
	"github.com/custody-ledger/custody/contracts/auth"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// KeyringDir is where a home keeps its institution's keyring, in the format
// of client/keys with the "test" backend: custodycli --keyring-dir
// HOME/keyring-test --keyring-backend test signs as the institution.
//
// The keys are UNENCRYPTED and exist for the local testnet only: anyone who
// can read the home can sign as the institution. Real institutions keep
// their keys in the passphrase-encrypted "file" backend.
const KeyringDir = "keyring-test"

// ParticipantKey is one signing key of an institution.
type ParticipantKey struct {
	// Name is the key's name in the keyring: the participant id for its
	// first key, "<id>-2", "<id>-3", ... for the others.
	Name        string
	Participant string
	Role        custodyv1.Role
	Address     string
	Key         ed25519.PrivateKey
}

// PubKey returns the 32-byte public key.
func (k ParticipantKey) PubKey() []byte { return []byte(k.Key.Public().(ed25519.PublicKey)) }

func addressOf(pub []byte) string { return auth.Address(pub) }

// NewParticipantKey makes a fresh key for participant id (its k-th, from 0).
func NewParticipantKey(id string, role custodyv1.Role, k int) (ParticipantKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return ParticipantKey{}, fmt.Errorf("testnet: %w", err)
	}
	name := id
	if k > 0 {
		name = fmt.Sprintf("%s-%d", id, k+1)
	}
	return ParticipantKey{Name: name, Participant: id, Role: role, Address: addressOf(pub), Key: priv}, nil
}

// SaveKeyring imports keys into the test keyring of home.
func SaveKeyring(home string, pks []ParticipantKey) error {
	kr, err := keys.Open(filepath.Join(home, KeyringDir), keys.BackendTest)
	if err != nil {
		return fmt.Errorf("testnet: %w", err)
	}
	for _, k := range pks {
		if _, err := kr.ImportKey(k.Name, k.Key, nil); err != nil {
			return fmt.Errorf("testnet: %w", err)
		}
	}
	return nil
}

// Keys returns every institution's keys from the test keyrings of their
// homes, by participant id, each list in name order.
func (t *Testnet) Keys() (map[string][]ParticipantKey, error) {
	out := map[string][]ParticipantKey{}
	for _, n := range t.Nodes {
		if n.Participant == "" {
			continue
		}
		kr, err := keys.Open(filepath.Join(t.Home(n), KeyringDir), keys.BackendTest)
		if err != nil {
			return nil, fmt.Errorf("testnet: %w", err)
		}
		infos, err := kr.List()
		if err != nil {
			return nil, fmt.Errorf("testnet: %w", err)
		}
		for _, info := range infos {
			priv, err := kr.Key(info.Name, nil)
			if err != nil {
				return nil, fmt.Errorf("testnet: %w", err)
			}
			out[n.Participant] = append(out[n.Participant], ParticipantKey{
				Name: info.Name, Participant: n.Participant, Role: n.Role, Address: info.Address, Key: priv,
			})
		}
		sort.Slice(out[n.Participant], func(i, j int) bool { return out[n.Participant][i].Name < out[n.Participant][j].Name })
	}
	return out, nil
}
