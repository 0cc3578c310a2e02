package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/libs/log"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/anchors"
	"github.com/custody-ledger/custody/contracts/clearing"
	"github.com/custody-ledger/custody/contracts/funds"
	"github.com/custody-ledger/custody/contracts/reconcile"
	"github.com/custody-ledger/custody/contracts/trading"
	"github.com/custody-ledger/custody/contracts/transfers"
	"github.com/custody-ledger/custody/node/api"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/testnet"
)

// env is a running network, an API server on its first node, and the keys
// of everyone who talks to it.
type env struct {
	t     *testing.T
	ctx   context.Context
	tn    *testnet.Testnet
	c     *client.Client
	base  string
	keys  map[string]ed25519.PrivateKey
	v     *client.Verifier
	logMu sync.Mutex
	log   bytes.Buffer
}

func (e *env) Write(p []byte) (int, error) {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.log.Write(p)
}

func (e *env) logs() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.log.String()
}

// startNetwork starts two banks, two brokers, a regulator and a clearing
// house (four validators, two full nodes) in this process.
func startNetwork(t *testing.T) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a six-node network")
	}
	m := testnet.DefaultManifest()
	m.Banks, m.Brokers, m.Validators = 2, 2, 4
	m.TimeoutCommit = testnet.Duration{Duration: 200 * time.Millisecond}
	m.LogLevel = "api:info,*:error" // the node's access log, and only errors besides
	m.Prometheus = false
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	t.Cleanup(cancel)
	var (
		tn   *testnet.Testnet
		risk testnet.ParticipantKey
		l    *testnet.Launcher
	)
	// Ports are picked free, then bound by the nodes: on a machine shared
	// with other tests one may be taken in between; try a fresh network
	// (as testnet/nettest does).
	for attempt := 1; ; attempt++ {
		var err error
		if tn, err = testnet.Generate(t.TempDir(), m, testnet.GenerateOptions{}); err != nil {
			t.Fatal(err)
		}
		if risk, err = tn.AddRiskOperator("risk-1"); err != nil {
			t.Fatal(err)
		}
		l = testnet.NewLauncher(tn, &testnet.InProcess{})
		err = l.StartAll(ctx)
		if err == nil {
			break
		}
		_ = l.StopAll()
		if attempt == 3 || !(strings.Contains(err.Error(), "is taken") || strings.Contains(err.Error(), "address already in use")) {
			t.Fatal(err)
		}
		t.Logf("%v; generating another network", err)
	}
	t.Cleanup(func() {
		if err := l.StopAll(); err != nil {
			t.Error(err)
		}
	})
	for _, n := range tn.Nodes {
		if _, err := testnet.WaitForHeight(ctx, n, 2); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{t: t, ctx: ctx, tn: tn, keys: map[string]ed25519.PrivateKey{}}
	ks, err := tn.Keys()
	if err != nil {
		t.Fatal(err)
	}
	for id, list := range ks {
		e.keys[id] = list[0].Key
	}
	e.keys["risk-1"] = risk.Key
	if e.c, err = client.Dial(ctx, tn.Nodes[0].RPCAddress(), "", client.Options{}); err != nil {
		t.Fatal(err)
	}
	cfg := api.DefaultConfig()
	cfg.Address = "tcp://127.0.0.1:0"
	// The test asks faster than any person: testLimits checks the limit.
	cfg.RateLimit, cfg.RateBurst = 1000, 1000
	srv, err := api.New(cfg, api.Deps{Chain: e.c, Logger: log.NewTMLogger(log.NewSyncWriter(e))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Error(err)
		}
	})
	if e.base, err = srv.URL(); err != nil {
		t.Fatal(err)
	}

	// Proofs: values from node 0 through the API, headers from node 1
	// cross-checked by node 2, trust rooted in header 1 as node 3 says.
	n3, err := testnet.NewRPC(tn.Nodes[3])
	if err != nil {
		t.Fatal(err)
	}
	h1 := int64(1)
	hdr, err := n3.Header(ctx, &h1)
	if err != nil {
		t.Fatal(err)
	}
	if e.v, err = client.NewVerifier(ctx, client.LightConfig{
		ChainID: tn.ChainID, Primary: tn.Nodes[1].RPCAddress(), Witnesses: []string{tn.Nodes[2].RPCAddress()},
		TrustHeight: 1, TrustHash: hdr.Header.Hash(),
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.v.Close() })
	return e
}

// token is a fresh token of the named key.
func (e *env) token(who string) string {
	e.t.Helper()
	key, ok := e.keys[who]
	if !ok {
		e.t.Fatalf("no key %q", who)
	}
	tok, err := client.NewToken(key, e.tn.ChainID, time.Now(), time.Minute)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request as who ("" sends no token).
func (e *env) do(method, path, who string, body []byte, header map[string]string) answer {
	e.t.Helper()
	var tok string
	if who != "" {
		tok = e.token(who)
	}
	return e.doToken(method, path, tok, body, header)
}

func (e *env) doToken(method, path, tok string, body []byte, header map[string]string) answer {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.ctx, method, e.base+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	bz, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, bz}
}

func (a answer) problem(t *testing.T, status int, code string) api.Problem {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != api.ProblemContentType {
		t.Fatalf("content type %q: %s", ct, a.body)
	}
	var p api.Problem
	if err := json.Unmarshal(a.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Code != code {
		t.Fatalf("code %q, want %q: %s", p.Code, code, a.body)
	}
	return p
}

func (a answer) ok(t *testing.T, out any) {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	if err := json.Unmarshal(a.body, out); err != nil {
		t.Fatalf("%v: %s", err, a.body)
	}
}

// record decodes a Record's value into m.
func (a answer) record(t *testing.T, m proto.Message) api.Record {
	t.Helper()
	var r api.Record
	a.ok(t, &r)
	if err := protojsonUnmarshal(r.Value, m); err != nil {
		t.Fatalf("%v: %s", err, r.Value)
	}
	return r
}

// setup writes the records every test reads: ACC-1 (broker-1, bank-1)
// with five deposits, ACC-2 (broker-2, bank-2) with one, and ACC-3 opened
// and closed (its client key disabled).
func (e *env) setup() {
	t := e.t
	for _, n := range []string{"client-1", "client-2", "client-3", "stranger"} {
		e.keys[n] = ed25519.NewKeyFromSeed(bytes.Repeat([]byte(n[len(n)-1:]), 32))
	}
	open := func(broker, bank, acct, clientName string) proto.Message {
		secret := bytes.Repeat([]byte{7}, client.MinIdentitySecretLen)
		idHash, err1 := client.IdentityHash(secret, "id-"+acct)
		cardHash, err2 := client.CardHash(secret, "card-"+acct)
		m, err3 := client.OpenAccountMsg(e.keys[clientName], &custodyv1.OpeningRequest{
			ChainId: e.tn.ChainID, AccountId: acct, BrokerId: broker, BankId: bank,
			IdentityHash: idHash, BankCardHash: cardHash, ShareholderAccounts: []string{"A123456789"},
		})
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		return m
	}
	confirm := func(acct, clientName string) proto.Message {
		return client.ConfirmAccountMsg(acct, e.keys[clientName].Public().(ed25519.PublicKey))
	}
	e.round(
		step{"broker-1", open("broker-1", "bank-1", "ACC-1", "client-1")},
		step{"broker-2", open("broker-2", "bank-2", "ACC-2", "client-2")},
		step{"broker-1", open("broker-1", "bank-1", "ACC-3", "client-3")},
	)
	e.round(
		step{"bank-1", confirm("ACC-1", "client-1")},
		step{"bank-2", confirm("ACC-2", "client-2")},
		step{"bank-1", confirm("ACC-3", "client-3")},
	)
	steps := []step{
		{"broker-1", &custodyv1.MsgCloseAccount{AccountId: "ACC-3"}},
		{"bank-2", &custodyv1.MsgBankToBroker{TransferId: "DEP-1", AccountId: "ACC-2", Amount: 700}},
	}
	for i := 1; i <= 5; i++ {
		steps = append(steps, step{"bank-1", &custodyv1.MsgBankToBroker{TransferId: fmt.Sprintf("DEP-%d", i), AccountId: "ACC-1", Amount: int64(1000 * i)}})
	}
	e.round(steps...)
	// risk-1 anchors its parameters, then three alert batches.
	params := sha256.Sum256([]byte("params v1"))
	e.round(step{"risk-1", &custodyv1.MsgAnchorRuleParams{Version: 1, ParamsHash: params[:], ChangedBy: "api test"}})
	var batches []step
	for i, r := range [][2]uint64{{1, 3}, {4, 5}, {6, 6}} {
		root := sha256.Sum256([]byte(fmt.Sprint("batch ", i+1)))
		batches = append(batches, step{"risk-1", &custodyv1.MsgAnchorAlertBatch{
			Seq: uint64(i + 1), FirstSeq: r[0], LastSeq: r[1], Count: r[1] - r[0] + 1, Root: root[:], ParamsHash: params[:],
			FromUnixMs: int64(i) * 1000, ToUnixMs: int64(i)*1000 + 999,
		}})
	}
	e.round(batches...)
	if t.Failed() {
		t.FailNow()
	}
}

type step struct {
	who string
	msg proto.Message
}

// round submits every step (each signer's in order) and waits until all
// are in blocks.
func (e *env) round(steps ...step) {
	e.t.Helper()
	var hashes [][]byte
	for _, s := range steps {
		r, err := e.c.Submit(e.ctx, e.keys[s.who], s.msg, client.SubmitOptions{})
		if err != nil {
			e.t.Fatalf("%s %T: %v", s.who, s.msg, err)
		}
		hashes = append(hashes, r.Hash)
	}
	for _, h := range hashes {
		if _, err := e.c.WaitTx(e.ctx, h); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) addr(who string) string {
	return client.Address(e.keys[who].Public().(ed25519.PublicKey))
}

// signTx signs msg as who at its next sequence on chain.
func (e *env) signTx(who string, msg proto.Message) []byte {
	e.t.Helper()
	ctx, err := e.c.WithKeyCredential(e.ctx, e.keys[who])
	if err != nil {
		e.t.Fatal(err)
	}
	rec, err := e.c.Signer(ctx, e.addr(who))
	if err != nil {
		e.t.Fatal(err)
	}
	tx, err := client.Sign(e.keys[who], e.tn.ChainID, rec.NextSequence, "", msg)
	if err != nil {
		e.t.Fatal(err)
	}
	return tx
}

func txBody(tx []byte) []byte {
	bz, _ := json.Marshal(api.TxRequest{Tx: base64.StdEncoding.EncodeToString(tx)})
	return bz
}

func TestAPI(t *testing.T) {
	e := startNetwork(t)
	e.setup()
	t.Run("authentication", e.testAuthentication)
	t.Run("status", e.testStatus)
	t.Run("participants", e.testParticipants)
	t.Run("keys", e.testKeys)
	t.Run("accounts", e.testAccounts)
	t.Run("funds", e.testFunds)
	t.Run("custody and supply", e.testCustodyAndSupply)
	t.Run("invariants", e.testInvariants)
	t.Run("anchors", e.testAnchors)
	t.Run("txs", e.testTxs)
	t.Run("ledger", e.testLedger)
	t.Run("transfers", e.testTransfers)
	t.Run("trading", e.testTrading)
	t.Run("limits", e.testLimits)
	t.Run("shared IP", e.testSharedIP)
	t.Run("probes", e.testProbes)
	t.Run("access log", e.testAccessLog)
	t.Run("the node serves the API", e.testNodeAPI)
	t.Run("nothing leaks over REST", e.testNothingLeaks)
	t.Run("nothing leaks over ABCI queries", e.testABCILeaks)
}

func (e *env) testAuthentication(t *testing.T) {
	e.do("GET", "/v1/status", "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")
	now := time.Now()
	mk := func(key ed25519.PrivateKey, chain string, at time.Time) string {
		tok, err := client.NewToken(key, chain, at, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	e.doToken("GET", "/v1/status", mk(e.keys["client-1"], "other-chain", now), nil, nil).problem(t, http.StatusUnauthorized, "api/3")
	e.doToken("GET", "/v1/status", mk(e.keys["client-1"], e.tn.ChainID, now.Add(-10*time.Minute)), nil, nil).problem(t, http.StatusUnauthorized, "api/4")
	e.doToken("GET", "/v1/status", mk(e.keys["stranger"], e.tn.ChainID, now), nil, nil).problem(t, http.StatusUnauthorized, "api/5")
	e.doToken("GET", "/v1/status", mk(e.keys["client-3"], e.tn.ChainID, now), nil, nil).problem(t, http.StatusUnauthorized, "api/6")
	e.doToken("GET", "/v1/status", "x.y.z", nil, nil).problem(t, http.StatusUnauthorized, "api/2")
	// A token whose subject is someone else's address, signed by mine.
	forged := forgeToken(e.keys["client-1"], e.addr("bank-1"), e.tn.ChainID, now)
	e.doToken("GET", "/v1/status", forged, nil, nil).problem(t, http.StatusUnauthorized, "api/3")
}

// forgeToken signs claims naming sub with key.
func forgeToken(key ed25519.PrivateKey, sub, chain string, now time.Time) string {
	enc := base64.RawURLEncoding
	claims, _ := json.Marshal(map[string]any{"sub": sub, "aud": chain, "iat": now.Unix(), "exp": now.Unix() + 60})
	signed := enc.EncodeToString([]byte(`{"alg":"EdDSA","typ":"JWT"}`)) + "." + enc.EncodeToString(claims)
	return signed + "." + enc.EncodeToString(ed25519.Sign(key, []byte(signed)))
}

func (e *env) testStatus(t *testing.T) {
	var st api.Status
	e.do("GET", "/v1/status", "client-1", nil, nil).ok(t, &st)
	if st.ChainID != e.tn.ChainID || st.LatestBlockHeight < 2 || len(st.LatestAppHash) != 32 || st.CatchingUp {
		t.Fatalf("status %+v", st)
	}
	var vs api.Validators
	e.do("GET", "/v1/validators", "client-2", nil, nil).ok(t, &vs)
	names := map[string]bool{}
	for _, v := range vs.Items {
		names[v.Participant] = true
	}
	if len(vs.Items) != 4 || vs.TotalVotingPower != 40 || !names["bank-1"] || !names["broker-2"] {
		t.Fatalf("validators %+v", vs)
	}
	e.do("GET", "/v1/validators", "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")
}

func (e *env) testParticipants(t *testing.T) {
	var l api.List
	e.do("GET", "/v1/participants", "client-1", nil, nil).ok(t, &l)
	ids := map[string]bool{}
	for _, raw := range l.Items {
		var p custodyv1.Participant
		if err := protojsonUnmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		ids[p.Id] = true
	}
	for _, n := range e.tn.Nodes {
		if n.Participant != "" && !ids[n.Participant] {
			t.Errorf("participant %s missing from %s", n.Participant, l.Items)
		}
	}
	if l.NextCursor != "" {
		t.Error("a cursor on the participants")
	}
	e.do("GET", "/v1/participants", "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")

	var p custodyv1.Participant
	e.do("GET", "/v1/participants/bank-2", "client-1", nil, nil).record(t, &p)
	if p.Id != "bank-2" || p.Role != custodyv1.Role_ROLE_BANK {
		t.Fatalf("participant %v", &p)
	}
	e.do("GET", "/v1/participants/bank-9", "client-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
	e.do("GET", "/v1/participants/Bad_Id", "client-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	e.do("GET", "/v1/participants/bank-2", "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")
	e.do("GET", "/v1/participants/bank-2?prove=maybe", "client-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")

	// Proven, and proven absent.
	var r api.Record
	e.do("GET", "/v1/participants/bank-2?prove=true", "client-1", nil, nil).ok(t, &r)
	var pp custodyv1.Participant
	if _, err := client.VerifyRESTMessage(e.ctx, e.v, append([]byte{0x01}, "bank-2"...), r.Proof, &pp); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&pp, &p) {
		t.Fatalf("proven %v, read %v", &pp, &p)
	}
}

func (e *env) testKeys(t *testing.T) {
	c1 := e.addr("client-1")
	var rec custodyv1.KeyRecord
	e.do("GET", "/v1/keys/"+c1, "client-1", nil, nil).record(t, &rec)
	if rec.Role != custodyv1.Role_ROLE_CLIENT || rec.Owner != "ACC-1" {
		t.Fatalf("own key %v", &rec)
	}
	for who, status := range map[string]int{"broker-1": 200, "bank-1": 200, "regulator-1": 200, "broker-2": 404, "bank-2": 404, "client-2": 404, "clearing-house-1": 404} {
		if a := e.do("GET", "/v1/keys/"+c1, who, nil, nil); a.status != status {
			t.Errorf("%s reads client-1's key: %d, want %d: %s", who, a.status, status, a.body)
		}
	}
	// An institution's key is public.
	e.do("GET", "/v1/keys/"+e.addr("bank-2"), "client-1", nil, nil).record(t, &rec)
	if rec.Owner != "bank-2" {
		t.Fatalf("bank-2 key %v", &rec)
	}
	e.do("GET", "/v1/keys/"+e.addr("stranger"), "regulator-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
	e.do("GET", "/v1/keys/XYZ", "client-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	e.do("GET", "/v1/keys/"+c1, "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")
	// Proven: a disabled key shows disabled.
	var r api.Record
	e.do("GET", "/v1/keys/"+e.addr("client-3")+"?prove=true", "broker-1", nil, nil).ok(t, &r)
	raw, _ := hexDecode(e.addr("client-3"))
	var pr custodyv1.KeyRecord
	if _, err := client.VerifyRESTMessage(e.ctx, e.v, append([]byte{0x02}, raw...), r.Proof, &pr); err != nil {
		t.Fatal(err)
	}
	if !pr.Disabled || pr.Owner != "ACC-3" {
		t.Fatalf("client-3 key %v", &pr)
	}
}

func (e *env) testAccounts(t *testing.T) {
	var a custodyv1.Account
	got := e.do("GET", "/v1/accounts/ACC-1", "client-1", nil, nil)
	api.Golden(t, "account.json", normalized(t, got.body))
	got.record(t, &a)
	if a.Id != "ACC-1" || a.BrokerId != "broker-1" || a.Status != custodyv1.AccountStatus_ACCOUNT_STATUS_ACTIVE {
		t.Fatalf("account %v", &a)
	}
	// Who may read ACC-1: its client, broker, bank, the regulator.
	for who, status := range map[string]int{
		"client-1": 200, "broker-1": 200, "bank-1": 200, "regulator-1": 200,
		"client-2": 404, "broker-2": 404, "bank-2": 404, "clearing-house-1": 404,
	} {
		a := e.do("GET", "/v1/accounts/ACC-1", who, nil, nil)
		if a.status != status {
			t.Errorf("%s reads ACC-1: %d, want %d: %s", who, a.status, status, a.body)
		}
		if status == 404 {
			// Not found or not yours: as for an account that does not exist.
			a.problem(t, 404, "query/3")
			if who == "client-2" {
				api.Golden(t, "not_found_or_not_yours.json", a.body)
			}
		}
	}
	e.do("GET", "/v1/accounts/ACC-404", "regulator-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
	e.do("GET", "/v1/accounts/ACC_1", "regulator-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	e.do("GET", "/v1/accounts/ACC-1%3Ffrom=1", "regulator-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	e.do("GET", "/v1/accounts/ACC-1", "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")

	// Proven: the SDK checks the value against its own light client.
	var r api.Record
	e.do("GET", "/v1/accounts/ACC-1?prove=true", "client-1", nil, nil).ok(t, &r)
	var pa custodyv1.Account
	p, err := client.VerifyRESTMessage(e.ctx, e.v, accounts.AccountKey("ACC-1"), r.Proof, &pa)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&pa, &a) || p.Height != r.Height || p.Header.Height != r.Height+1 {
		t.Fatalf("proven %v at %d, read %v", &pa, p.Height, &a)
	}
	var fromJSON custodyv1.Account
	if err := protojsonUnmarshal(r.Value, &fromJSON); err != nil || !proto.Equal(&fromJSON, &pa) {
		t.Fatalf("the proven answer's JSON %s is not its proven value", r.Value)
	}
	// A proof for another key, or a tampered value, does not pass.
	if _, err := client.VerifyRESTProof(e.ctx, e.v, accounts.AccountKey("ACC-2"), r.Proof); err == nil {
		t.Fatal("a proof of ACC-1 passed as ACC-2's")
	}
	bad := *r.Proof
	bad.Value = append(bytes.Clone(bad.Value), 0)
	if _, err := client.VerifyRESTProof(e.ctx, e.v, accounts.AccountKey("ACC-1"), &bad); err == nil {
		t.Fatal("a tampered value verified")
	}
	bad = *r.Proof
	bad.AppHash = bytes.Repeat([]byte{1}, 32)
	if _, err := client.VerifyRESTProof(e.ctx, e.v, accounts.AccountKey("ACC-1"), &bad); err == nil {
		t.Fatal("a wrong app hash passed")
	}
	// A missing account is proven absent.
	pb := e.do("GET", "/v1/accounts/ACC-404?prove=true", "regulator-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
	if p, err := client.VerifyRESTProof(e.ctx, e.v, accounts.AccountKey("ACC-404"), pb.Proof); err != nil || p.Value != nil {
		t.Fatalf("proof of absence: %v %v", p, err)
	}
}

func (e *env) testFunds(t *testing.T) {
	var f custodyv1.Funds
	e.do("GET", "/v1/accounts/ACC-2/funds", "client-2", nil, nil).record(t, &f)
	if f.Balance != 700 || f.Available != 700 || f.Withdrawable != 700 || f.Frozen != 0 {
		t.Fatalf("funds %v", &f)
	}
	e.do("GET", "/v1/accounts/ACC-2/funds", "client-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
	e.do("GET", "/v1/accounts/ACC-2/funds", "bank-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
	e.do("GET", "/v1/accounts/ACC-2/funds", "bank-2", nil, nil).record(t, &f)
	e.do("GET", "/v1/accounts/ACC-404/funds", "regulator-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
	e.do("GET", "/v1/accounts/ACC_2/funds", "regulator-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	e.do("GET", "/v1/accounts/ACC-2/funds", "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")
	// A new account's funds are all zero: the record exists, and its proof
	// verifies (contracts.Marshal never stores an empty value, which ICS23
	// could not prove).
	e.do("GET", "/v1/accounts/ACC-3/funds", "regulator-1", nil, nil).record(t, &f)
	if f.Balance != 0 || f.NextSeq != 0 {
		t.Fatalf("ACC-3 funds %v", &f)
	}
	var r api.Record
	e.do("GET", "/v1/accounts/ACC-3/funds?prove=true", "regulator-1", nil, nil).ok(t, &r)
	var zero custodyv1.Funds
	if _, err := client.VerifyRESTMessage(e.ctx, e.v, funds.FundsKey("ACC-3"), r.Proof, &zero); err != nil || zero.Balance != 0 {
		t.Fatalf("proven zero funds %v: %v", &zero, err)
	}
	e.do("GET", "/v1/accounts/ACC-2/funds?prove=true", "broker-2", nil, nil).ok(t, &r)
	var pf custodyv1.Funds
	if _, err := client.VerifyRESTMessage(e.ctx, e.v, funds.FundsKey("ACC-2"), r.Proof, &pf); err != nil || pf.Balance != 700 {
		t.Fatalf("proven funds %v: %v", &pf, err)
	}
}

func (e *env) testCustodyAndSupply(t *testing.T) {
	var ct custodyv1.CustodyTotal
	e.do("GET", "/v1/custody/bank-1/broker-1", "bank-1", nil, nil).record(t, &ct)
	if ct.Total != 15000 {
		t.Fatalf("custody total %v", &ct)
	}
	for who, status := range map[string]int{"broker-1": 200, "clearing-house-1": 200, "regulator-1": 200, "bank-2": 404, "broker-2": 404, "client-1": 404} {
		if a := e.do("GET", "/v1/custody/bank-1/broker-1", who, nil, nil); a.status != status {
			t.Errorf("%s reads bank-1/broker-1: %d, want %d", who, a.status, status)
		}
	}
	// A pair with no clients is a total of zero, proven by absence.
	var r api.Record
	e.do("GET", "/v1/custody/bank-2/broker-1?prove=true", "regulator-1", nil, nil).ok(t, &r)
	if p, err := client.VerifyRESTProof(e.ctx, e.v, funds.CustodyTotalKey("bank-2", "broker-1"), r.Proof); err != nil || p.Value != nil {
		t.Fatalf("proof of a zero total: %v", err)
	}
	if err := protojsonUnmarshal(r.Value, &ct); err != nil || ct.Total != 0 || ct.BankId != "bank-2" {
		t.Fatalf("zero total %s", r.Value)
	}
	e.do("GET", "/v1/custody/BANK/broker-1", "regulator-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	e.do("GET", "/v1/custody/bank-1/broker-1", "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")

	var s custodyv1.Supply
	e.do("GET", "/v1/supply", "clearing-house-1", nil, nil).record(t, &s)
	if s.Total != 15700 || s.Deposited != 15700 {
		t.Fatalf("supply %v", &s)
	}
	e.do("GET", "/v1/supply", "client-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
	e.do("GET", "/v1/supply", "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")
	e.do("GET", "/v1/supply?prove=true", "regulator-1", nil, nil).ok(t, &r)
	var ps custodyv1.Supply
	if _, err := client.VerifyRESTMessage(e.ctx, e.v, funds.SupplyKey(), r.Proof, &ps); err != nil || ps.Total != 15700 {
		t.Fatalf("proven supply %v: %v", &ps, err)
	}
}

func (e *env) testInvariants(t *testing.T) {
	var r api.Record
	e.do("GET", "/v1/invariants", "regulator-1", nil, nil).ok(t, &r)
	var inv struct {
		Broken     bool              `json:"broken"`
		Invariants []json.RawMessage `json:"invariants"`
	}
	if err := json.Unmarshal(r.Value, &inv); err != nil || inv.Broken || len(inv.Invariants) == 0 {
		t.Fatalf("invariants %s (%v)", r.Value, err)
	}
	e.do("GET", "/v1/invariants", "client-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
	e.do("GET", "/v1/invariants?prove=true", "regulator-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	e.do("GET", "/v1/invariants", "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")
}

func (e *env) testTxs(t *testing.T) {
	withdraw := e.signTx("client-1", &custodyv1.MsgRequestWithdrawal{TransferId: "ACC-1/W1", AccountId: "ACC-1", Amount: 2500})
	key := map[string]string{api.IdempotencyHeader: "withdraw-W1"}

	t.Run("submit with an idempotency key, then replay", func(t *testing.T) {
		first := e.do("POST", "/v1/txs", "client-1", txBody(withdraw), key)
		var res api.TxResult
		first.ok(t, &res)
		if res.Height == 0 || res.Code != 0 || res.Hash != strings.ToUpper(fmt.Sprintf("%x", client.TxHash(withdraw))) {
			t.Fatalf("result %+v", res)
		}
		again := e.do("POST", "/v1/txs", "client-1", txBody(withdraw), key)
		if again.status != first.status || !bytes.Equal(again.body, first.body) || again.header.Get(api.ReplayedHeader) != "true" {
			t.Fatalf("replay: %d %s %v", again.status, again.body, again.header)
		}
		// The same key with another body is refused.
		other := e.signTx("client-1", &custodyv1.MsgRequestWithdrawal{TransferId: "ACC-1/W9", AccountId: "ACC-1", Amount: 1})
		e.do("POST", "/v1/txs", "client-1", txBody(other), key).problem(t, http.StatusUnprocessableEntity, "api/13")
		// Without a key, the same bytes answer with the first result.
		var res2 api.TxResult
		e.do("POST", "/v1/txs", "client-1", txBody(withdraw), nil).ok(t, &res2)
		if res2.Hash != res.Hash || res2.Height != res.Height {
			t.Fatalf("resubmission %+v, first %+v", res2, res)
		}
		// It acted once: 2500 frozen, one withdrawal open.
		var f custodyv1.Funds
		e.do("GET", "/v1/accounts/ACC-1/funds", "client-1", nil, nil).record(t, &f)
		if f.Frozen != 2500 || f.OpenWithdrawals != 1 || f.Balance != 15000 {
			t.Fatalf("funds after the withdrawal request %v", &f)
		}
	})
	t.Run("look the tx up", func(t *testing.T) {
		h := fmt.Sprintf("%X", client.TxHash(withdraw))
		var res api.TxResult
		e.do("GET", "/v1/txs/"+h, "client-1", nil, nil).ok(t, &res)
		if res.Signer != e.addr("client-1") || res.Height == 0 {
			t.Fatalf("tx %+v", res)
		}
		e.do("GET", "/v1/txs/"+h, "regulator-1", nil, nil).ok(t, &res)
		e.do("GET", "/v1/txs/"+h, "client-2", nil, nil).problem(t, http.StatusForbidden, "api/7")
		e.do("GET", "/v1/txs/"+strings.Repeat("AB", 32), "client-1", nil, nil).problem(t, http.StatusNotFound, "api/20")
		e.do("GET", "/v1/txs/XYZ", "client-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
		e.do("GET", "/v1/txs/"+h, "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")
	})
	t.Run("institutions submit the same way", func(t *testing.T) {
		confirm := e.signTx("bank-1", &custodyv1.MsgConfirmWithdrawal{TransferId: "ACC-1/W1", Success: true})
		a := e.do("POST", "/v1/txs?wait=sync", "bank-1", txBody(confirm), nil)
		var res api.TxResult
		if a.status != http.StatusAccepted || json.Unmarshal(a.body, &res) != nil || res.Height != 0 {
			t.Fatalf("sync: %d %s", a.status, a.body)
		}
		if _, err := e.c.WaitTx(e.ctx, client.TxHash(confirm)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		over := e.signTx("client-1", &custodyv1.MsgRequestWithdrawal{TransferId: "ACC-1/W2", AccountId: "ACC-1", Amount: 1_000_000})
		a := e.do("POST", "/v1/txs", "client-1", txBody(over), nil)
		p := a.problem(t, http.StatusUnprocessableEntity, "funds/1")
		api.Golden(t, "tx_refused.json", normalized(t, a.body))
		if p.Hash == "" || p.Codespace != "funds" || p.ABCICode != 1 {
			t.Fatalf("problem %+v", p)
		}
		stale, err := client.Sign(e.keys["client-1"], e.tn.ChainID, 0, "", &custodyv1.MsgRequestWithdrawal{TransferId: "ACC-1/W3", AccountId: "ACC-1", Amount: 1})
		if err != nil {
			t.Fatal(err)
		}
		e.do("POST", "/v1/txs", "client-1", txBody(stale), nil).problem(t, http.StatusConflict, "tx/7")
		role := e.signTx("client-1", &custodyv1.MsgBankToBroker{TransferId: "X", AccountId: "ACC-1", Amount: 1})
		e.do("POST", "/v1/txs", "client-1", txBody(role), nil).problem(t, http.StatusForbidden, "tx/10")
	})
	t.Run("wrong caller", func(t *testing.T) {
		mine := e.signTx("client-2", &custodyv1.MsgRequestWithdrawal{TransferId: "ACC-2/W1", AccountId: "ACC-2", Amount: 1})
		e.do("POST", "/v1/txs", "client-1", txBody(mine), nil).problem(t, http.StatusForbidden, "api/7")
		e.do("POST", "/v1/txs", "", txBody(mine), nil).problem(t, http.StatusUnauthorized, "api/1")
	})
	t.Run("malformed body", func(t *testing.T) {
		for name, body := range map[string]string{
			"not json":      `{"tx":`,
			"unknown field": `{"tx":"AAAA","fee":1}`,
			"bad base64":    `{"tx":"%%%"}`,
			"empty tx":      `{"tx":""}`,
			"not a tx":      `{"tx":"` + base64.StdEncoding.EncodeToString([]byte("hello, ledger")) + `"}`,
			"two values":    `{"tx":"AAAA"}{}`,
		} {
			t.Run(name, func(t *testing.T) {
				e.do("POST", "/v1/txs", "client-1", []byte(body), nil).problem(t, http.StatusBadRequest, "api/8")
			})
		}
		e.do("POST", "/v1/txs?wait=forever", "client-1", txBody(withdraw), nil).problem(t, http.StatusBadRequest, "api/8")
		e.do("POST", "/v1/txs", "client-1", txBody(withdraw), map[string]string{api.IdempotencyHeader: strings.Repeat("k", 256)}).problem(t, http.StatusBadRequest, "api/8")
	})
}

func (e *env) testAnchors(t *testing.T) {
	seqsOf := func(who, query string) ([]uint64, string) {
		var l api.List
		e.do("GET", "/v1/anchors/risk-1"+query, who, nil, nil).ok(t, &l)
		var seqs []uint64
		for _, raw := range l.Items {
			var b anchors.Batch
			if err := json.Unmarshal(raw, &b); err != nil {
				t.Fatal(err)
			}
			seqs = append(seqs, b.Seq)
		}
		return seqs, l.NextCursor
	}
	first, next := seqsOf("risk-1", "?limit=2")
	second, last := seqsOf("risk-1", "?limit=2&cursor="+next)
	if fmt.Sprint(first, second) != "[1 2] [3]" || next == "" || last != "" {
		t.Fatalf("pages %v %v, cursors %q %q", first, second, next, last)
	}
	if all, _ := seqsOf("regulator-1", ""); len(all) != 3 {
		t.Fatalf("regulator sees %v", all)
	}
	if none, _ := seqsOf("regulator-1", "?until=2000-01-01"); len(none) != 0 {
		t.Fatalf("batches before 2000: %v", none)
	}
	for _, who := range []string{"bank-1", "broker-1", "clearing-house-1", "client-1"} {
		e.do("GET", "/v1/anchors/risk-1", who, nil, nil).problem(t, http.StatusNotFound, "query/3")
		e.do("GET", "/v1/anchors/risk-1/1", who, nil, nil).problem(t, http.StatusNotFound, "query/3")
	}
	e.do("GET", "/v1/anchors/risk-1", "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")
	e.do("GET", "/v1/anchors/risk-1/1", "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")
	e.do("GET", "/v1/anchors/risk-1/9", "regulator-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
	e.do("GET", "/v1/anchors/risk-1/0", "regulator-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	e.do("GET", "/v1/anchors/RISK/1", "regulator-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	e.do("GET", "/v1/anchors/risk-1?cursor="+next, "risk-1", nil, nil).ok(t, &api.List{})
	e.do("GET", "/v1/anchors/risk-1?cursor="+encodeLedgerCursor(t, e), "risk-1", nil, nil).problem(t, http.StatusBadRequest, "api/9")

	var b anchors.Batch
	var r api.Record
	e.do("GET", "/v1/anchors/risk-1/2", "risk-1", nil, nil).ok(t, &r)
	if err := json.Unmarshal(r.Value, &b); err != nil || b.FirstSeq != 4 || b.LastSeq != 5 || b.Operator != "risk-1" {
		t.Fatalf("batch 2 %s: %v", r.Value, err)
	}
	e.do("GET", "/v1/anchors/risk-1/2?prove=true", "regulator-1", nil, nil).ok(t, &r)
	p, err := client.VerifyRESTProof(e.ctx, e.v, anchors.BatchKey("risk-1", 2), r.Proof)
	if err != nil {
		t.Fatal(err)
	}
	proven, err := anchors.DecodeBatch(p.Value)
	root := sha256.Sum256([]byte("batch 2"))
	if err != nil || !bytes.Equal(proven.Root, root[:]) || proven.Seq != 2 {
		t.Fatalf("proven batch %+v: %v", proven, err)
	}
}

// encodeLedgerCursor is a real cursor of another list (ACC-1's ledger).
func encodeLedgerCursor(t *testing.T, e *env) string {
	t.Helper()
	var l api.List
	e.do("GET", "/v1/accounts/ACC-1/ledger?limit=1", "regulator-1", nil, nil).ok(t, &l)
	if l.NextCursor == "" {
		t.Fatal("no cursor")
	}
	return l.NextCursor
}

// ledgerPage reads one page and returns its seqs.
func (e *env) ledgerPage(t *testing.T, who, query string) ([]uint64, string) {
	t.Helper()
	var l api.List
	a := e.do("GET", "/v1/accounts/ACC-1/ledger"+query, who, nil, nil)
	if query == "?limit=3" {
		api.Golden(t, "ledger_page.json", normalized(t, a.body))
	}
	a.ok(t, &l)
	var seqs []uint64
	for _, raw := range l.Items {
		var en custodyv1.LedgerEntry
		if err := protojsonUnmarshal(raw, &en); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, en.Seq)
	}
	return seqs, l.NextCursor
}

func (e *env) testLedger(t *testing.T) {
	// ACC-1: five deposits, the withdrawal's freeze and its payment.
	var all []uint64
	cursor, pages := "", 0
	for {
		q := "?limit=3"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		seqs, next := e.ledgerPage(t, "client-1", q)
		all, pages = append(all, seqs...), pages+1
		if next == "" {
			break
		}
		cursor = next
		if pages > 10 {
			t.Fatal("the cursor never ends")
		}
	}
	if fmt.Sprint(all) != "[0 1 2 3 4 5 6]" || pages != 3 {
		t.Fatalf("ledger seqs %v in %d pages", all, pages)
	}
	if seqs, next := e.ledgerPage(t, "broker-1", "?reason=deposit&limit=10"); fmt.Sprint(seqs) != "[0 1 2 3 4]" || next != "" {
		t.Fatalf("deposits %v %q", seqs, next)
	}
	if seqs, _ := e.ledgerPage(t, "bank-1", "?reason=withdrawal_freeze,withdrawal_paid"); fmt.Sprint(seqs) != "[5 6]" {
		t.Fatalf("withdrawal entries %v", seqs)
	}
	// Filters and pages together: two deposits a page.
	seqs, next := e.ledgerPage(t, "client-1", "?reason=deposit&limit=2")
	seqs2, _ := e.ledgerPage(t, "client-1", "?reason=deposit&limit=2&cursor="+next)
	if fmt.Sprint(seqs, seqs2) != "[0 1] [2 3]" {
		t.Fatalf("filtered pages %v %v", seqs, seqs2)
	}
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	if seqs, _ := e.ledgerPage(t, "client-1", "?since="+today+"&until="+today); len(seqs) != 7 {
		t.Fatalf("today's entries %v", seqs)
	}
	if seqs, _ := e.ledgerPage(t, "client-1", "?until=2000-01-01"); len(seqs) != 0 {
		t.Fatalf("entries before 2000: %v", seqs)
	}
	if seqs, _ := e.ledgerPage(t, "client-1", "?since="+url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339))); len(seqs) != 0 {
		t.Fatalf("entries of the next hour: %v", seqs)
	}
	for _, q := range []string{"?limit=0", "?limit=501", "?since=yesterday", "?reason=gift", "?cursor=%%%"} {
		e.do("GET", "/v1/accounts/ACC-1/ledger"+q, "client-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	}
	e.do("GET", "/v1/accounts/ACC-1/ledger?cursor=Zm9vOmJhcg", "client-1", nil, nil).problem(t, http.StatusBadRequest, "api/9")
	// A cursor of another account's list is refused.
	_, c2 := e.ledgerPage(t, "client-1", "?limit=1")
	e.do("GET", "/v1/accounts/ACC-2/ledger?cursor="+c2, "regulator-1", nil, nil).problem(t, http.StatusBadRequest, "api/9")
	e.do("GET", "/v1/accounts/ACC-1/ledger", "client-2", nil, nil).problem(t, http.StatusNotFound, "query/3")
	e.do("GET", "/v1/accounts/ACC-404/ledger", "regulator-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
	e.do("GET", "/v1/accounts/ACC-1/ledger", "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")
}

func (e *env) transferIDs(t *testing.T, who, acct, query string) ([]string, string) {
	t.Helper()
	var l api.List
	e.do("GET", "/v1/accounts/"+acct+"/transfers"+query, who, nil, nil).ok(t, &l)
	var ids []string
	for _, raw := range l.Items {
		var tr custodyv1.Transfer
		if err := protojsonUnmarshal(raw, &tr); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tr.Id)
	}
	return ids, l.NextCursor
}

func (e *env) testTransfers(t *testing.T) {
	var all []string
	cursor := ""
	for range 10 {
		q := "?limit=4"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		ids, next := e.transferIDs(t, "client-1", "ACC-1", q)
		all = append(all, ids...)
		if cursor = next; cursor == "" {
			break
		}
	}
	if fmt.Sprint(all) != "[DEP-1 DEP-2 DEP-3 DEP-4 DEP-5 ACC-1/W1]" {
		t.Fatalf("transfers %v", all)
	}
	if ids, _ := e.transferIDs(t, "bank-1", "ACC-1", "?direction=broker_to_bank"); fmt.Sprint(ids) != "[ACC-1/W1]" {
		t.Fatalf("withdrawals %v", ids)
	}
	if ids, _ := e.transferIDs(t, "bank-1", "ACC-1", "?status=pending"); len(ids) != 0 {
		t.Fatalf("pending %v", ids)
	}
	ids, next := e.transferIDs(t, "broker-1", "ACC-1", "?status=completed&direction=bank_to_broker&limit=3")
	ids2, _ := e.transferIDs(t, "broker-1", "ACC-1", "?status=completed&direction=bank_to_broker&limit=3&cursor="+next)
	if fmt.Sprint(ids, ids2) != "[DEP-1 DEP-2 DEP-3] [DEP-4 DEP-5]" {
		t.Fatalf("filtered pages %v %v", ids, ids2)
	}
	e.do("GET", "/v1/accounts/ACC-1/transfers?status=lost", "client-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	e.do("GET", "/v1/accounts/ACC-1/transfers", "broker-2", nil, nil).problem(t, http.StatusNotFound, "query/3")
	e.do("GET", "/v1/accounts/ACC-404/transfers", "regulator-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
	e.do("GET", "/v1/accounts/ACC-1/transfers", "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")

	// One transfer; a withdrawal id travels with its slash escaped.
	var tr custodyv1.Transfer
	e.do("GET", "/v1/transfers/bank-1/ACC-1%2FW1", "client-1", nil, nil).record(t, &tr)
	if tr.Id != "ACC-1/W1" || tr.Status != custodyv1.TransferStatus_TRANSFER_STATUS_COMPLETED || tr.Amount != 2500 {
		t.Fatalf("transfer %v", &tr)
	}
	// DEP-1 exists at both banks; each is its own account's.
	e.do("GET", "/v1/transfers/bank-2/DEP-1", "client-2", nil, nil).record(t, &tr)
	if tr.AccountId != "ACC-2" {
		t.Fatalf("bank-2/DEP-1 %v", &tr)
	}
	e.do("GET", "/v1/transfers/bank-2/DEP-1", "client-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
	e.do("GET", "/v1/transfers/bank-1/DEP-9", "regulator-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
	e.do("GET", "/v1/transfers/bank-1/DEP%201", "regulator-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	e.do("GET", "/v1/transfers/bank-1/DEP-1", "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")
	var r api.Record
	e.do("GET", "/v1/transfers/bank-1/ACC-1%2FW1?prove=true", "bank-1", nil, nil).ok(t, &r)
	var pt custodyv1.Transfer
	if _, err := client.VerifyRESTMessage(e.ctx, e.v, transfers.TransferKey("bank-1", "ACC-1/W1"), r.Proof, &pt); err != nil || pt.Amount != 2500 {
		t.Fatalf("proven transfer %v: %v", &pt, err)
	}
}

// playDay plays business day 20250102: a listing, three buy orders of
// ACC-1 (b1 filled by E1 and E2, b2 cancelled, b3 left to expire),
// clearing against a trade file that matches broker-1 and not broker-2,
// and the banks' statements (bank-1's matches, bank-2's does not).
func (e *env) playDay(t *testing.T) {
	const sec = "600000.SH"
	e.round(
		step{"bank-1", &custodyv1.MsgBankToBroker{TransferId: "DEP-6", AccountId: "ACC-1", Amount: 100_000}},
		step{"clearing-house-1", &custodyv1.MsgEndOfDay{Date: 0, NextDate: 20250102, Instruments: []*custodyv1.Instrument{{
			Security: sec, Name: "Pudong Bank", Board: custodyv1.Board_BOARD_MAIN, ReferencePrice: 10_000,
			Cycle: custodyv1.SettlementCycle_SETTLEMENT_CYCLE_T1,
		}}}},
	)
	order := func(suffix string, price int64) step {
		m, err := client.PlaceOrderMsg(e.keys["client-1"], &custodyv1.OrderTicket{
			ChainId: e.tn.ChainID, OrderId: "ACC-1/" + suffix, AccountId: "ACC-1", Security: sec,
			Side: custodyv1.Side_SIDE_BUY, Type: custodyv1.OrderType_ORDER_TYPE_LIMIT, Price: price, Quantity: 100, BusinessDate: 20250102,
		})
		if err != nil {
			t.Fatal(err)
		}
		return step{"broker-1", m}
	}
	e.round(order("b1", 10_000), order("b2", 9_900), order("b3", 9_800))
	cancel, err := client.CancelOrderMsg(e.keys["client-1"], e.tn.ChainID, "ACC-1/b2")
	if err != nil {
		t.Fatal(err)
	}
	e.round(
		step{"broker-1", &custodyv1.MsgReportFill{ExecId: "E1", OrderId: "ACC-1/b1", Price: 10_000, Quantity: 60}},
		step{"broker-1", &custodyv1.MsgReportFill{ExecId: "E2", OrderId: "ACC-1/b1", Price: 10_000, Quantity: 40}},
		step{"broker-1", cancel},
	)
	e.round(step{"clearing-house-1", &custodyv1.MsgEndOfDay{Date: 20250102, NextDate: 20250103,
		ClosingPrices: []*custodyv1.ClosingPrice{{Security: sec, Price: 10_100}},
		TradeTotals: []*custodyv1.TradeTotals{
			{BrokerId: "broker-1", FillCount: 2, BuyValue: 10_000},
			{BrokerId: "broker-2", FillCount: 1, BuyValue: 5},
		},
	}})
	var f custodyv1.Funds
	e.do("GET", "/v1/accounts/ACC-1/funds", "regulator-1", nil, nil).record(t, &f)
	good := sha256.Sum256([]byte(fmt.Sprintf("ACC-1,%d\n", f.Balance)))
	bad := sha256.Sum256([]byte("ACC-2,1\n"))
	e.round(
		step{"bank-1", &custodyv1.MsgSubmitStatement{Date: 20250102, BrokerId: "broker-1", CustodyTotal: f.Balance, ClientCount: 1, ClientsHash: good[:]}},
		step{"bank-2", &custodyv1.MsgSubmitStatement{Date: 20250102, BrokerId: "broker-2", CustodyTotal: 1, ClientCount: 1, ClientsHash: bad[:]}},
	)
}

// listOf reads a list and returns each item's string field.
func (e *env) listOf(t *testing.T, who, path, field string) ([]string, string) {
	t.Helper()
	var l api.List
	e.do("GET", path, who, nil, nil).ok(t, &l)
	var out []string
	for _, raw := range l.Items {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(m[field]))
	}
	return out, l.NextCursor
}

// access checks the status each caller gets for path.
func (e *env) access(t *testing.T, path string, want map[string]int) {
	t.Helper()
	for who, status := range want {
		a := e.do("GET", path, who, nil, nil)
		if a.status != status {
			t.Errorf("%s GET %s: %d, want %d: %s", who, path, a.status, status, a.body)
		} else if status == http.StatusNotFound {
			// Not found or not yours: the node answers both alike.
			a.problem(t, status, "query/3")
		}
	}
	e.do("GET", path, "", nil, nil).problem(t, http.StatusUnauthorized, "api/1")
}

func (e *env) testTrading(t *testing.T) {
	e.playDay(t)
	all := func(status int) map[string]int {
		m := map[string]int{}
		for _, w := range []string{"client-1", "client-2", "broker-1", "broker-2", "bank-1", "bank-2", "regulator-1", "clearing-house-1"} {
			m[w] = status
		}
		return m
	}
	with := func(m map[string]int, ok ...string) map[string]int {
		for _, w := range ok {
			m[w] = http.StatusOK
		}
		return m
	}
	proven := func(path, who string, key []byte, out proto.Message) {
		t.Helper()
		var r api.Record
		e.do("GET", path+"?prove=true", who, nil, nil).ok(t, &r)
		if _, err := client.VerifyRESTMessage(e.ctx, e.v, key, r.Proof, out); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}

	t.Run("market data", func(t *testing.T) {
		var d custodyv1.BusinessDay
		e.do("GET", "/v1/business-day", "client-2", nil, nil).record(t, &d)
		if d.Date != 20250103 || d.PreviousDate != 20250102 {
			t.Fatalf("business day %v", &d)
		}
		proven("/v1/business-day", "client-2", trading.BusinessDayKey(), &d)
		e.access(t, "/v1/business-day", all(http.StatusOK))
		if ids, _ := e.listOf(t, "client-2", "/v1/instruments", "security"); fmt.Sprint(ids) != "[600000.SH]" {
			t.Fatalf("instruments %v", ids)
		}
		e.access(t, "/v1/instruments", all(http.StatusOK))
		var in custodyv1.Instrument
		e.do("GET", "/v1/instruments/600000.SH", "client-1", nil, nil).record(t, &in)
		if in.ReferencePrice != 10_100 {
			t.Fatalf("instrument %v: the closing price is the next reference price", &in)
		}
		proven("/v1/instruments/600000.SH", "bank-2", trading.InstrumentKey("600000.SH"), &in)
		e.access(t, "/v1/instruments/600000.SH", all(http.StatusOK))
		e.do("GET", "/v1/instruments/600001.SH", "client-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
		e.do("GET", "/v1/instruments/PUDONG", "client-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	})

	acct := with(all(http.StatusNotFound), "client-1", "broker-1", "bank-1", "regulator-1")
	t.Run("holdings", func(t *testing.T) {
		if b, _ := e.listOf(t, "client-1", "/v1/accounts/ACC-1/holdings", "balance"); fmt.Sprint(b) != "[100]" {
			t.Fatalf("holdings %v", b)
		}
		e.access(t, "/v1/accounts/ACC-1/holdings", acct)
		var h custodyv1.Holding
		e.do("GET", "/v1/accounts/ACC-1/holdings/600000.SH", "broker-1", nil, nil).record(t, &h)
		if h.Balance != 100 || h.Sellable != 100 {
			t.Fatalf("holding %v: T+1 shares are sellable the next day", &h)
		}
		proven("/v1/accounts/ACC-1/holdings/600000.SH", "client-1", trading.HoldingKey("ACC-1", "600000.SH"), &h)
		e.access(t, "/v1/accounts/ACC-1/holdings/600000.SH", acct)
		// A security not held is a zero holding. Its proof would be one of
		// absence, which shows the neighbouring records in full: only the
		// regulator gets it; the client gets "not found" with ?prove.
		var r api.Record
		e.do("GET", "/v1/accounts/ACC-1/holdings/000001.SZ", "client-1", nil, nil).ok(t, &r)
		e.do("GET", "/v1/accounts/ACC-1/holdings/000001.SZ?prove=true", "client-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
		e.do("GET", "/v1/accounts/ACC-1/holdings/000001.SZ?prove=true", "regulator-1", nil, nil).ok(t, &r)
		if p, err := client.VerifyRESTProof(e.ctx, e.v, trading.HoldingKey("ACC-1", "000001.SZ"), r.Proof); err != nil || p.Value != nil {
			t.Fatalf("proof of no holding: %v", err)
		}
		e.do("GET", "/v1/accounts/ACC-404/holdings", "regulator-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
		e.do("GET", "/v1/accounts/ACC-1/holdings/600000", "client-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	})

	t.Run("statement", func(t *testing.T) {
		var day custodyv1.BusinessDay
		e.do("GET", "/v1/business-day", "client-1", nil, nil).record(t, &day)
		path := fmt.Sprintf("/v1/accounts/ACC-1/statement?date=%d", day.PreviousDate)
		var st custodyv1.ClientStatement
		e.do("GET", path, "client-1", nil, nil).record(t, &st)
		if st.Open || st.ClosingBalance <= 0 || len(st.Entries) == 0 || len(st.Fills) == 0 ||
			len(st.Holdings) != 1 || st.Holdings[0].Security != "600000.SH" || st.Holdings[0].Quantity != 100 {
			t.Fatalf("statement of %d: %v", day.PreviousDate, &st)
		}
		bal := st.OpeningBalance
		for _, en := range st.Entries {
			bal += en.Amount
		}
		if bal != st.ClosingBalance {
			t.Fatalf("entries replay %d → %d, the statement closes at %d", st.OpeningBalance, bal, st.ClosingBalance)
		}
		e.access(t, path, acct)
		e.do("GET", fmt.Sprintf("/v1/accounts/ACC-1/statement?month=%d", day.PreviousDate/100), "bank-1", nil, nil).record(t, &st)
		if !st.Open && day.PreviousDate/100 == day.Date/100 {
			t.Fatalf("a month holding the business date is open: %v", &st)
		}
		e.do("GET", "/v1/accounts/ACC-1/statement", "client-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
		e.do("GET", "/v1/accounts/ACC-1/statement?date=2025", "client-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	})

	t.Run("orders", func(t *testing.T) {
		ids, next := e.listOf(t, "client-1", "/v1/accounts/ACC-1/orders?limit=2", "id")
		ids2, last := e.listOf(t, "client-1", "/v1/accounts/ACC-1/orders?limit=2&cursor="+next, "id")
		if fmt.Sprint(ids, ids2) != "[ACC-1/b1 ACC-1/b2] [ACC-1/b3]" || last != "" {
			t.Fatalf("order pages %v %v (%q)", ids, ids2, last)
		}
		for status, want := range map[string]string{"filled": "[ACC-1/b1]", "cancelled,expired": "[ACC-1/b2 ACC-1/b3]", "open": "[]"} {
			if ids, _ := e.listOf(t, "broker-1", "/v1/accounts/ACC-1/orders?status="+status, "id"); fmt.Sprint(ids) != want {
				t.Errorf("status %s: %v, want %s", status, ids, want)
			}
		}
		e.access(t, "/v1/accounts/ACC-1/orders", acct)
		e.do("GET", "/v1/accounts/ACC-1/orders?status=lost", "client-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
		e.do("GET", "/v1/accounts/ACC-1/orders?cursor="+encodeLedgerCursor(t, e), "client-1", nil, nil).problem(t, http.StatusBadRequest, "api/9")
		e.do("GET", "/v1/accounts/ACC-404/orders", "regulator-1", nil, nil).problem(t, http.StatusNotFound, "query/3")

		var o custodyv1.Order
		e.do("GET", "/v1/accounts/ACC-1/orders/b1", "client-1", nil, nil).record(t, &o)
		if o.Status != custodyv1.OrderStatus_ORDER_STATUS_FILLED || o.FilledQuantity != 100 || o.FillCount != 2 {
			t.Fatalf("order %v", &o)
		}
		proven("/v1/accounts/ACC-1/orders/b3", "bank-1", trading.OrderKey("ACC-1/b3"), &o)
		if o.Status != custodyv1.OrderStatus_ORDER_STATUS_EXPIRED {
			t.Fatalf("b3 %v: a day order expires at clearing", &o)
		}
		e.access(t, "/v1/accounts/ACC-1/orders/b1", acct)
		e.do("GET", "/v1/accounts/ACC-1/orders/zz", "client-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
		e.do("GET", "/v1/accounts/ACC-1/orders/b%201", "client-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")

		if ids, _ := e.listOf(t, "client-1", "/v1/accounts/ACC-1/orders/b1/fills", "exec_id"); fmt.Sprint(ids) != "[E1 E2]" {
			t.Fatalf("fills of b1 %v", ids)
		}
		e.access(t, "/v1/accounts/ACC-1/orders/b1/fills", acct)
		e.do("GET", "/v1/accounts/ACC-1/orders/zz/fills", "client-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
	})

	t.Run("fills", func(t *testing.T) {
		var f custodyv1.Fill
		e.do("GET", "/v1/fills/E1", "clearing-house-1", nil, nil).record(t, &f)
		if f.Quantity != 60 || f.AccountId != "ACC-1" || f.Value != 6_000 {
			t.Fatalf("fill %v", &f)
		}
		proven("/v1/fills/E2", "client-1", trading.FillKey("E2"), &f)
		e.access(t, "/v1/fills/E1", with(all(http.StatusNotFound), "client-1", "broker-1", "bank-1", "regulator-1", "clearing-house-1"))
		e.do("GET", "/v1/fills/E9", "regulator-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
		e.do("GET", "/v1/fills/E%201", "regulator-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")

		settlement := with(all(http.StatusNotFound), "broker-1", "regulator-1", "clearing-house-1")
		ids, next := e.listOf(t, "broker-1", "/v1/settlement/20250102/fills/broker-1?limit=1", "exec_id")
		ids2, last := e.listOf(t, "broker-1", "/v1/settlement/2025-01-02/fills/broker-1?limit=1&cursor="+next, "exec_id")
		if fmt.Sprint(ids, ids2) != "[E1] [E2]" || last != "" && last == next {
			t.Fatalf("day fills %v %v", ids, ids2)
		}
		if last != "" {
			if more, end := e.listOf(t, "broker-1", "/v1/settlement/20250102/fills/broker-1?limit=1&cursor="+last, "exec_id"); len(more) != 0 || end != "" {
				t.Fatalf("after the last fill: %v %q", more, end)
			}
		}
		e.access(t, "/v1/settlement/20250102/fills/broker-1", settlement)
		e.do("GET", "/v1/settlement/20251301/fills/broker-1", "broker-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	})

	t.Run("settlement", func(t *testing.T) {
		var r custodyv1.SettlementReport
		e.do("GET", "/v1/settlement/20250102/reports/broker-1", "broker-1", nil, nil).record(t, &r)
		if r.FillCount != 2 || r.BuyValue != 10_000 || r.SettlementBreak || r.NetObligation != 10_000 {
			t.Fatalf("report %v", &r)
		}
		proven("/v1/settlement/20250102/reports/broker-1", "clearing-house-1", clearing.ReportKey(20250102, "broker-1"), &r)
		e.access(t, "/v1/settlement/20250102/reports/broker-1", with(all(http.StatusNotFound), "broker-1", "regulator-1", "clearing-house-1"))
		e.do("GET", "/v1/settlement/20240101/reports/broker-1", "regulator-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
		e.do("GET", "/v1/settlement/20250102/reports/Broker", "regulator-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")

		brokers, _ := e.listOf(t, "clearing-house-1", "/v1/settlement/20250102/reports", "broker_id")
		own, _ := e.listOf(t, "broker-1", "/v1/settlement/20250102/reports", "broker_id")
		if fmt.Sprint(own) != "[broker-1]" || len(brokers) < 1 || brokers[0] != "broker-1" {
			t.Fatalf("reports: clearing house %v, broker-1 %v", brokers, own)
		}
		// A list shows each caller what it may read, empty for the rest.
		e.access(t, "/v1/settlement/20250102/reports", all(http.StatusOK))

		if b, _ := e.listOf(t, "clearing-house-1", "/v1/settlement/breaks", "broker_id"); fmt.Sprint(b) != "[broker-2]" {
			t.Fatalf("settlement breaks %v", b)
		}
		if b, _ := e.listOf(t, "broker-1", "/v1/settlement/breaks", "broker_id"); len(b) != 0 {
			t.Fatalf("broker-1 sees breaks %v", b)
		}
		if b, _ := e.listOf(t, "regulator-1", "/v1/settlement/breaks?since=2025-01-03", "broker_id"); len(b) != 0 {
			t.Fatalf("breaks since 2025-01-03: %v", b)
		}
		e.access(t, "/v1/settlement/breaks", all(http.StatusOK))
		e.do("GET", "/v1/settlement/breaks?since=someday", "regulator-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")
	})

	t.Run("reconciliation", func(t *testing.T) {
		var r custodyv1.ReconResult
		e.do("GET", "/v1/reconciliation/20250102/bank-1/broker-1", "bank-1", nil, nil).record(t, &r)
		if r.Status != custodyv1.ReconStatus_RECON_STATUS_MATCH {
			t.Fatalf("bank-1/broker-1 %v", &r)
		}
		proven("/v1/reconciliation/20250102/bank-2/broker-2", "broker-2", reconcile.ResultKey(20250102, "bank-2", "broker-2"), &r)
		if r.Status != custodyv1.ReconStatus_RECON_STATUS_BREAK || r.BankTotal != 1 || r.ChainTotal == 1 {
			t.Fatalf("bank-2/broker-2 %v", &r)
		}
		e.access(t, "/v1/reconciliation/20250102/bank-1/broker-1", with(all(http.StatusNotFound), "bank-1", "broker-1", "regulator-1", "clearing-house-1"))
		e.do("GET", "/v1/reconciliation/20250102/bank-1/broker-2", "regulator-1", nil, nil).problem(t, http.StatusNotFound, "query/3")
		e.do("GET", "/v1/reconciliation/2025-01-32/bank-1/broker-1", "regulator-1", nil, nil).problem(t, http.StatusBadRequest, "api/8")

		pairs := func(who, path string) string {
			var l api.List
			e.do("GET", path, who, nil, nil).ok(t, &l)
			var out []string
			for _, raw := range l.Items {
				var r custodyv1.ReconResult
				if err := protojsonUnmarshal(raw, &r); err != nil {
					t.Fatal(err)
				}
				out = append(out, r.BankId+"/"+r.BrokerId)
			}
			return fmt.Sprint(out)
		}
		for who, want := range map[string]string{"regulator-1": "[bank-1/broker-1 bank-2/broker-2]", "bank-1": "[bank-1/broker-1]", "broker-2": "[bank-2/broker-2]"} {
			if got := pairs(who, "/v1/reconciliation/20250102"); got != want {
				t.Errorf("%s sees results %s, want %s", who, got, want)
			}
		}
		for who, want := range map[string]string{"regulator-1": "[bank-2/broker-2]", "clearing-house-1": "[bank-2/broker-2]", "bank-1": "[]", "bank-2": "[bank-2/broker-2]"} {
			if got := pairs(who, "/v1/reconciliation/breaks"); got != want {
				t.Errorf("%s sees breaks %s, want %s", who, got, want)
			}
		}
		recon := all(http.StatusOK)
		e.access(t, "/v1/reconciliation/20250102", recon)
		e.access(t, "/v1/reconciliation/breaks", recon)
	})
}

// testLimits runs second servers on the same node with tight limits.
func (e *env) testLimits(t *testing.T) {
	cfg := api.DefaultConfig()
	cfg.Address = "127.0.0.1:0"
	cfg.RateLimit, cfg.RateBurst = 0.5, 3
	srv, err := api.New(cfg, api.Deps{Chain: e.c})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	base := e.base
	e.base, _ = srv.URL()
	defer func() { e.base = base }()
	for i := range 3 {
		if a := e.do("GET", "/v1/status", "client-1", nil, nil); a.status != 200 {
			t.Fatalf("request %d: %d %s", i, a.status, a.body)
		}
	}
	a := e.do("GET", "/v1/status", "client-1", nil, nil)
	a.problem(t, http.StatusTooManyRequests, "api/11")
	if a.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	// Another caller has its own bucket.
	if a := e.do("GET", "/v1/status", "client-2", nil, nil); a.status != 200 {
		t.Fatalf("another caller: %d", a.status)
	}
}

func (e *env) testAccessLog(t *testing.T) {
	tok := e.token("client-1")
	e.doToken("GET", "/v1/accounts/ACC-1?prove=false", tok, nil, nil)
	logs := e.logs()
	if strings.Contains(logs, tok) || strings.Contains(logs, strings.Split(tok, ".")[2]) {
		t.Fatal("the access log holds a token")
	}
	if !strings.Contains(logs, "caller="+e.addr("client-1")) || !strings.Contains(logs, "path=/v1/accounts/ACC-1") {
		t.Fatalf("the access log lacks the caller or path:\n%s", tail(logs, 2000))
	}
}

// volatile names the JSON members that change from run to run: heights,
// times, hashes of state and the request path stay, the rest is fixed by
// the test's keys and script.
var volatile = map[string]bool{
	"height": true, "time": true, "opened_height": true, "opened_time": true, "updated_height": true,
	"updated_time": true, "requested_height": true, "requested_time": true, "completed_height": true, "completed_time": true,
}

// normalized replaces volatile members with "<name>" so that an answer can
// be compared with a golden file.
func normalized(t *testing.T, bz []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(bz, &v); err != nil {
		t.Fatalf("%v: %s", err, bz)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if volatile[k] {
					v[k] = "<" + k + ">"
				} else {
					v[k] = walk(x)
				}
			}
		case []any:
			for i, x := range v {
				v[i] = walk(x)
			}
		}
		return v
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(walk(v)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func protojsonUnmarshal(bz []byte, m proto.Message) error { return protojson.Unmarshal(bz, m) }

func hexDecode(s string) ([]byte, error) { return hex.DecodeString(s) }

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
