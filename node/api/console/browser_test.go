package console_test

// The console in a real browser: headless Chromium (Debian's chromium,
// driven over the DevTools protocol by chromedp) against a four-node
// network with the REST server, signing in as the regulator and as a
// client with tokens of their own keys and checking what each sees and
// does not see. With CONSOLE_SCREENSHOTS=DIR (make console-screenshots)
// it saves each view as a PNG there; otherwise they go to a temp dir.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/node/api"
	"github.com/custody-ledger/custody/node/api/console"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/admin"
	"github.com/custody-ledger/custody/risk/anchor"
	"github.com/custody-ledger/custody/risk/chain"
	"github.com/custody-ledger/custody/risk/config"
	"github.com/custody-ledger/custody/risk/store"
	"github.com/custody-ledger/custody/testnet/nettest"
)

// chromium finds the browser, or skips saying how to install it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium on PATH: `make browser-deps` installs Debian's chromium (the browser tests need it)")
	return ""
}

type world struct {
	t    *testing.T
	ctx  context.Context
	c    *client.Client
	keys map[string]ed25519.PrivateKey
	base string // the REST server, http://127.0.0.1:port
}

type step struct {
	who string
	msg proto.Message
}

// round submits every step and waits until all are in blocks.
func (w *world) round(steps ...step) {
	w.t.Helper()
	var hashes [][]byte
	for _, s := range steps {
		r, err := w.c.Submit(w.ctx, w.keys[s.who], s.msg, client.SubmitOptions{})
		if err != nil {
			w.t.Fatalf("%s %T: %v", s.who, s.msg, err)
		}
		hashes = append(hashes, r.Hash)
	}
	for _, h := range hashes {
		if _, err := w.c.WaitTx(w.ctx, h); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *world) token(who string) string {
	w.t.Helper()
	tok, err := client.NewToken(w.keys[who], w.c.ChainID(), time.Now(), 5*time.Minute)
	if err != nil {
		w.t.Fatal(err)
	}
	return tok
}

// setup plays a small day: two clients of broker-1 at bank-1, money in,
// a business day closed, and a bank statement that breaks.
func (w *world) setup(chainID string) {
	t := w.t
	for _, n := range []string{"client-1", "client-2"} {
		w.keys[n] = ed25519.NewKeyFromSeed(bytes.Repeat([]byte(n[len(n)-1:]), 32))
	}
	open := func(broker, bank, acct, who string) proto.Message {
		secret := bytes.Repeat([]byte{7}, client.MinIdentitySecretLen)
		idHash, err1 := client.IdentityHash(secret, "id-"+acct)
		cardHash, err2 := client.CardHash(secret, "card-"+acct)
		m, err3 := client.OpenAccountMsg(w.keys[who], &custodyv1.OpeningRequest{
			ChainId: chainID, AccountId: acct, BrokerId: broker, BankId: bank,
			IdentityHash: idHash, BankCardHash: cardHash, ShareholderAccounts: []string{"A123456789"},
		})
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		return m
	}
	confirm := func(acct, who string) proto.Message {
		return client.ConfirmAccountMsg(acct, w.keys[who].Public().(ed25519.PublicKey))
	}
	w.round(
		step{"broker-1", open("broker-1", "bank-1", "ACC-1", "client-1")},
		step{"broker-1", open("broker-1", "bank-1", "ACC-2", "client-2")},
	)
	w.round(step{"bank-1", confirm("ACC-1", "client-1")}, step{"bank-1", confirm("ACC-2", "client-2")})
	w.round(
		step{"bank-1", &custodyv1.MsgBankToBroker{TransferId: "DEP-1", AccountId: "ACC-1", Amount: 1_234_500}},
		step{"bank-1", &custodyv1.MsgBankToBroker{TransferId: "DEP-2", AccountId: "ACC-1", Amount: 50_000}},
		step{"bank-1", &custodyv1.MsgBankToBroker{TransferId: "DEP-3", AccountId: "ACC-2", Amount: 700_000}},
		step{"clearing-house-1", &custodyv1.MsgEndOfDay{Date: 0, NextDate: 20250102}},
	)
	w.round(step{"clearing-house-1", &custodyv1.MsgEndOfDay{Date: 20250102, NextDate: 20250103}})
	// The bank's statement is one fen short of the ledger: a break.
	stmt := sha256.Sum256([]byte("ACC-1,1284500\nACC-2,699999\n"))
	w.round(step{"bank-1", &custodyv1.MsgSubmitStatement{Date: 20250102, BrokerId: "broker-1", CustodyTotal: 1_984_499, ClientCount: 2, ClientsHash: stmt[:]}})
}

func TestConsoleInBrowser(t *testing.T) {
	net := nettest.Start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	c := net.Client(t, 0)
	riskAdmin := startRiskCore(t, ctx, net)
	cfg := api.DefaultConfig()
	cfg.Address = "tcp://127.0.0.1:0"
	cfg.RiskAdminURL = riskAdmin
	srv, err := api.New(cfg, api.Deps{Chain: c})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	base, err := srv.URL()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: ctx, c: c, keys: map[string]ed25519.PrivateKey{}, base: base}
	for id, k := range net.Keys {
		w.keys[id] = k
	}
	w.setup(net.TN.ChainID)
	w.checkVerify() // the proof check needs no browser
	browser := chromium(t)

	shots := os.Getenv("CONSOLE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()

	// session runs one signed-in browser tab as who.
	session := func(who string, body func(b *tab)) {
		t.Helper()
		bctx, bcancel := chromedp.NewContext(actx)
		defer bcancel()
		b := &tab{t: t, ctx: bctx, shots: shots}
		b.do(chromedp.Navigate(base+"/ui/"),
			chromedp.WaitVisible(chromedp.ID("token")),
			chromedp.SetValue(chromedp.ID("token"), w.token(who)),
			chromedp.Click(chromedp.ID("signin-btn")),
			chromedp.WaitVisible(chromedp.ID("tabs")))
		body(b)
		b.do(chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("signin")))
		stored := run(b, chromedp.Evaluate[string](`sessionStorage.getItem("custody-console-token") || ""`))
		if stored != "" {
			t.Errorf("%s: the token is still in sessionStorage after sign-out", who)
		}
	}

	session("regulator-1", func(b *tab) {
		b.waitText("#who-role", "regulator")
		b.waitText("#net-invariants", "Every invariant holds")
		b.waitText("#net-validators", "bank-1")
		b.waitText("#net-status", "height")
		time.Sleep(7 * time.Second) // let the chart gather a few polls
		b.shot("network.png")
		b.tab("custody")
		b.waitText("#custody-totals", "19,845.00") // bank-1 × broker-1
		b.waitText("#custody-supply", "19,845.00")
		b.waitText("#custody-totals", "✓ verified at h")
		b.shot("custody.png")
		b.tab("account")
		b.do(chromedp.SetValue(chromedp.ID("account-id"), "ACC-2"), chromedp.Click(chromedp.CSS("#account-form button")))
		b.waitText("#account-view", "7,000.00")
		b.waitText("#account-view", "✓ verified at h")
		b.tab("settlement")
		b.waitText("#rec-breaks", "bank-1")
		b.waitText("#set-reports", "broker-1")
		b.shot("settlement.png")
		b.tab("surveillance")
		b.waitText("#surv-anchors", "1–3")
		b.waitText("#surv-alerts", "4 alert(s): off_hours 3, spoofing 1")
		b.waitText("#surv-alerts", "✓ in batch 1")
		b.waitText("#surv-alerts", "not anchored yet") // the fourth alert's batch is not on chain
		b.waitText("#surv-params", "console test")
		b.shot("surveillance.png")
		b.do(chromedp.SetValue(chromedp.ID("alert-rule"), "spoofing"), chromedp.Click(chromedp.CSS("#alert-form button")))
		b.waitText("#surv-alerts", "1 alert(s): spoofing 1")
	})

	session("client-1", func(b *tab) {
		b.waitText("#who-role", "client")
		b.waitText("#who-owner", "ACC-1")
		b.waitText("#account-view", "12,845.00") // its own funds, opened at sign-in
		b.waitText("#account-view", "✓ verified at h")
		b.waitText("#account-view", "bank-1/DEP-2")
		b.shot("client-account.png")
		// Another client's account: refused, and nothing of it is drawn.
		b.do(chromedp.SetValue(chromedp.ID("account-id"), "ACC-2"), chromedp.Click(chromedp.CSS("#account-form button")))
		b.waitText("#account-view", "Not")
		if s := b.text("#account-view"); strings.Contains(s, "7,000.00") || strings.Contains(s, "DEP-3") {
			t.Errorf("client-1 sees ACC-2: %q", s)
		}
		// Network-wide figures are for institutions.
		b.tab("network")
		b.waitText("#net-invariants", "Not found, or not yours to read.")
		b.tab("custody")
		b.waitText("#custody-supply", "Not found, or not yours to read.")
		b.waitText("#custody-totals", "No custody total is readable")
		b.shot("client-custody.png")
		b.tab("settlement")
		b.waitText("#rec-breaks", "None.") // a list holds only what the reader may read
		if s := b.text("#rec-breaks"); strings.Contains(s, "bank-1") {
			t.Errorf("client-1 sees the reconciliation breaks: %q", s)
		}
		// The risk core refuses a client's token; the node relays the refusal.
		b.tab("surveillance")
		b.waitText("#surv-alerts", "not readable by this core") // riskd cannot read a client's key: 401
		b.waitText("#surv-anchors", "Not")
		if s := b.text("#surv-alerts"); strings.Contains(s, "spoofing") {
			t.Errorf("client-1 sees alerts: %q", s)
		}
	})
}

// tab is one browser tab.
type tab struct {
	t       *testing.T
	ctx     context.Context
	shots   string
	started bool
}

// do runs actions in the tab, each step bounded (the first call starts
// the browser, so the tab's own context carries no timeout).
func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	run(b, chromedp.Steps(actions...))
}

// run runs one action that answers a value.
func run[T any](b *tab, a chromedp.Action[T]) T {
	b.t.Helper()
	if !b.started {
		if err := chromedp.Do(b.ctx); err != nil {
			b.t.Fatal(err)
		}
		b.started = true
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	return run(b, chromedp.Text(chromedp.CSS(sel)))
}

// waitText waits until the element's text holds want (the page loads
// asynchronously), failing with what it last showed.
func (b *tab) waitText(sel, want string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := b.text(sel)
		if strings.Contains(s, want) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s never showed %q; it shows %q", sel, want, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (b *tab) tab(name string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(`#tabs button[data-tab="` + name + `"]`)))
}

func (b *tab) shot(name string) {
	b.t.Helper()
	png := run(b, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.shots, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// checkVerify: POST /ui/verify says verified for the proof the API sent,
// not verified for the same proof over a changed value or claiming
// another app hash, and answers 401 without a token.
func (w *world) checkVerify() {
	t := w.t
	get := func(path string) map[string]json.RawMessage {
		req, _ := http.NewRequestWithContext(w.ctx, http.MethodGet, w.base+path, nil)
		req.Header.Set("Authorization", "Bearer "+w.token("regulator-1"))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]json.RawMessage
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, res.StatusCode, err)
		}
		return out
	}
	post := func(proof map[string]any, withToken bool) (int, console.Verification) {
		bz, _ := json.Marshal(proof)
		req, _ := http.NewRequestWithContext(w.ctx, http.MethodPost, w.base+"/ui/verify", bytes.NewReader(bz))
		if withToken {
			req.Header.Set("Authorization", "Bearer "+w.token("regulator-1"))
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var v console.Verification
		_ = json.NewDecoder(res.Body).Decode(&v)
		return res.StatusCode, v
	}
	fresh := func() map[string]any {
		var p map[string]any
		if err := json.Unmarshal(get("/v1/accounts/ACC-1/funds?prove=true")["proof"], &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if code, v := post(fresh(), true); code != http.StatusOK || !v.Verified {
		t.Fatalf("the API's own proof: %d %+v", code, v)
	}
	p := fresh()
	val, _ := base64.StdEncoding.DecodeString(p["value"].(string))
	val[len(val)-1] ^= 1
	p["value"] = base64.StdEncoding.EncodeToString(val)
	if _, v := post(p, true); v.Verified {
		t.Errorf("a changed value verified: %+v", v)
	}
	p = fresh()
	p["app_hash"] = strings.Repeat("AB", 32)
	if _, v := post(p, true); v.Verified || !strings.Contains(v.Reason, "committed header has") {
		t.Errorf("a claimed app hash not the header's: %+v", v)
	}
	if code, _ := post(fresh(), false); code != http.StatusUnauthorized {
		t.Errorf("POST /ui/verify without a token: %d, want 401", code)
	}
	// The risk relay: an anonymous caller does not reach riskd, and only
	// its read routes are relayed.
	status := func(method, path, who string) int {
		req, _ := http.NewRequestWithContext(w.ctx, method, w.base+path, nil)
		if who != "" {
			req.Header.Set("Authorization", "Bearer "+w.token(who))
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, c := range []struct {
		method, path, who string
		want              int
	}{
		{"GET", "/ui/risk/v1/alerts", "", http.StatusUnauthorized},
		{"GET", "/ui/risk/v1/alerts", "regulator-1", http.StatusOK},
		{"GET", "/ui/risk/v1/alerts", "broker-1", http.StatusForbidden}, // riskd's own refusal
		{"POST", "/ui/risk/v1/freeze", "regulator-1", http.StatusNotFound},
		{"GET", "/ui/risk/v1/stream", "regulator-1", http.StatusNotFound},
	} {
		if got := status(c.method, c.path, c.who); got != c.want {
			t.Errorf("%s %s as %q: %d, want %d", c.method, c.path, c.who, got, c.want)
		}
	}
}

// startRiskCore gives the network a real risk core's admin API: a badger
// store with four alerts, three of them in a batch anchored on chain by
// the risk operator (the fourth's batch is cut but never anchored), one
// parameter version, and the admin API authenticating with on-chain keys.
// It answers the API's address.
func startRiskCore(t *testing.T, ctx context.Context, net *nettest.Network) string {
	t.Helper()
	dir := t.TempDir()
	var ws []string
	for _, w := range net.Witnesses(0) {
		ws = append(ws, fmt.Sprintf("%q", w))
	}
	cfgPath := filepath.Join(dir, "risk.toml")
	toml := fmt.Sprintf("[engine]\ndata_dir = %q\n[chain]\nnode = %q\nwitnesses = [%s]\nkeyring = %q\nkeyring_backend = \"test\"\nkey = %q\n",
		filepath.Join(dir, "data"), net.RPC(0), strings.Join(ws, ", "), net.TN.RiskOperatorKeyring(nettest.Operator), nettest.Operator)
	if err := os.WriteFile(cfgPath, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := chain.Connect(ctx, cfg.Chain, chain.ConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	st, err := store.Open(filepath.Join(dir, "data"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t0 := time.Date(2025, 1, 2, 1, 30, 0, 0, time.UTC)
	alert := func(i int, rule string) risk.Alert {
		a := risk.Alert{Rule: rule, Severity: risk.SeverityLow, Accounts: []string{"ACC-1"},
			Time: t0.Add(time.Duration(i) * time.Second), Evidence: []string{risk.EventRef(uint64(i + 1))}, Detail: "console test " + rule}
		a.ID = risk.AlertID(a.Rule, a.Accounts, "", a.Evidence)
		return a
	}
	if _, err := st.PutAlerts([]risk.Alert{alert(0, risk.RuleOffHours), alert(1, risk.RuleSpoofing), alert(2, risk.RuleOffHours)}); err != nil {
		t.Fatal(err)
	}
	params := risk.DefaultParams()
	v1 := risk.ParamVersion{Version: 1, Who: "console test", When: t0, Params: params}
	if err := st.PutParamVersion(v1); err != nil {
		t.Fatal(err)
	}
	if err := conn.AnchorParams(ctx, v1); err != nil {
		t.Fatal(err)
	}
	if _, err := anchor.NewBatcher(st, conn, anchor.Config{}).Cut(ctx, t0, params, true); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutAlerts([]risk.Alert{alert(3, risk.RuleOffHours)}); err != nil {
		t.Fatal(err)
	}
	if _, err := anchor.NewBatcher(st, nil, anchor.Config{}).Cut(ctx, t0, params, true); err != nil {
		t.Fatal(err)
	}
	adm, err := admin.New(admin.Config{Store: st, Initial: v1,
		Auth: &admin.Authenticator{Keys: chain.NewKeyRegistry(conn.Chain, nil), Operator: conn.Operator()}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(adm.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestConsoleOnRunningNetwork drives the console of a network that is
// already running, such as `make demo` after its day: CONSOLE_URL is the
// console (http://127.0.0.1:PORT/ui/) and CONSOLE_TOKEN a regulator's
// token (custodycli token --from regulator-1). It checks that the
// invariants hold, a reconciliation break and alerts with proven
// inclusion show, and saves demo-*.png under CONSOLE_SCREENSHOTS. It
// skips unless both are set.
func TestConsoleOnRunningNetwork(t *testing.T) {
	url, token := os.Getenv("CONSOLE_URL"), os.Getenv("CONSOLE_TOKEN")
	if url == "" || token == "" {
		t.Skip("set CONSOLE_URL and CONSOLE_TOKEN to drive a running network's console")
	}
	browser := chromium(t)
	shots := os.Getenv("CONSOLE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	b := &tab{t: t, ctx: bctx, shots: shots}
	b.do(chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SetValue(chromedp.ID("token"), token), chromedp.Click(chromedp.ID("signin-btn")),
		chromedp.WaitVisible(chromedp.ID("tabs")))
	b.waitText("#net-invariants", "Every invariant holds")
	time.Sleep(7 * time.Second)
	b.shot("demo-network.png")
	b.tab("settlement")
	b.waitText("#rec-breaks", "RECON_STATUS_BREAK")
	b.shot("demo-settlement.png")
	b.tab("surveillance")
	b.waitText("#surv-alerts", "spoofing")
	b.waitText("#surv-alerts", "✓ in batch")
	b.shot("demo-surveillance.png")
}
