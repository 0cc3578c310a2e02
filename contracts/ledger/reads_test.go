package ledger_test

import (
	"errors"
	"testing"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/ledger"
)

func reader(s contracts.Signer) contracts.Reader {
	return contracts.Reader{Address: s.Address, Role: s.Role, Owner: s.Owner}
}

// TestQuery_ReadersSeeTheirOwn: each reader reads what the contracts'
// Reads() declare and nothing else; for the rest the answer is the one
// not-found error, the same whether the record exists or not.
func TestQuery_ReadersSeeTheirOwn(t *testing.T) {
	e := world(t) // C1: broker-x, bank-a; C2: broker-y, bank-b
	c1, brokerX, bankB, clearingH := reader(client("C1")), reader(sBrokerX), reader(sBankB), reader(sClearing)
	anon := contracts.Reader{}
	for _, tc := range []struct {
		path string
		r    contracts.Reader
		ok   bool
	}{
		{"account/C1", c1, true}, {"account/C1", brokerX, true}, {"account/C1", bankB, false},
		{"account/C1", clearingH, false}, {"account/C1", anon, false}, {"account/C1", reader(client("C2")), false},
		{"funds/C1", c1, true}, {"funds/C2", c1, false}, {"ledger/C1", brokerX, true}, {"ledger/C2", brokerX, false},
		{"transfers/C1", bankB, false}, {"transfer/bank-a/C1/p", c1, true}, {"transfer/bank-a/C1/p", bankB, false},
		{"custody/bank-a/broker-x", clearingH, true}, {"custody/bank-a/broker-x", bankB, false},
		{"supply", brokerX, true}, {"supply", c1, false}, {"invariants", c1, false}, {"invariants", clearingH, true},
		{"participants", anon, true}, {"participant/bank-b", anon, true},
	} {
		out, err := ledger.Query(e.mem, tc.r, tc.path, nil)
		if tc.ok && err != nil {
			t.Errorf("%s as %s/%s: %v", tc.path, tc.r.Role, tc.r.Owner, err)
		}
		if !tc.ok {
			if !errors.Is(err, ledger.ErrNotFound) || out != nil {
				t.Errorf("%s as %s/%s: %s, %v; want not found", tc.path, tc.r.Role, tc.r.Owner, out, err)
				continue
			}
			// Not yours reads exactly as not there.
			if want := ledger.ErrNotFound.Wrapf("%s", tc.path); err.Error() != want.Error() {
				t.Errorf("%s: %q, want %q", tc.path, err, want)
			}
		}
	}
	for _, path := range []string{"account/C9", "funds/C9", "ledger/C9", "transfer/bank-a/C9/p"} {
		_, errMissing := ledger.Query(e.mem, c1, path, nil)
		if want := ledger.ErrNotFound.Wrapf("%s", path); errMissing == nil || errMissing.Error() != want.Error() {
			t.Errorf("%s: %v, want %v", path, errMissing, want)
		}
	}
}

// TestPolicy_AbsentKeys: that a key is not set is the regulator's to know,
// and, for kinds whose readers the key names (ByKey), theirs.
func TestPolicy_AbsentKeys(t *testing.T) {
	e := world(t)
	p := ledger.Policy()
	c1, bankB := reader(client("C1")), reader(sBankB)
	regulatorR := reader(sRegulator)
	for _, tc := range []struct {
		name string
		key  []byte
		r    contracts.Reader
		want bool
	}{
		{"own funds entry not yet written", funds.EntryKey("C1", 99), c1, true},
		{"another's funds entry", funds.EntryKey("C2", 99), c1, false},
		{"an account that does not exist", accounts.AccountKey("C9"), bankB, false},
		{"the identity index", accounts.IdentityKey("broker-x", hash32("id")), bankB, false},
		{"the regulator", accounts.AccountKey("C9"), regulatorR, true},
		{"a key no kind claims", []byte{0x7F, 1}, c1, false},
	} {
		if got := p.MayRead(e.mem, tc.r, tc.key, nil); got != tc.want {
			t.Errorf("%s: MayRead = %v, want %v", tc.name, got, tc.want)
		}
	}
	// Every declared prefix is one kind; every kind names itself.
	for _, k := range p.Kinds() {
		if k.Name == "" || len(k.Prefix) == 0 {
			t.Errorf("kind %+v", k)
		}
	}
	if _, ok := p.KindOf([]byte{contracts.PrefixIdentityIndex, 3, 'b'}); !ok {
		t.Error("the identity index has no kind")
	}
}
