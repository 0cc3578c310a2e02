package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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

func setup(t *testing.T) (*API, *store.Store, http.Handler, *[]risk.ParamVersion, *freezer) {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	var applied []risk.ParamVersion
	fz := &freezer{}
	clock := time.Date(2025, 7, 8, 2, 0, 0, 0, time.UTC)
	a, err := New(Config{Store: st, Initial: risk.ParamVersion{Version: 1, Who: "boot", Params: risk.DefaultParams()},
		Apply: func(v risk.ParamVersion) error { applied = append(applied, v); return nil }, Freezer: fz,
		Now: func() time.Time { clock = clock.Add(time.Second); return clock }})
	require.NoError(t, err)
	return a, st, a.Handler(), &applied, fz
}

func do(t *testing.T, h http.Handler, method, path string, body any) (int, map[string]any, []byte) {
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
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, m, w.Body.Bytes()
}

func TestAPI_RuleParamsAreVersionedAndValidated(t *testing.T) {
	a, _, h, applied, _ := setup(t)
	code, m, _ := do(t, h, "GET", "/v1/rules", nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, float64(1), m["version"])
	require.Equal(t, risk.DefaultParams().HashHex(), m["hash"])

	code, m, _ = do(t, h, "PUT", "/v1/rules/spoofing", map[string]any{"who": "alice", "params": map[string]any{"per_day": 4, "cancel_within": "30s"}})
	require.Equal(t, http.StatusOK, code, m)
	require.Equal(t, float64(2), m["version"])
	require.Equal(t, "alice", m["who"])
	require.Equal(t, int64(4), a.Current().Params.Spoofing.PerDay)
	require.Len(t, *applied, 1)

	// Invalid: refused, nothing changes.
	code, m, _ = do(t, h, "PUT", "/v1/rules/spoofing", map[string]any{"who": "alice", "params": map[string]any{"per_day": 0}})
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, m["error"], "spoofing.per_day")
	code, _, _ = do(t, h, "PUT", "/v1/rules/nope", map[string]any{"who": "alice", "params": map[string]any{}})
	require.Equal(t, http.StatusNotFound, code)
	code, _, _ = do(t, h, "PUT", "/v1/rules/spoofing", map[string]any{"params": map[string]any{"per_day": 5}})
	require.Equal(t, http.StatusBadRequest, code, "who is required")
	require.Equal(t, int64(2), a.Current().Version)

	code, m, _ = do(t, h, "POST", "/v1/rules/off_hours/disable", map[string]any{"who": "bob"})
	require.Equal(t, http.StatusOK, code)
	require.False(t, a.Current().Params.OffHours.Enabled)
	require.Equal(t, float64(3), m["version"])

	code, _, body := do(t, h, "GET", "/v1/rules/versions", nil)
	require.Equal(t, http.StatusOK, code)
	var vs []rulesView
	require.NoError(t, json.Unmarshal(body, &vs))
	require.Len(t, vs, 3)
	require.Equal(t, []string{"boot", "alice", "bob"}, []string{vs[0].Who, vs[1].Who, vs[2].Who})
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

	code, _, body := do(t, h, "GET", "/v1/alerts?rule=spoofing&account=A", nil)
	require.Equal(t, http.StatusOK, code)
	var got []risk.Alert
	require.NoError(t, json.Unmarshal(body, &got))
	require.Len(t, got, 2)
	code, _, _ = do(t, h, "GET", "/v1/alerts?from=yesterday", nil)
	require.Equal(t, http.StatusBadRequest, code)

	code, m, _ := do(t, h, "POST", "/v1/alerts/"+as[0].ID+"/ack", map[string]any{"who": "carol", "note": "checking"})
	require.Equal(t, http.StatusOK, code, m)
	require.Equal(t, "acknowledged", m["status"])
	code, m, _ = do(t, h, "POST", "/v1/alerts/"+as[0].ID+"/escalate", map[string]any{"who": "dave"})
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "escalated", m["status"])
	code, _, _ = do(t, h, "POST", "/v1/alerts/"+as[0].ID+"/close", map[string]any{"who": "erin"})
	require.Equal(t, http.StatusOK, code)
	code, _, _ = do(t, h, "POST", "/v1/alerts/"+as[0].ID+"/ack", map[string]any{"who": "frank"})
	require.Equal(t, http.StatusConflict, code, "closed is final")
	code, _, _ = do(t, h, "POST", "/v1/alerts/nope/ack", map[string]any{"who": "frank"})
	require.Equal(t, http.StatusNotFound, code)

	code, _, body = do(t, h, "GET", "/v1/alerts/"+as[0].ID, nil)
	require.Equal(t, http.StatusOK, code)
	var one risk.Alert
	require.NoError(t, json.Unmarshal(body, &one))
	require.Len(t, one.History, 3)
	require.Equal(t, "dave", one.History[1].Who)
	require.False(t, one.History[1].When.IsZero())

	code, m, _ = do(t, h, "POST", "/v1/freeze", map[string]any{"account": "A", "who": "carol", "reason": "spoofing", "alert_id": as[0].ID})
	require.Equal(t, http.StatusAccepted, code)
	require.Equal(t, "tx-freeze-1", m["tx_hash"])
	require.Equal(t, []string{"A/carol"}, fz.calls)
	code, _, _ = do(t, h, "POST", "/v1/freeze", map[string]any{"account": "A", "who": "carol"})
	require.Equal(t, http.StatusBadRequest, code)
	code, _, _ = do(t, h, "POST", "/v1/freeze", map[string]any{"account": "Z", "who": "carol", "reason": "x"})
	require.Equal(t, http.StatusConflict, code)

	// A key without the regulator role: the request waits for the regulator.
	code, m, _ = do(t, h, "POST", "/v1/freeze", map[string]any{"account": "B", "who": "carol", "reason": "wash trades", "alert_id": as[1].ID})
	require.Equal(t, http.StatusAccepted, code, m)
	require.Equal(t, true, m["requested"])
	require.Nil(t, m["tx_hash"])
	code, _, body = do(t, h, "GET", "/v1/freeze-requests", nil)
	require.Equal(t, http.StatusOK, code)
	var reqs []FreezeRequest
	require.NoError(t, json.Unmarshal(body, &reqs))
	require.Len(t, reqs, 1)
	require.Equal(t, FreezeRequest{Seq: 1, Account: "B", Who: "carol", Reason: "wash trades", AlertID: as[1].ID,
		When: reqs[0].When, Note: reqs[0].Note}, reqs[0])
	require.Contains(t, reqs[0].Note, "ROLE_RISK_OPERATOR")

	// Inclusion proofs: none before a batch covers the alert, then one
	// that verifies against the batch root.
	code, _, _ = do(t, h, "GET", "/v1/alerts/"+as[1].ID+"/proof", nil)
	require.Equal(t, http.StatusNotFound, code)
	batch, err := anchor.NewBatcher(st, nil, anchor.Config{}).Cut(context.Background(), t0, risk.DefaultParams(), true)
	require.NoError(t, err)
	code, _, body = do(t, h, "GET", "/v1/alerts/"+as[1].ID+"/proof", nil)
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
