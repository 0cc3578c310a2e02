package contracts

import (
	"bytes"
	"slices"

	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Who may read what.
//
// Every record lives under a key prefix owned by one contract package, and
// that package declares, beside the Routes that say who may send each
// message, who may read the records under its prefixes (a RecordKind per
// prefix, returned by the package's Reads()). contracts/ledger assembles
// them into one ReadPolicy, and every entry point — the ABCI query router,
// the REST API, the SDK and the CLI — asks that policy before anything of
// a record leaves the node: the record, its proof, an error naming it, a
// cursor pointing at it. A key no kind claims is the regulator's alone.

// Reader is who asks a read: the on-chain record of the key that signed
// the query's credential. The zero Reader is anonymous: it reads public
// records only.
type Reader struct {
	// Address is the key's signer address ("" when anonymous).
	Address string
	Role    custodyv1.Role
	// Owner is the participant id, or the account id of a client key.
	Owner string
}

// Anonymous says whether the read came without a valid credential.
func (r Reader) Anonymous() bool { return r.Address == "" }

// ReadsAll says whether r may read every record: the regulator audits the
// whole state. Only such a reader gets a proof that reveals records it did
// not name (a proof of absence carries its two neighbours in full).
func (r Reader) ReadsAll() bool { return r.Role == custodyv1.Role_ROLE_REGULATOR }

// Institution says whether r is a participant's key (any role but client).
func (r Reader) Institution() bool {
	return !r.Anonymous() && r.Role != custodyv1.Role_ROLE_CLIENT && r.Role != custodyv1.Role_ROLE_UNSPECIFIED
}

// Audience names who may read one record. The regulator is always in it;
// the zero Audience is the regulator alone.
type Audience struct {
	// Public: anyone, even without a credential (institutions, their public
	// keys, instruments, the business day).
	Public bool
	// Institutions: every participant's key (chain-wide figures).
	Institutions bool
	// Roles: every key of these roles (the clearing house sees all fills).
	Roles []custodyv1.Role
	// Participants: the keys these participants own, whatever their role
	// (a custody total is its bank's and its broker's).
	Participants []string
	// Account: the readers of this client account — its client's keys, its
	// broker's and its custody bank's (AccountParties resolves them).
	Account string
}

// AccountParties returns the broker and bank of a client account, and
// whether the account exists. The accounts contract provides it.
type AccountParties func(store Store, accountID string) (brokerID, bankID string, ok bool)

// Admits says whether r is in a.
func (a Audience) Admits(store Store, r Reader, parties AccountParties) bool {
	switch {
	case r.ReadsAll() || a.Public:
		return true
	case r.Anonymous():
		return false
	case a.Institutions && r.Institution():
		return true
	case slices.Contains(a.Roles, r.Role):
		return true
	case r.Role != custodyv1.Role_ROLE_CLIENT && slices.Contains(a.Participants, r.Owner):
		return true
	case a.Account == "":
		return false
	case r.Role == custodyv1.Role_ROLE_CLIENT:
		return r.Owner == a.Account
	case r.Role == custodyv1.Role_ROLE_BROKER || r.Role == custodyv1.Role_ROLE_BANK:
		broker, bank, ok := parties(store, a.Account)
		if !ok {
			return false
		}
		return (r.Role == custodyv1.Role_ROLE_BROKER && r.Owner == broker) ||
			(r.Role == custodyv1.Role_ROLE_BANK && r.Owner == bank)
	}
	return false
}

// RecordKind declares who may read the records under one key prefix.
type RecordKind struct {
	// Name is the record's name in docs ("account", "fund ledger entry").
	Name string
	// Prefix is the key prefix the kind owns; the longest prefix that
	// matches a key decides.
	Prefix []byte
	// Audience says who may read the record stored at key with value (never
	// nil: an absent record is shown to no one but the regulator, whose
	// proof of absence reveals its neighbours). A nil Audience is the
	// regulator alone (indexes).
	Audience func(key, value []byte) Audience
	// ByKey says that Audience reads the key alone, so it also decides who
	// may learn that a key is not set (without a proof: a proof of absence
	// shows the neighbours). Kinds whose readers are named in the value
	// (a transfer's account) leave it false: there, an absent key is the
	// regulator's to know.
	ByKey bool
}

// ReadPolicy is the assembled RecordKinds of every contract.
type ReadPolicy struct {
	kinds   []RecordKind
	parties AccountParties
}

// NewReadPolicy builds the policy. Two kinds with one prefix panic: a
// wiring bug.
func NewReadPolicy(parties AccountParties, kinds ...RecordKind) *ReadPolicy {
	for i, k := range kinds {
		for _, o := range kinds[:i] {
			if bytes.Equal(k.Prefix, o.Prefix) {
				panic("contracts: two record kinds for prefix " + string(k.Prefix))
			}
		}
	}
	return &ReadPolicy{kinds: kinds, parties: parties}
}

// Kinds returns the declared kinds (for docs and tests).
func (p *ReadPolicy) Kinds() []RecordKind { return slices.Clone(p.kinds) }

// KindOf returns the kind that owns key: the longest matching prefix.
func (p *ReadPolicy) KindOf(key []byte) (RecordKind, bool) {
	best, found := RecordKind{}, false
	for _, k := range p.kinds {
		if bytes.HasPrefix(key, k.Prefix) && (!found || len(k.Prefix) > len(best.Prefix)) {
			best, found = k, true
		}
	}
	return best, found
}

// MayRead says whether r may see the record stored at key: its value, its
// proof of existence, or whether it exists at all. For value nil (an
// absent key) only the regulator, and the readers of a ByKey kind, may
// know.
func (p *ReadPolicy) MayRead(store Store, r Reader, key, value []byte) bool {
	if r.ReadsAll() {
		return true
	}
	k, ok := p.KindOf(key)
	if !ok || k.Audience == nil || (value == nil && !k.ByKey) {
		return false
	}
	return k.Audience(key, value).Admits(store, r, p.parties)
}

// Admits says whether r is in a (with the policy's account resolution).
func (p *ReadPolicy) Admits(store Store, r Reader, a Audience) bool {
	return a.Admits(store, r, p.parties)
}

// LenPrefixedPart reads the length-prefixed string LenPrefixed wrote at
// key[at:], and whether the key holds one there.
func LenPrefixedPart(key []byte, at int) (string, bool) {
	if at >= len(key) || at+1+int(key[at]) > len(key) {
		return "", false
	}
	return string(key[at+1 : at+1+int(key[at])]), true
}
