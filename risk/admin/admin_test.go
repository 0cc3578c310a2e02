package admin

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/client"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/anchor"
	"github.com/custody-ledger/custody/risk/store"
)

type freezer struct{ calls []string }

// Freeze succeeds for any account but "B" (the key may not freeze: a
// request is recorded) and "Z" (the chain refuses).
func (f *freezer) Freeze(_ context.Context, account, reason, who string) (string, error) {
	f.calls = append(f.calls, account+"/"+who)
	switch account {
	case "B":
		return "", fmt.Errorf("%w: key is ROLE_RISK_OPERATOR", ErrMayNotFreeze)
	case "Z":
		return "", fmt.Errorf("%w: accounts/8", ErrFreezeRefused)
	}
	return "tx-freeze-1", nil
}

// keyring is the test's key registry: risk-1's operators (the core's own),
// a regulator, another core's operator, a broker, a disabled key.
type keyring struct {
	priv map[string]ed25519.PrivateKey
	recs map[string]*custodyv1.KeyRecord // by address
}

const testChain = "custody-test"

func newKeyring(t *testing.T) *keyring {
	t.Helper()
	kr := &keyring{priv: map[string]ed25519.PrivateKey{}, recs: map[string]*custodyv1.KeyRecord{}}
	add := func(name string, role custodyv1.Role, owner string, disabled bool) {
		_, k, err := ed25519.GenerateKey(nil)
		require.NoError(t, err)
		kr.priv[name] = k
		pub := k.Public().(ed25519.PublicKey)
		kr.recs[client.Address(pub)] = &custodyv1.KeyRecord{PubKey: pub, Role: role, Owner: owner, Disabled: disabled}
	}
	for _, n := range []string{"alice", "bob", "carol", "dave", "erin", "frank"} {
		add(n, custodyv1.Role_ROLE_RISK_OPERATOR, "risk-1", false)
	}
	add("regulator", custodyv1.Role_ROLE_REGULATOR, "regulator-1", false)
	add("other-core", custodyv1.Role_ROLE_RISK_OPERATOR, "risk-2", false)
	add("broker", custodyv1.Role_ROLE_BROKER, "broker-1", false)
	add("disabled", custodyv1.Role_ROLE_RISK_OPERATOR, "risk-1", true)
	_, stranger, _ := ed25519.GenerateKey(nil)
	kr.priv["stranger"] = stranger // signs, but the chain does not know it
	return kr
}

func (kr *keyring) Key(_ context.Context, addr string) (*custodyv1.KeyRecord, error) {
	if rec, ok := kr.recs[addr]; ok {
		return rec, nil
	}
	return nil, ErrUnknownKey.Wrapf("%s", addr)
}

func (kr *keyring) ChainID() string { return testChain }

// token is a bearer token of the named key ("" : none).
func (kr *keyring) token(t *testing.T, name string) string {
	t.Helper()
	if name == "" {
		return ""
	}
	tok, err := client.NewToken(kr.priv[name], testChain, time.Now(), 0)
	require.NoError(t, err)
	return tok
}

// who is what the API records for the named key.
func (kr *keyring) who(name string) string {
	return "risk-1/" + client.Address(kr.priv[name].Public().(ed25519.PublicKey))
}

var keys *keyring

func setup(t *testing.T) (*API, *store.Store, http.Handler, *[]risk.ParamVersion, *freezer) {
	t.Helper()
	keys = newKeyring(t)
	st, err := store.Open(t.TempDir(), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	var applied []risk.ParamVersion
	fz := &freezer{}
	clock := time.Date(2025, 7, 8, 2, 0, 0, 0, time.UTC)
	a, err := New(Config{Store: st, Initial: risk.ParamVersion{Version: 1, Who: "boot", Params: risk.DefaultParams()},
		Apply: func(v risk.ParamVersion) error { applied = append(applied, v); return nil }, Freezer: fz,
		Now:  func() time.Time { clock = clock.Add(time.Second); return clock },
		Auth: &Authenticator{Keys: keys, Operator: "risk-1"}})
	require.NoError(t, err)
	return a, st, a.Handler(), &applied, fz
}

func do(t *testing.T, h http.Handler, as, method, path string, body any) (int, map[string]any, []byte) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	if tok := keys.token(t, as); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, m, w.Body.Bytes()
}

func TestAPI_RuleParamsAreVersionedAndValidated(t *testing.T) {
	a, _, h, applied, _ := setup(t)
	code, m, _ := do(t, h, "alice", "GET", "/v1/rules", nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, float64(1), m["version"])
	require.Equal(t, risk.DefaultParams().HashHex(), m["hash"])

	code, m, _ = do(t, h, "alice", "PUT", "/v1/rules/spoofing", map[string]any{"params": map[string]any{"per_day": 4, "cancel_within": "30s"}})
	require.Equal(t, http.StatusOK, code, m)
	require.Equal(t, float64(2), m["version"])
	require.Equal(t, keys.who("alice"), m["who"])
	require.Equal(t, int64(4), a.Current().Params.Spoofing.PerDay)
	require.Len(t, *applied, 1)

	// Invalid: refused, nothing changes.
	code, m, _ = do(t, h, "alice", "PUT", "/v1/rules/spoofing", map[string]any{"params": map[string]any{"per_day": 0}})
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, m["detail"], "spoofing.per_day")
	require.Equal(t, "riskd/10", m["code"])
	code, _, _ = do(t, h, "alice", "PUT", "/v1/rules/nope", map[string]any{"params": map[string]any{}})
	require.Equal(t, http.StatusNotFound, code)
	code, m, _ = do(t, h, "alice", "PUT", "/v1/rules/spoofing", map[string]any{"who": "mallory", "params": map[string]any{"per_day": 5}})
	require.Equal(t, http.StatusBadRequest, code, "who comes from the token, never the body")
	require.Contains(t, m["detail"], "bearer token")
	require.Equal(t, int64(2), a.Current().Version)

	code, m, _ = do(t, h, "bob", "POST", "/v1/rules/off_hours/disable", map[string]any{})
	require.Equal(t, http.StatusOK, code)
	require.False(t, a.Current().Params.OffHours.Enabled)
	require.Equal(t, float64(3), m["version"])

	code, _, body := do(t, h, "alice", "GET", "/v1/rules/versions", nil)
	require.Equal(t, http.StatusOK, code)
	var vs []rulesView
	require.NoError(t, json.Unmarshal(body, &vs))
	require.Len(t, vs, 3)
	require.Equal(t, []string{"boot", keys.who("alice"), keys.who("bob")}, []string{vs[0].Who, vs[1].Who, vs[2].Who})
	require.Len(t, *applied, 2)
}

func TestAPI_AlertsListAckEscalateFreeze(t *testing.T) {
	_, st, h, _, fz := setup(t)
	t0 := time.Date(2025, 7, 8, 2, 0, 0, 0, time.UTC)
	var as []risk.Alert
	for i, r := range []string{risk.RuleSpoofing, risk.RuleLargeOrder, risk.RuleSpoofing} {
		a := risk.Alert{Rule: r, Severity: risk.SeverityHigh, Accounts: []string{[]string{"A", "B", "A"}[i]}, Time: t0.Add(time.Duration(i) * time.Minute), Evidence: []string{risk.EventRef(uint64(i))}}
		a.ID = risk.AlertID(a.Rule, a.Accounts, "", a.Evidence)
		as = append(as, a)
	}
	_, err := st.PutAlerts(as)
	require.NoError(t, err)

	code, _, body := do(t, h, "alice", "GET", "/v1/alerts?rule=spoofing&account=A", nil)
	require.Equal(t, http.StatusOK, code)
	var got []risk.Alert
	require.NoError(t, json.Unmarshal(body, &got))
	require.Len(t, got, 2)
	code, _, _ = do(t, h, "alice", "GET", "/v1/alerts?from=yesterday", nil)
	require.Equal(t, http.StatusBadRequest, code)

	code, m, _ := do(t, h, "carol", "POST", "/v1/alerts/"+as[0].ID+"/ack", map[string]any{"note": "checking"})
	require.Equal(t, http.StatusOK, code, m)
	require.Equal(t, "acknowledged", m["status"])
	code, m, _ = do(t, h, "dave", "POST", "/v1/alerts/"+as[0].ID+"/escalate", map[string]any{})
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "escalated", m["status"])
	code, _, _ = do(t, h, "erin", "POST", "/v1/alerts/"+as[0].ID+"/close", map[string]any{})
	require.Equal(t, http.StatusOK, code)
	code, _, _ = do(t, h, "frank", "POST", "/v1/alerts/"+as[0].ID+"/ack", map[string]any{})
	require.Equal(t, http.StatusConflict, code, "closed is final")
	code, _, _ = do(t, h, "frank", "POST", "/v1/alerts/nope/ack", map[string]any{})
	require.Equal(t, http.StatusNotFound, code)

	code, _, body = do(t, h, "alice", "GET", "/v1/alerts/"+as[0].ID, nil)
	require.Equal(t, http.StatusOK, code)
	var one risk.Alert
	require.NoError(t, json.Unmarshal(body, &one))
	require.Len(t, one.History, 3)
	require.Equal(t, keys.who("dave"), one.History[1].Who)
	require.False(t, one.History[1].When.IsZero())

	code, m, _ = do(t, h, "carol", "POST", "/v1/freeze", map[string]any{"account": "A", "reason": "spoofing", "alert_id": as[0].ID})
	require.Equal(t, http.StatusAccepted, code)
	require.Equal(t, "tx-freeze-1", m["tx_hash"])
	require.Equal(t, []string{"A/" + keys.who("carol")}, fz.calls)
	code, _, _ = do(t, h, "carol", "POST", "/v1/freeze", map[string]any{"account": "A"})
	require.Equal(t, http.StatusBadRequest, code)
	code, _, _ = do(t, h, "carol", "POST", "/v1/freeze", map[string]any{"account": "Z", "reason": "x"})
	require.Equal(t, http.StatusConflict, code)

	// A key without the regulator role: the request waits for the regulator.
	code, m, _ = do(t, h, "carol", "POST", "/v1/freeze", map[string]any{"account": "B", "reason": "wash trades", "alert_id": as[1].ID})
	require.Equal(t, http.StatusAccepted, code, m)
	require.Equal(t, true, m["requested"])
	require.Nil(t, m["tx_hash"])
	code, _, body = do(t, h, "alice", "GET", "/v1/freeze-requests", nil)
	require.Equal(t, http.StatusOK, code)
	var reqs []FreezeRequest
	require.NoError(t, json.Unmarshal(body, &reqs))
	require.Len(t, reqs, 1)
	require.Equal(t, FreezeRequest{Seq: 1, Account: "B", Who: keys.who("carol"), Reason: "wash trades", AlertID: as[1].ID,
		When: reqs[0].When, Note: reqs[0].Note}, reqs[0])
	require.Contains(t, reqs[0].Note, "ROLE_RISK_OPERATOR")

	// Inclusion proofs: none before a batch covers the alert, then one
	// that verifies against the batch root.
	code, _, _ = do(t, h, "alice", "GET", "/v1/alerts/"+as[1].ID+"/proof", nil)
	require.Equal(t, http.StatusNotFound, code)
	batch, err := anchor.NewBatcher(st, nil, anchor.Config{}).Cut(context.Background(), t0, risk.DefaultParams(), true)
	require.NoError(t, err)
	code, _, body = do(t, h, "alice", "GET", "/v1/alerts/"+as[1].ID+"/proof", nil)
	require.Equal(t, http.StatusOK, code)
	var ap AlertProof
	require.NoError(t, json.Unmarshal(body, &ap))
	require.NoError(t, anchor.VerifyAlert(ap.Alert, ap.Proof, batch.Root))
}

func TestAPI_RestartKeepsNewestVersion(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	require.NoError(t, err)
	a, err := New(Config{Store: st, Initial: risk.ParamVersion{Version: 1, Who: "boot", Params: risk.DefaultParams()}})
	require.NoError(t, err)
	_, err = a.change("alice", "", func(p *risk.Params) error { p.OrderRate.PerSecond = 250; return nil })
	require.NoError(t, err)
	require.NoError(t, st.Close())
	st, err = store.Open(dir, store.Options{})
	require.NoError(t, err)
	defer st.Close()
	a, err = New(Config{Store: st, Initial: risk.ParamVersion{Version: 1, Who: "boot", Params: risk.DefaultParams()}})
	require.NoError(t, err)
	require.Equal(t, int64(2), a.Current().Version)
	require.Equal(t, int64(250), a.Current().Params.OrderRate.PerSecond)
}

// Reference: issue #11 part 6. No token is 401, a key the chain does not
// know or has disabled is 401, a role that does not reach the route is 403,
// and every error answer is problem+json with a riskd code.
func TestAPI_AuthenticatesEveryRouteByRole(t *testing.T) {
	_, _, h, _, _ := setup(t)
	read := [][2]string{{"GET", "/v1/rules"}, {"GET", "/v1/rules/versions"}, {"GET", "/v1/alerts"}, {"GET", "/v1/freeze-requests"}}
	write := [][2]string{{"PUT", "/v1/rules/spoofing"}, {"POST", "/v1/rules/spoofing/disable"}, {"POST", "/v1/alerts/x/ack"}}
	for _, tc := range []struct {
		who        string
		read, writ int
		code       string
	}{
		{"", http.StatusUnauthorized, http.StatusUnauthorized, "riskd/1"},
		{"stranger", http.StatusUnauthorized, http.StatusUnauthorized, "riskd/5"},
		{"disabled", http.StatusUnauthorized, http.StatusUnauthorized, "riskd/6"},
		{"broker", http.StatusForbidden, http.StatusForbidden, "riskd/7"},
		{"other-core", http.StatusForbidden, http.StatusForbidden, "riskd/7"},
		{"regulator", http.StatusOK, http.StatusForbidden, "riskd/7"},
	} {
		t.Run(tc.who, func(t *testing.T) {
			for _, r := range append(read, write...) {
				want := tc.read
				if r[0] != "GET" {
					want = tc.writ
				}
				// An empty params object: the body is checked only after
				// the caller.
				code, m, _ := do(t, h, tc.who, r[0], r[1], map[string]any{"params": map[string]any{"per_day": 0}})
				require.Equal(t, want, code, "%s %s", r[0], r[1])
				if code >= 400 {
					require.Equal(t, tc.code, m["code"], "%s %s: %v", r[0], r[1], m)
				}
			}
		})
	}
	// The regulator asks for freezes; a broker does not.
	code, _, _ := do(t, h, "regulator", "POST", "/v1/freeze", map[string]any{"account": "A", "reason": "r"})
	require.Equal(t, http.StatusAccepted, code)
	code, _, _ = do(t, h, "broker", "POST", "/v1/freeze", map[string]any{"account": "A", "reason": "r"})
	require.Equal(t, http.StatusForbidden, code)

	// A token for another chain, and a body over the bound.
	req := httptest.NewRequest("GET", "/v1/rules", nil)
	tok, _ := client.NewToken(keys.priv["alice"], "other-chain", time.Now(), 0)
	req.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	require.Equal(t, http.StatusUnauthorized, w.Code)
	require.Equal(t, ProblemContentType, w.Header().Get("Content-Type"))
	require.Contains(t, w.Header().Get("WWW-Authenticate"), "Bearer")
	big := bytes.Repeat([]byte(" "), MaxBodyBytes+1)
	req = httptest.NewRequest("PUT", "/v1/rules/spoofing", bytes.NewReader(append(big, []byte(`{"params":{}}`)...)))
	req.Header.Set("Authorization", "Bearer "+keys.token(t, "alice"))
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	require.Equal(t, http.StatusRequestEntityTooLarge, w.Code, w.Body.String())
	code, m, _ := do(t, h, "alice", "GET", "/v1/nothing", nil)
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, "riskd/20", m["code"])
}

// Without a chain nothing can check a token: every route answers 503.
func TestAPI_WithoutChainRefusesEverything(t *testing.T) {
	keys = newKeyring(t)
	st, err := store.Open(t.TempDir(), store.Options{})
	require.NoError(t, err)
	defer st.Close()
	a, err := New(Config{Store: st, Initial: risk.ParamVersion{Version: 1, Who: "boot", Params: risk.DefaultParams()}})
	require.NoError(t, err)
	code, m, _ := do(t, a.Handler(), "alice", "GET", "/v1/rules", nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "riskd/17", m["code"])
}

// Every problem code is listed in docs/risk.md with its status, and no
// two errors share a code.
func TestErrors_DocumentedInRiskMD(t *testing.T) {
	doc, err := os.ReadFile("../../docs/risk.md")
	require.NoError(t, err)
	seen := map[uint32]bool{}
	for _, e := range Errors {
		require.False(t, seen[e.Code], "code %d twice", e.Code)
		seen[e.Code] = true
		row := fmt.Sprintf("| `riskd/%d` | %d |", e.Code, e.Status)
		require.Contains(t, string(doc), row, "docs/risk.md lacks %s (%s)", row, e.Title)
	}
}
