package api_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	rpcclient "github.com/cometbft/cometbft/rpc/client"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/contracts/trading"
	"github.com/custody-ledger/custody/contracts/transfers"
	"github.com/custody-ledger/custody/node/api"
	"github.com/custody-ledger/custody/proof"
)

// The leak test. For every read route (REST, and the node's ABCI query
// paths asked directly) and every caller, with ids that exist, that do not,
// and that sit between existing ones in key order, it decodes every byte
// of every answer — the body, every string in it read as text, base64 and
// hex, every cursor, every ICS23 proof down to each leaf key and value —
// and looks for the records the caller may not read. Who may read what is
// stated here again, by hand (the oracle), not taken from the code under
// test. "Not found" and "not yours" must be one answer: every 404 is
// compared byte for byte with the one answer a missing record gets.

// leakCallers are the keys that read: the owners of ACC-1 and ACC-2 and
// the institutions around them, a risk operator and the regulator.
var leakCallers = []string{"client-1", "client-2", "broker-1", "broker-2", "bank-1", "bank-2",
	"clearing-house-1", "risk-1", "regulator-1"}

// parties are the accounts setup opened: broker, bank, client key name.
var parties = map[string][3]string{
	"ACC-1": {"broker-1", "bank-1", "client-1"},
	"ACC-2": {"broker-2", "bank-2", "client-2"},
	"ACC-3": {"broker-1", "bank-1", "client-3"},
}

// mayReadAccount is the oracle for everything of a client account: its
// client, its broker, its bank, the regulator.
func mayReadAccount(who, acct string) bool {
	p, ok := parties[acct]
	return who == "regulator-1" || (ok && slices.Contains(p[:], who))
}

func institution(who string) bool { return !strings.HasPrefix(who, "client-") }

// secrets are byte strings that only an account's own records hold: its
// identity and bank card hashes, its client's public key and address.
func (e *env) secrets(acct string) map[string][]byte {
	pub := e.keys[parties[acct][2]].Public().(ed25519.PublicKey)
	// The hashes as network_test.go opens the accounts: keyed under the
	// test's identity secret.
	secret := bytes.Repeat([]byte{7}, client.MinIdentitySecretLen)
	idHash, _ := client.IdentityHash(secret, "id-"+acct)
	cardHash, _ := client.CardHash(secret, "card-"+acct)
	return map[string][]byte{
		"identity hash":  idHash,
		"bank card hash": cardHash,
		"client key":     pub,
		"client address": []byte(client.Address(pub)),
		"account id":     []byte(acct),
	}
}

// texts returns every reading of an answer that a caller could make: the
// raw bytes, and every JSON string in it as text, base64 (both alphabets)
// and hex; for an answer with a proof, every leaf key and value in it.
func texts(raw []byte) [][]byte {
	out := [][]byte{raw}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case string:
			out = append(out, []byte(v))
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
				if b, err := enc.DecodeString(v); err == nil {
					out = append(out, b)
					out = append(out, texts(b)...) // a cursor or a value holding JSON
				}
			}
			if b, err := hex.DecodeString(v); err == nil {
				out = append(out, b)
			}
		}
	}
	var v any
	if json.Unmarshal(raw, &v) == nil {
		walk(v)
	}
	return out
}

// proofLeaves decodes a REST answer's proof (a Record's or a Problem's):
// the requested key and every leaf (key, value) the proof shows in full.
func proofLeaves(t *testing.T, raw []byte) (key []byte, leaves [][2][]byte, ok bool) {
	t.Helper()
	var body struct {
		Proof *client.RESTProof `json:"proof"`
	}
	if json.Unmarshal(raw, &body) != nil || body.Proof == nil {
		return nil, nil, false
	}
	return body.Proof.Key, opsLeaves(t, body.Proof.Key, body.Proof.ProofOps), true
}

func opsLeaves(t *testing.T, key []byte, ops *cmtcrypto.ProofOps) [][2][]byte {
	t.Helper()
	p, err := proof.Decode(key, ops)
	if err != nil {
		t.Errorf("undecodable proof of %X: %v", key, err)
		return nil
	}
	return proof.Leaves(p)
}

// notFound is the one answer of a record the caller may not see, whether
// it exists or not: it depends on the request path alone.
func notFound(path string) []byte {
	u, _ := url.Parse(path)
	bz, _ := json.Marshal(api.Problem{
		Type: "urn:custody-ledger:problem:query/3", Title: "record not found", Status: http.StatusNotFound,
		Detail: "no record here that the caller may read", Instance: u.Path, Code: "query/3",
	})
	return bz
}

// restRead is one REST read and who may see it (nil: everyone).
type restRead struct {
	path string
	may  func(who string) bool
	// record: a one-record route, also read with ?prove=true.
	record bool
	// acct is the account the read belongs to: its readers (may) see its
	// secrets.
	acct string

	// names are the accounts whose ids the record shows its readers
	// beyond the account's own (a fill names its account to the clearing
	// house, which settles it); nothing else of them.
	names []string
}

func (e *env) restReads() []restRead {
	acct := func(id string) func(string) bool { return func(w string) bool { return mayReadAccount(w, id) } }
	surveil := func(id string) func(string) bool {
		return func(w string) bool { return mayReadAccount(w, id) || w == "risk-1" }
	}
	pair := func(bank, broker string) func(string) bool {
		return func(w string) bool {
			return w == bank || w == broker || w == "clearing-house-1" || w == "regulator-1"
		}
	}
	broker := func(b string) func(string) bool {
		return func(w string) bool { return w == b || w == "clearing-house-1" || w == "regulator-1" }
	}
	var rs []restRead
	// ACC-0 sorts before every account, ACC-15 between ACC-1 and ACC-2,
	// ACC-9 after ACC-3: the reads whose absence proof would show a
	// neighbour.
	for _, id := range []string{"ACC-1", "ACC-2", "ACC-3", "ACC-0", "ACC-15", "ACC-9"} {
		may := acct(id)
		// The account record itself is also the risk operators'
		// (surveillance); its funds and the rest are not.
		_, exists := parties[id]
		rs = append(rs, restRead{path: "/v1/accounts/" + id, record: true, acct: id,
			may: func(w string) bool { return may(w) || (exists && w == "risk-1") }})
		for _, p := range []string{"/funds", "/holdings/600000.SH", "/holdings/000001.SZ", "/orders/b1", "/orders/b15"} {
			rs = append(rs, restRead{"/v1/accounts/" + id + p, may, true, id, nil})
		}
		for _, p := range []string{"/ledger", "/transfers", "/holdings", "/orders", "/orders/b1/fills", "/ledger?limit=1", "/transfers?limit=1", "/orders?limit=1"} {
			rs = append(rs, restRead{"/v1/accounts/" + id + p, may, false, id, nil})
		}
	}
	for _, n := range []string{"client-1", "client-2", "client-3", "stranger"} {
		var may func(string) bool
		owner := map[string]string{"client-1": "ACC-1", "client-2": "ACC-2", "client-3": "ACC-3"}[n]
		if owner != "" {
			may = acct(owner)
		} else {
			may = func(w string) bool { return w == "regulator-1" }
		}
		rs = append(rs, restRead{"/v1/keys/" + e.addr(n), may, true, owner, nil})
	}
	rs = append(rs,
		restRead{"/v1/keys/" + e.addr("bank-2"), nil, true, "", nil},
		// Transfers are also the risk operators' (surveillance follows fund
		// movements): the transfer names its account, nothing else of it.
		restRead{"/v1/transfers/bank-1/DEP-1", surveil("ACC-1"), true, "", []string{"ACC-1"}},
		restRead{"/v1/transfers/bank-2/DEP-1", surveil("ACC-2"), true, "", []string{"ACC-2"}},
		restRead{"/v1/transfers/bank-1/DEP-15", acct(""), true, "", nil},
		restRead{"/v1/transfers/bank-2/DEP-9", acct(""), true, "", nil},
		restRead{"/v1/fills/E1", func(w string) bool { return mayReadAccount(w, "ACC-1") || w == "clearing-house-1" }, true, "", []string{"ACC-1"}},
		restRead{"/v1/fills/E15", acct(""), true, "", nil},
		restRead{"/v1/fills/E9", acct(""), true, "", nil},
		restRead{"/v1/custody/bank-1/broker-1", pair("bank-1", "broker-1"), true, "", nil},
		restRead{"/v1/custody/bank-2/broker-2", pair("bank-2", "broker-2"), true, "", nil},
		restRead{"/v1/supply", institution, true, "", nil},
		restRead{"/v1/invariants", institution, false, "", nil},
		restRead{"/v1/business-day", nil, true, "", nil},
		restRead{"/v1/instruments", nil, false, "", nil},
		restRead{"/v1/instruments/600000.SH", nil, true, "", nil},
		restRead{"/v1/participants", nil, false, "", nil},
		restRead{"/v1/participants/bank-1", nil, true, "", nil},
		restRead{"/v1/settlement/breaks", nil, false, "", nil},
		restRead{"/v1/settlement/20250102/reports", nil, false, "", nil},
		restRead{"/v1/settlement/20250102/reports/broker-1", broker("broker-1"), true, "", nil},
		restRead{"/v1/settlement/20250102/reports/broker-2", broker("broker-2"), true, "", nil},
		restRead{"/v1/settlement/20250102/fills/broker-1", broker("broker-1"), false, "", []string{"ACC-1"}},
		restRead{"/v1/settlement/20250102/fills/broker-1?limit=1", broker("broker-1"), false, "", []string{"ACC-1"}},
		restRead{"/v1/settlement/20250102/fills/broker-2", broker("broker-2"), false, "", nil},
		restRead{"/v1/reconciliation/breaks", nil, false, "", nil},
		restRead{"/v1/reconciliation/20250102", nil, false, "", nil},
		restRead{"/v1/reconciliation/20250102/bank-1/broker-1", pair("bank-1", "broker-1"), true, "", nil},
		restRead{"/v1/reconciliation/20250102/bank-2/broker-2", pair("bank-2", "broker-2"), true, "", nil},
		restRead{"/v1/anchors/risk-1", func(w string) bool { return w == "risk-1" || w == "regulator-1" }, false, "", nil},
		restRead{"/v1/anchors/risk-1?limit=1", func(w string) bool { return w == "risk-1" || w == "regulator-1" }, false, "", nil},
		restRead{"/v1/anchors/risk-1/1", func(w string) bool { return w == "risk-1" || w == "regulator-1" }, true, "", nil},
		restRead{"/v1/anchors/risk-1/9", func(w string) bool { return w == "regulator-1" }, true, "", nil},
	)
	return rs
}

// listItemParties says, for the lists whose items belong to several
// institutions, which participants an item names (its readers are those,
// the clearing house and the regulator).
func listItemParties(raw json.RawMessage) []string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out []string
	for _, k := range []string{"bank_id", "broker_id"} {
		if s, ok := m[k].(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (e *env) testNothingLeaks(t *testing.T) {
	reads := e.restReads()
	secrets := map[string]map[string][]byte{}
	for acct := range parties {
		secrets[acct] = e.secrets(acct)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var problems []string
	report := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	for _, who := range leakCallers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, r := range reads {
				paths := []string{r.path}
				if r.record {
					paths = append(paths, r.path+"?prove=true")
				}
				for _, path := range paths {
					e.checkREST(who, path, r, secrets, report)
				}
			}
		}()
	}
	wg.Wait()
	for _, p := range problems {
		t.Error(p)
	}
}

// checkREST reads path as who and reports what it should not have seen.
func (e *env) checkREST(who, path string, r restRead, secrets map[string]map[string][]byte, report func(string, ...any)) {
	tok, err := client.NewToken(e.keys[who], e.tn.ChainID, timeNow(), 0)
	if err != nil {
		report("%s: token: %v", who, err)
		return
	}
	a := e.doTokenNoFatal("GET", path, tok)
	if a.err != nil {
		report("%s GET %s: %v", who, path, a.err)
		return
	}
	may := r.may == nil || r.may(who)
	// An account-record read: a risk operator may see every account
	// record (surveillance), so also the two a proof of absence shows.
	surveilled := strings.Count(strings.TrimPrefix(r.path, "/v1/accounts/"), "/") == 0 && strings.HasPrefix(r.path, "/v1/accounts/")
	switch {
	case a.status >= 500:
		report("%s GET %s: status %d: %s", who, path, a.status, a.body)
	case !may && a.status != http.StatusNotFound:
		report("%s GET %s: may not read it, got %d: %s", who, path, a.status, a.body)
	}
	if a.status == http.StatusNotFound {
		// The one answer, whether the record exists or the caller may not
		// read it. A proof of absence may come with it (to a caller who
		// may read both neighbours, checked below); the rest is the same.
		body := a.body
		var p api.Problem
		if json.Unmarshal(a.body, &p) == nil && p.Proof != nil {
			p.Proof = nil
			body, _ = json.Marshal(p)
		}
		if want := notFound(path); !bytes.Equal(body, want) {
			report("%s GET %s: 404 is not the one not-found answer:\n got %s\nwant %s", who, path, a.body, want)
		}
	}
	// Proofs: a proof of existence shows the record asked for; a proof of
	// absence its two neighbours, which must be the caller's to read: the
	// leaves are searched for secrets below, and a neighbour of another
	// account names that account in its key.
	if key, leaves, ok := proofLeaves(&testing.T{}, a.body); ok && who != "regulator-1" {
		for _, l := range leaves {
			if !bytes.Equal(l[0], key) {
				for acct := range parties {
					if !mayReadAccount(who, acct) && !(surveilled && who == "risk-1") && bytes.Contains(l[0], []byte(acct)) {
						report("%s GET %s: a proof leaf of %s: %X", who, path, acct, l[0])
					}
				}
			}
		}
	}
	all := texts(a.body)
	if _, leaves, ok := proofLeaves(&testing.T{}, a.body); ok {
		for _, l := range leaves {
			all = append(all, l[0], l[1])
		}
	}
	for acct, ss := range secrets {
		if mayReadAccount(who, acct) || (acct == r.acct && may) || (surveilled && who == "risk-1") {
			continue
		}
		for name, s := range ss {
			if strings.Contains(path, string(s)) || (name == "account id" && (strings.Contains(path, acct) || slices.Contains(r.names, acct))) {
				continue // the caller's own words, echoed; or a name the record shows
			}
			for _, txt := range all {
				if bytes.Contains(txt, s) {
					report("%s GET %s: the answer holds %s's %s: %s", who, path, acct, name, a.body)
					break
				}
			}
		}
	}
	// Lists of several institutions' items show the caller its own.
	if a.status == http.StatusOK && who != "regulator-1" && who != "clearing-house-1" {
		var l api.List
		if json.Unmarshal(a.body, &l) == nil {
			for _, it := range l.Items {
				ps := listItemParties(it)
				if (strings.Contains(path, "/settlement/") || strings.Contains(path, "/reconciliation/")) && len(ps) > 0 && !slices.Contains(ps, who) {
					report("%s GET %s: an item of %v: %s", who, path, ps, it)
				}
			}
		}
	}
}

// testABCILeaks asks the node's ABCI query paths directly (CometBFT RPC
// abci_query), with each caller's credential and with none, and checks
// the answers as testNothingLeaks does: an unreadable record and a missing
// one are one answer; no proof shows what the caller may not read.
func (e *env) testABCILeaks(t *testing.T) {
	type q struct {
		path string
		key  []byte // for /store/key
		may  func(who string) bool
		// acct, names, surveilled: as restRead's.
		acct       string
		names      []string
		surveilled bool
	}
	acct := func(id string) func(string) bool { return func(w string) bool { return mayReadAccount(w, id) } }
	var qs []q
	for _, id := range []string{"ACC-1", "ACC-2", "ACC-0", "ACC-15", "ACC-9"} {
		// Account records are also the risk operators' (surveillance),
		// who may learn that an account id is not taken.
		surveil := func(w string) bool { return mayReadAccount(w, id) || w == "risk-1" }
		qs = append(qs, q{path: "account/" + id, acct: id, may: surveil, surveilled: true},
			q{key: accounts.AccountKey(id), acct: id, may: surveil, surveilled: true})
		for _, p := range []string{"funds/", "ledger/", "transfers/", "holdings/", "orders/"} {
			qs = append(qs, q{path: p + id, may: acct(id)})
		}
		qs = append(qs,
			q{path: "holding/" + id + "/600000.SH", may: acct(id)},
			q{path: "order/" + id + "/b1", may: acct(id)},
			q{path: "fills/" + id + "/b1", may: acct(id)},
			q{key: funds.FundsKey(id), may: acct(id)},
			q{key: funds.EntryKey(id, 0), may: acct(id)},
			q{key: trading.HoldingKey(id, "600000.SH"), may: acct(id)},
			q{key: trading.OrderKey(id + "/b1"), may: acct(id)},
		)
	}
	never := func(w string) bool { return w == "regulator-1" }
	qs = append(qs,
		q{path: "transfer/bank-1/DEP-1", may: func(w string) bool { return mayReadAccount(w, "ACC-1") || w == "risk-1" }, names: []string{"ACC-1"}},
		q{path: "transfer/bank-2/DEP-1", may: func(w string) bool { return mayReadAccount(w, "ACC-2") || w == "risk-1" }, names: []string{"ACC-2"}},
		q{path: "transfer/bank-1/DEP-15", may: never},
		q{key: transfers.TransferKey("bank-1", "DEP-1"), may: func(w string) bool { return mayReadAccount(w, "ACC-1") || w == "risk-1" }, names: []string{"ACC-1"}},
		q{key: transfers.TransferKey("bank-1", "DEP-15"), may: never},
		q{key: trading.FillKey("E1"), may: func(w string) bool { return mayReadAccount(w, "ACC-1") || w == "clearing-house-1" }, names: []string{"ACC-1"}},
		q{key: trading.FillKey("E15"), may: never},
		// The identity index maps identity hashes to accounts: the
		// regulator's alone.
		q{key: accounts.IdentityKey("broker-1", e.secrets("ACC-1")["identity hash"]), may: never},
		q{path: "signer/" + e.addr("client-1"), may: acct("ACC-1")},
		q{path: "signer/" + e.addr("stranger"), may: never},
		q{path: "supply", may: func(w string) bool { return w != "" && institution(w) }},
		q{path: "invariants", may: func(w string) bool { return w != "" && institution(w) }},
		q{path: "anchors/risk-1", may: func(w string) bool { return w == "risk-1" || w == "regulator-1" }},
		q{path: "custody/bank-1/broker-1", may: func(w string) bool {
			return w == "bank-1" || w == "broker-1" || w == "clearing-house-1" || w == "regulator-1"
		}},
		q{path: "participants", may: func(string) bool { return true }},
	)
	secrets := map[string]map[string][]byte{}
	for a := range parties {
		secrets[a] = e.secrets(a)
	}
	for _, who := range append([]string{""}, leakCallers...) {
		var tok string
		if who != "" {
			var err error
			if tok, err = client.NewToken(e.keys[who], e.tn.ChainID, timeNow(), 0); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range qs {
			path, data := proof.PathCustody+c.path, []byte(nil)
			if c.key != nil {
				path, data = proof.PathStoreKey, c.key
			}
			for _, prove := range []bool{false, true} {
				res, err := e.rawQuery(tok, path, data, prove)
				if err != nil {
					t.Fatalf("%s %s: %v", who, path, err)
				}
				may := c.may(who)
				name := fmt.Sprintf("%q %s %s %x prove=%v", who, path, c.path, c.key, prove)
				if res.Code != 0 {
					var want error
					if c.key != nil {
						want = ledger.ErrNotFound.Wrapf("key %X", c.key)
					} else {
						want = ledger.ErrNotFound.Wrapf("%s", c.path)
					}
					space, code, log := contracts.ABCIInfo(want)
					if res.Codespace != space || res.Code != code || res.Log != log || res.Value != nil || res.Key != nil || res.ProofOps != nil {
						t.Errorf("%s: not the one not-found answer: %s/%d %q", name, res.Codespace, res.Code, res.Log)
					}
					continue
				}
				if !may && who != "regulator-1" {
					// A readable absent key is answered to the regulator only;
					// public lists may be answered to all.
					t.Errorf("%s: answered (%d bytes) to a caller who may not read it", name, len(res.Value))
				}
				all := texts(res.Value)
				if res.ProofOps != nil {
					leaves := opsLeaves(t, c.key, res.ProofOps)
					for _, l := range leaves {
						for a := range parties {
							if who != "regulator-1" && !bytes.Equal(l[0], c.key) && !(mayReadAccount(who, a) || (a == c.acct && may) || (c.surveilled && who == "risk-1")) && bytes.Contains(l[0], []byte(a)) {
								t.Errorf("%s: a proof leaf of %s: %X", name, a, l[0])
							}
						}
					}
					for _, l := range leaves {
						all = append(all, l[0], l[1])
					}
				}
				for a, ss := range secrets {
					if who == "" || !(mayReadAccount(who, a) || (a == c.acct && may) || (c.surveilled && who == "risk-1")) {
						for sname, s := range ss {
							if strings.Contains(c.path, string(s)) || (sname == "account id" &&
								(strings.Contains(c.path, a) || bytes.Contains(c.key, []byte(a)) || slices.Contains(c.names, a))) {
								continue
							}
							for _, txt := range all {
								if bytes.Contains(txt, s) {
									t.Errorf("%s: the answer holds %s's %s", name, a, sname)
									break
								}
							}
						}
					}
				}
			}
		}
	}
	// A malformed credential is refused, not read as anonymous.
	res, err := e.rawQuery("eyJ.not.a-token", proof.PathCustody+"participants", nil, false)
	if err != nil || res.Code == 0 {
		t.Fatalf("a malformed credential: %v %v", res, err)
	}
}

// rawQuery is an abci_query through CometBFT's RPC carrying token as
// its credential ("" for none), returning the response whatever its code.
func (e *env) rawQuery(token, path string, data []byte, prove bool) (*abcitypes.ResponseQuery, error) {
	res, err := e.c.RPC().ABCIQueryWithOptions(e.ctx, path, proof.WithCredential(token, data), rpcclient.ABCIQueryOptions{Prove: prove})
	if err != nil {
		return nil, err
	}
	return &res.Response, nil
}

func timeNow() time.Time { return time.Now() }

type rawAnswer struct {
	status int
	body   []byte
	err    error
}

// doTokenNoFatal is doToken for other goroutines: it reports, not fails.
func (e *env) doTokenNoFatal(method, path, tok string) rawAnswer {
	req, err := http.NewRequestWithContext(e.ctx, method, e.base+path, nil)
	if err != nil {
		return rawAnswer{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return rawAnswer{err: err}
	}
	defer res.Body.Close()
	bz, err := io.ReadAll(res.Body)
	return rawAnswer{status: res.StatusCode, body: bz, err: err}
}
