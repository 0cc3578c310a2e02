package daemon_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/client/keys"
	"github.com/custody-ledger/custody/internal/testcert"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/anchor"
	"github.com/custody-ledger/custody/risk/chain"
	"github.com/custody-ledger/custody/risk/config"
	"github.com/custody-ledger/custody/risk/daemon"
	"github.com/custody-ledger/custody/risk/store"
	"github.com/custody-ledger/custody/testnet"
	"github.com/custody-ledger/custody/testnet/exchsim"
	"github.com/custody-ledger/custody/testnet/nettest"
)

// recordPcap plays the scenarios on the simulators and writes their
// traffic as a pcap (packet clock from 2024-01-02 09:30 CST).
func recordPcap(t *testing.T, path string, scs ...exchsim.Scenario) (szse, sse string, events int) {
	t.Helper()
	sim, err := exchsim.Start()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, sc := range scs {
		evs, err := sim.Run(ctx, sc, exchsim.RunOptions{Resume: true})
		if err != nil {
			t.Fatal(err)
		}
		events += len(evs)
	}
	sim.Close()
	var pc bytes.Buffer
	if _, err := exchsim.WritePcap(&pc, sim.Tap().Conns, sim.Tap().Segs, exchsim.PcapOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pc.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// What the risk core must see is what the decoder makes of the file
	// (it drops the SZSE report replays the simulated OMS asks for).
	events = 0
	if _, err := capture.DecodePcapFile(ctx, path, sim.Config(), func(*capture.Event) error { events++; return nil }); err != nil {
		t.Fatal(err)
	}
	return sim.SZSEAddr(), sim.SSEAddr(), events
}

// bearer is a fresh API token of key for the test chain.
func bearer(t *testing.T, net *nettest.Network, key ed25519.PrivateKey) string {
	t.Helper()
	tok, err := client.NewToken(key, net.Client(t, 0).ChainID(), time.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// httpc trusts the daemons' test certificate.
var httpc = http.DefaultClient

func getJSON(t *testing.T, tok, url string, v any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := httpc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return res.StatusCode
}

func send(t *testing.T, tok, method, url string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := httpc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDaemon_PcapToAnchoredAlerts runs `riskd run` in process over a
// recorded capture and a running four-node chain: onboarding groups a
// client's shareholder accounts, the alerts are anchored after the
// parameter version, a parameter change is anchored too, a withdrawal
// request reaches the engine through the ledger feed, a freeze goes through
// the regulator's key, and every stored alert verifies against the chain.
func TestDaemon_PcapToAnchoredAlerts(t *testing.T) {
	net := nettest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	pcap := filepath.Join(dir, "flow.pcap")
	szse, sse, nEvents := recordPcap(t, pcap, exchsim.Normal(), exchsim.WashTrade(), exchsim.Spoofing(), exchsim.ProgramBurst(400))

	// One client holds both SZSE wash accounts: onboarding must group
	// them (the SSE pair is grouped by the configuration).
	c := net.Client(t, 0)
	commit := client.SubmitOptions{Mode: client.ModeCommit}
	_, ck, _ := ed25519.GenerateKey(nil)
	if _, err := c.Submit(ctx, net.Keys["broker-1"], opening(t, c, ck, "C-1", "0100001111", "0100002222"), commit); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, net.Keys["bank-1"], client.ConfirmAccountMsg("C-1", ck.Public().(ed25519.PublicKey)), commit); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, net.Keys["bank-1"], &custodyv1.MsgBankToBroker{TransferId: "D1", AccountId: "C-1", Amount: 1_000_000}, commit); err != nil {
		t.Fatal(err)
	}

	// The regulator's key sits in the risk core's keyring as its freeze key.
	kr, err := keys.Open(net.TN.RiskOperatorKeyring(nettest.Operator), keys.BackendTest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.ImportKey("regulator-1", net.Keys["regulator-1"], nil); err != nil {
		t.Fatal(err)
	}
	var ws []string
	for _, w := range net.Witnesses(0) {
		ws = append(ws, fmt.Sprintf("%q", w))
	}
	cfgText := fmt.Sprintf(`
[engine]
data_dir = %q
workers = 2
checkpoint_every = 500
[anchor]
max_count = 16
max_age = "300ms"
[admin]
listen = "127.0.0.1:0"
[market]
listen = "127.0.0.1:0"
[capture]
pcap = %q
szse = [%q]
sse = [%q]
[chain]
node = %q
witnesses = [%s]
keyring = %q
keyring_backend = "test"
key = %q
freeze_key = "regulator-1"
poll = "200ms"
[[associated]]
accounts = ["A111111111", "A222222222"]
# The capture's clock is 2024 and the chain's is now: every wire fill would
# look missing from the chain (which has no trading contract yet).
[rules.wire_ledger]
enabled = false
[rules.self_trade]
per_day = 4
[rules.spoofing]
min_qty = 50000
per_day = 2
`, filepath.Join(dir, "data"), pcap, szse, sse, net.RPC(0), strings.Join(ws, ", "), net.TN.RiskOperatorKeyring(nettest.Operator), nettest.Operator)
	cfg, err := config.Parse(strings.NewReader(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan daemon.Ready, 1)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- daemon.Run(runCtx, cfg, daemon.Options{Logf: t.Logf, OnReady: func(r daemon.Ready) { ready <- r }})
	}()
	var admin string
	select {
	case r := <-ready:
		admin = "http://" + r.Admin
	case err := <-done:
		t.Fatalf("daemon stopped: %v", err)
	case <-ctx.Done():
		t.Fatal("daemon not ready")
	}

	opKey, regKey := net.Keys[nettest.Operator], net.Keys["regulator-1"]
	op := func() string { return bearer(t, net, opKey) }
	var st daemon.Status
	waitFor(t, "every captured event and a first anchored batch", time.Minute, func() bool {
		getJSON(t, op(), admin+"/v1/status", &st)
		return st.LastEventSeq == uint64(nEvents) && st.Anchored > 0 && st.AnchorError == ""
	})
	t.Logf("status %+v", st)

	// A parameter change is versioned and anchored.
	// Without a token, or with a broker's, it is refused.
	change := map[string]any{"params": map[string]any{"min_qty": 250000}}
	if code, m := send(t, "", "PUT", admin+"/v1/rules/large_order", change); code != http.StatusUnauthorized || m["code"] != "riskd/1" {
		t.Fatalf("param change without a token: %d %v", code, m)
	}
	if code, m := send(t, bearer(t, net, net.Keys["broker-1"]), "PUT", admin+"/v1/rules/large_order", change); code != http.StatusForbidden {
		t.Fatalf("param change by a broker: %d %v", code, m)
	}
	if code, m := send(t, op(), "PUT", admin+"/v1/rules/large_order", change); code != http.StatusOK {
		t.Fatalf("param change: %d %v", code, m)
	}
	who := nettest.Operator + "/" + client.Address(opKey.Public().(ed25519.PublicKey))
	waitFor(t, "the new parameter version on chain", 30*time.Second, func() bool {
		raw, err := c.QueryJSON(ctx, "anchors/"+nettest.Operator)
		return err == nil && strings.Contains(string(raw), `"version":"2"`) && strings.Contains(string(raw), `"changed_by":"`+who+`"`)
	})

	// A withdrawal request on chain reaches the engine.
	res, err := c.Submit(ctx, ck, &custodyv1.MsgRequestWithdrawal{TransferId: "C-1/W1", AccountId: "C-1", Amount: 900_000}, commit)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the ledger feed to pass the withdrawal", 30*time.Second, func() bool {
		getJSON(t, op(), admin+"/v1/status", &st)
		return st.LedgerHeight >= res.Height
	})

	// On-demand onboarding sees an account opened since the start; its
	// group joins at the next start.
	_, ck2, _ := ed25519.GenerateKey(nil)
	if _, err := c.Submit(ctx, net.Keys["broker-1"], opening(t, c, ck2, "C-2", "0100003333"), commit); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, net.Keys["bank-1"], client.ConfirmAccountMsg("C-2", ck2.Public().(ed25519.PublicKey)), commit); err != nil {
		t.Fatal(err)
	}
	if code, m := send(t, bearer(t, net, regKey), "POST", admin+"/v1/onboard", nil); code != http.StatusForbidden {
		t.Fatalf("onboard by the regulator: %d %v", code, m)
	}
	code, m := send(t, op(), "POST", admin+"/v1/onboard", nil)
	if code != http.StatusOK || m["accounts"] != float64(2) || m["proven"] != true || m["restart_needed"] != true {
		t.Fatalf("onboard: %d %v", code, m)
	}

	// A freeze asked for by the regulator, submitted with the core's
	// freeze key (the regulator's).
	code, m = send(t, bearer(t, net, regKey), "POST", admin+"/v1/freeze", map[string]any{"account": "C-1", "reason": "wash trades"})
	if code != http.StatusAccepted || m["tx_hash"] == nil {
		t.Fatalf("freeze: %d %v", code, m)
	}

	stop()
	if err := <-done; err != nil {
		t.Fatalf("daemon: %v", err)
	}

	// Every alert is in an anchored batch and verifies against the chain.
	sto, err := store.Open(filepath.Join(dir, "data"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sto.Close()
	reader, err := chain.New(ctx, net.Client(t, 1), net.Verifier(t, 2), nil, nettest.Operator)
	if err != nil {
		t.Fatal(err)
	}
	as, err := sto.ListAlerts(store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	av := reader.NewAlertVerifier()
	rules := map[string]int{}
	for _, a := range as {
		rules[a.Rule]++
		p, err := anchor.Prove(sto, a.ID)
		if err != nil {
			t.Fatalf("alert %d: %v", a.Seq, err)
		}
		if p.TxHash == "" {
			t.Fatalf("alert %d: batch %d not anchored", a.Seq, p.Batch)
		}
		if _, err := av.Verify(ctx, a, p); err != nil {
			t.Fatalf("alert %d: %v", a.Seq, err)
		}
	}
	t.Logf("%d alerts verified against the chain: %v", len(as), rules)
	for _, want := range []string{risk.RuleSelfTrade, risk.RuleOrderRate, risk.RuleSpoofing} {
		if rules[want] == 0 {
			t.Errorf("no %s alert: %v", want, rules)
		}
	}
	selfSZSE := false
	for _, a := range as {
		if a.Rule == risk.RuleSelfTrade && strings.HasPrefix(a.Accounts[0], "01") {
			selfSZSE = true
		}
	}
	if !selfSZSE {
		t.Error("no self-trade between the SZSE accounts onboarding grouped")
	}
	in, found, err := sto.LastInputOf(risk.InputLedger)
	if err != nil || !found || in.Ledger.Account != "C-1" || in.Ledger.AmountFen != 900_000 || in.Ledger.Kind != risk.LedgerWithdrawal {
		t.Fatalf("ledger input %+v %v %v", in.Ledger, found, err)
	}
	a, _, err := c.ProvenAccount(ctx, net.Verifier(t, 3), "C-1")
	if err != nil || !a.Frozen {
		t.Fatalf("account after the freeze: %v %v", a, err)
	}
}

// startDaemon runs the daemon in process and returns its admin URL and a
// stop function that waits for it.
func startDaemon(t *testing.T, ctx context.Context, cfgText string) (string, func()) {
	t.Helper()
	cfg, err := config.Parse(strings.NewReader(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- daemon.Run(runCtx, cfg, daemon.Options{Logf: func(string, ...any) {}}) }()
	admin := "http://" + cfg.Admin.Listen
	if cfg.Admin.TLSCert != "" {
		admin = "https://" + cfg.Admin.Listen
	}
	waitFor(t, "the admin API", 30*time.Second, func() bool {
		res, err := httpc.Get(admin + "/v1/status")
		if err == nil {
			res.Body.Close()
		}
		return err == nil
	})
	return admin, func() {
		stop()
		if err := <-done; err != nil {
			t.Fatalf("daemon %s: %v", admin, err)
		}
	}
}

// A standby stopped and started again resumes following where it stopped
// and ends with the leader's inputs and alerts, under the same numbers.
func TestDaemon_StandbyRestartsAndFollows(t *testing.T) {
	net := nettest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	pcap := filepath.Join(dir, "flow.pcap")
	szse, sse, nEvents := recordPcap(t, pcap, exchsim.WashTrade(), exchsim.Spoofing(), exchsim.ProgramBurst(300))
	ports, err := testnet.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	// The leader serves HTTPS; the standby pins its certificate and signs
	// its stream requests with the operator key (the same participant).
	certPath, keyPath := testcert.Write(t, dir, "leader")
	httpc = testcert.Client(t, certPath)
	defer func() { httpc = http.DefaultClient }()
	var ws []string
	for _, w := range net.Witnesses(0) {
		ws = append(ws, fmt.Sprintf("%q", w))
	}
	chainCfg := fmt.Sprintf("[chain]\nnode = %q\nwitnesses = [%s]\nkeyring = %q\nkeyring_backend = \"test\"\nkey = %q\npoll = \"200ms\"\n",
		net.RPC(0), strings.Join(ws, ", "), net.TN.RiskOperatorKeyring(nettest.Operator), nettest.Operator)
	leaderAddr, standbyAddr := fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1])
	base := "[engine]\nworkers = 3\ncheckpoint_every = 100\n[rules.self_trade]\nper_day = 2\n[rules.wire_ledger]\nenabled = false\n[[associated]]\naccounts = [\"0100001111\", \"0100002222\"]\n[standby]\ntakeover_after = \"30s\"\n" + chainCfg
	leaderCfg := base + fmt.Sprintf("[admin]\nlisten = %q\ntls_cert = %q\ntls_key = %q\n[capture]\npcap = %q\nszse = [%q]\nsse = [%q]\n", leaderAddr, certPath, keyPath, pcap, szse, sse)
	leaderCfg = strings.Replace(leaderCfg, "[engine]\n", fmt.Sprintf("[engine]\ndata_dir = %q\n", filepath.Join(dir, "leader")), 1)
	standbyCfg := base + fmt.Sprintf("[admin]\nlisten = %q\n", standbyAddr)
	standbyCfg = strings.Replace(standbyCfg, "[engine]\n", fmt.Sprintf("[engine]\ndata_dir = %q\n", filepath.Join(dir, "standby")), 1)
	standbyCfg = strings.Replace(standbyCfg, "[standby]\n", fmt.Sprintf("[standby]\nleader = %q\nleader_cert = %q\n", "https://"+leaderAddr, certPath), 1)

	op := func() string { return bearer(t, net, net.Keys[nettest.Operator]) }
	// The standby starts first and waits for its leader.
	standby, stopStandby := startDaemon(t, ctx, standbyCfg)
	leader, stopLeader := startDaemon(t, ctx, leaderCfg)
	if !strings.HasPrefix(leader, "https://") {
		t.Fatalf("leader at %s", leader)
	}
	status := func(url string) daemon.Status {
		var st daemon.Status
		getJSON(t, op(), url+"/v1/status", &st)
		return st
	}
	caughtUp := func() bool {
		l, s := status(leader), status(standby)
		return l.LastEventSeq == uint64(nEvents) && l.LastInputSeq == s.LastInputSeq && l.Alerts == s.Alerts && s.Alerts > 0
	}
	waitFor(t, "the standby to follow the capture", time.Minute, caughtUp)

	// The stream is the operator's alone: no token 401, the regulator's
	// and a broker's 403.
	for _, tc := range []struct {
		tok  string
		want int
	}{{"", http.StatusUnauthorized}, {bearer(t, net, net.Keys["regulator-1"]), http.StatusForbidden}, {bearer(t, net, net.Keys["broker-1"]), http.StatusForbidden}} {
		var p map[string]any
		if code := getJSON(t, tc.tok, leader+"/v1/stream?after=999999999", &p); code != tc.want {
			t.Fatalf("stream: %d %v, want %d", code, p, tc.want)
		}
	}
	stopStandby()

	// While the standby is down the leader takes a parameter change (an
	// input of its stream).
	before := status(leader).LastInputSeq
	if code, m := send(t, op(), "PUT", leader+"/v1/rules/large_order", map[string]any{"params": map[string]any{"min_qty": 200000}}); code != http.StatusOK {
		t.Fatalf("param change: %d %v", code, m)
	}
	waitFor(t, "the leader to take the change", 30*time.Second, func() bool { return status(leader).LastInputSeq > before })

	standby, stopStandby = startDaemon(t, ctx, standbyCfg)
	if st := status(standby); st.Role != daemon.RoleStandby {
		t.Fatalf("restarted standby: %+v", st)
	}
	waitFor(t, "the standby to catch up", time.Minute, func() bool {
		return caughtUp() && status(standby).LastInputSeq > before && status(standby).ParamsVersion == 2
	})
	code, m := send(t, op(), "PUT", standby+"/v1/rules/large_order", map[string]any{"params": map[string]any{"min_qty": 1}})
	if code != http.StatusConflict || m["code"] != "riskd/15" {
		t.Fatalf("a standby took a parameter change: %d %v", code, m)
	}
	stopStandby()
	stopLeader()

	order := func(name string) ([]string, uint64) {
		st, err := store.Open(filepath.Join(dir, name), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		as, err := st.ListAlerts(store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range as {
			out = append(out, fmt.Sprintf("%d %s %s", a.Seq, a.Rule, a.ID))
		}
		last, _ := st.LastInputSeq()
		return out, last
	}
	la, lin := order("leader")
	sa, sin := order("standby")
	// The leader's clean stop adds a final tick the standby may not have
	// received; every alert before it is the same.
	if sin > lin || lin-sin > 1 || len(la) == 0 || strings.Join(sa, "\n") != strings.Join(la[:len(sa)], "\n") || len(la)-len(sa) > 0 && sin == lin {
		t.Fatalf("standby %d inputs, alerts\n%s\nleader %d inputs, alerts\n%s", sin, strings.Join(sa, "\n"), lin, strings.Join(la, "\n"))
	}
	t.Logf("%d alerts, %d inputs on both", len(sa), sin)
}

// opening is client key k's signed request for account id at broker-1 /
// bank-1 (identity "id-<id>" under a test identity secret).
func opening(t *testing.T, c *client.Client, k ed25519.PrivateKey, id string, holders ...string) *custodyv1.MsgOpenAccount {
	t.Helper()
	secret := bytes.Repeat([]byte{3}, client.MinIdentitySecretLen)
	idHash, err1 := client.IdentityHash(secret, "id-"+id)
	cardHash, err2 := client.CardHash(secret, "card-"+id)
	m, err3 := client.OpenAccountMsg(k, &custodyv1.OpeningRequest{ChainId: c.ChainID(), AccountId: id, BrokerId: "broker-1",
		BankId: "bank-1", IdentityHash: idHash, BankCardHash: cardHash, ShareholderAccounts: holders})
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	return m
}
