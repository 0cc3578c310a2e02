package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/custody-ledger/custody/capture/source"
	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/internal/testcert"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/admin"
	"github.com/custody-ledger/custody/risk/anchor"
	"github.com/custody-ledger/custody/risk/chain"
	"github.com/custody-ledger/custody/risk/config"
	"github.com/custody-ledger/custody/risk/daemon"
	"github.com/custody-ledger/custody/risk/store"
	"github.com/custody-ledger/custody/testnet"
	"github.com/custody-ledger/custody/testnet/exchsim"
	"github.com/custody-ledger/custody/testnet/nettest"
)

// asMain makes the test binary run as riskd itself, so that the end-to-end
// test can start, kill and restart real riskd processes.
const asMain = "RISKD_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// syncBuffer collects a child's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// statusSource is a risk core whose admin API answers /v1/status.
type statusSource struct {
	name  string
	admin string // http(s)://host:port
}

// e2eToken makes the bearer token status requests carry; e2eClient trusts
// the test certificates of the cores that serve HTTPS.
var (
	e2eToken  func() string
	e2eClient = &http.Client{Timeout: 2 * time.Second}
)

func (s statusSource) status() (daemon.Status, error) {
	var st daemon.Status
	req, err := http.NewRequest("GET", s.admin+"/v1/status", nil)
	if err != nil {
		return st, err
	}
	if e2eToken != nil {
		req.Header.Set("Authorization", "Bearer "+e2eToken())
	}
	res, err := e2eClient.Do(req)
	if err != nil {
		return st, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return st, fmt.Errorf("%s: %s", s.name, res.Status)
	}
	return st, json.NewDecoder(res.Body).Decode(&st)
}

// proc is a riskd child process.
type proc struct {
	statusSource
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
}

func startRiskd(t *testing.T, name, cfgPath, admin string) *proc {
	t.Helper()
	p := &proc{statusSource: statusSource{name, "https://" + admin}, logs: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(os.Args[0], "run", "--config", cfgPath)
	p.cmd.Env = append(os.Environ(), asMain+"=1")
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("--- %s (pid %d) log ---\n%s", name, p.cmd.Process.Pid, p.logs.String())
		}
	})
	return p
}

func (p *proc) kill(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("%s: %v\n%s", p.name, err, p.logs.String())
		}
	case <-time.After(45 * time.Second):
		t.Fatalf("%s did not stop", p.name)
	}
}

// waitUntil polls cond every 100 ms until it holds or the timeout passes.
func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, note := cond()
		if ok {
			return
		}
		if note != "" {
			last = note
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (%s)", what, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitRole(t *testing.T, s statusSource, role daemon.Role, timeout time.Duration) {
	t.Helper()
	waitUntil(t, s.name+" to be "+string(role), timeout, func() (bool, string) {
		st, err := s.status()
		if err != nil {
			return false, err.Error()
		}
		return st.Role == role, fmt.Sprintf("%+v", st)
	})
}

// waitQuiet waits until every source has taken the same number of events
// (more than before) and none moved for a second: the traffic of a phase is
// in every store.
func waitQuiet(t *testing.T, before uint64, srcs ...statusSource) uint64 {
	t.Helper()
	var (
		last  []daemon.Status
		since time.Time
	)
	waitUntil(t, "the phase's events everywhere", 90*time.Second, func() (bool, string) {
		var cur []daemon.Status
		for _, s := range srcs {
			st, err := s.status()
			if err != nil {
				return false, s.name + ": " + err.Error()
			}
			cur = append(cur, st)
		}
		same := len(last) == len(cur)
		for i := range cur {
			same = same && cur[i].LastEventSeq == cur[0].LastEventSeq && cur[i].LastInputSeq == last[i].LastInputSeq &&
				cur[i].LastEventSeq == last[i].LastEventSeq && cur[i].LastEventSeq > before
		}
		if !same {
			last, since = cur, time.Now()
			return false, fmt.Sprintf("%+v", cur)
		}
		return time.Since(since) >= time.Second, ""
	})
	return last[0].LastEventSeq
}

func sendSnapshots(t *testing.T, addr string, lines []string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(strings.Join(lines, "\n") + "\n")); err != nil {
		t.Fatal(err)
	}
}

// TestE2E_LiveCaptureAnchorKillTakeover is issue 6's end-to-end check:
// simulator traffic (normal flow, spoofing, wash trades, a programmatic
// burst) captured live on lo by riskd processes, alerts in badger, batches
// anchored on a running four-node chain, every alert verified against the
// chain. The leader is SIGKILLed mid-run: its hot standby takes over
// anchoring; the killed process restarts (checkpoint plus replay) as the
// new standby, catches up, and takes over in turn when the second leader
// is killed. Its final alert set — and their numbering — equals that of a
// reference risk core that captured the same traffic without interruption.
func TestE2E_LiveCaptureAnchorKillTakeover(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: four-node chain, simulators, live capture")
	}
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (AF_PACKET): run the end-to-end test as root")
	}
	if src, err := source.OpenLive("lo", source.Filter{Ports: []uint16{1}}, 100*time.Millisecond); err != nil {
		if errors.Is(err, source.ErrUnavailable) {
			t.Skipf("AF_PACKET unavailable: %v", err)
		}
		t.Fatal(err)
	} else {
		src.Close()
	}
	start := time.Now()
	net := nettest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	sim, err := exchsim.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()

	// A client whose two SZSE accounts trade with each other: onboarding
	// from the chain must group them.
	c := net.Client(t, 0)
	commit := client.SubmitOptions{Mode: client.ModeCommit}
	_, ck, _ := ed25519.GenerateKey(nil)
	secret := bytes.Repeat([]byte{1}, client.MinIdentitySecretLen)
	idHash, err1 := client.IdentityHash(secret, "id-1")
	cardHash, err2 := client.CardHash(secret, "card-1")
	opening, err3 := client.OpenAccountMsg(ck, &custodyv1.OpeningRequest{ChainId: c.ChainID(), AccountId: "C-1", BrokerId: "broker-1",
		BankId: "bank-1", IdentityHash: idHash, BankCardHash: cardHash, ShareholderAccounts: []string{"0100001111", "0100002222"}})
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, net.Keys["broker-1"], opening, commit); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, net.Keys["bank-1"], client.ConfirmAccountMsg("C-1", ck.Public().(ed25519.PublicKey)), commit); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	ports, err := testnet.FreePorts(6)
	if err != nil {
		t.Fatal(err)
	}
	addr := func(i int) string { return fmt.Sprintf("127.0.0.1:%d", ports[i]) }
	adminA, adminB, marketA, marketB, adminRef, marketRef := addr(0), addr(1), addr(2), addr(3), addr(4), addr(5)
	ruleCfg := `
[rules.spoofing]
min_qty = 50000
per_day = 15
[rules.self_trade]
per_day = 4
`
	common := fmt.Sprintf(`
[engine]
workers = 2
checkpoint_every = 300
[anchor]
max_count = 8
max_age = "400ms"
[capture]
iface = "lo"
szse = [%q]
sse = [%q]
[standby]
takeover_after = "2s"
`, sim.SZSEAddr(), sim.SSEAddr()) + ruleCfg
	chainCfg := chainConfig(net)
	write := func(name, body string) string {
		p := filepath.Join(dir, name+".toml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A and B serve HTTPS with their own certificates; each as a standby
	// pins the other's and signs its stream requests with the operator key.
	certA, keyA := testcert.Write(t, dir, "a")
	certB, keyB := testcert.Write(t, dir, "b")
	e2eClient = testcert.Client(t, certA, certB)
	e2eClient.Timeout = 2 * time.Second
	e2eToken = func() string {
		tok, err := client.NewToken(net.Keys[nettest.Operator], c.ChainID(), time.Now(), 0)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	defer func() { e2eToken, e2eClient = nil, &http.Client{Timeout: 2 * time.Second} }()
	node := func(data, admin, market, cert, key, leader, leaderCert string) string {
		s := common + chainCfg + fmt.Sprintf("[admin]\nlisten = %q\ntls_cert = %q\ntls_key = %q\n[market]\nlisten = %q\n", admin, cert, key, market) +
			"[[associated]]\naccounts = [\"A111111111\", \"A222222222\"]\n"
		s = strings.Replace(s, "[engine]\n", fmt.Sprintf("[engine]\ndata_dir = %q\n", filepath.Join(dir, data)), 1)
		if leader != "" {
			s = strings.Replace(s, "[standby]\n", fmt.Sprintf("[standby]\nleader = %q\nleader_cert = %q\n", "https://"+leader, leaderCert), 1)
		}
		return s
	}
	cfgA := write("a", node("a", adminA, marketA, certA, keyA, "", ""))
	cfgB := write("b", node("b", adminB, marketB, certB, keyB, adminA, certA))
	cfgA2 := write("a2", node("a", adminA, marketA, certA, keyA, adminB, certB))

	// The reference: the same rules and groups (the onboarded one given
	// by hand), no chain, never interrupted.
	refCfg, err := config.Parse(strings.NewReader(strings.Replace(common, "[engine]\n",
		fmt.Sprintf("[engine]\ndata_dir = %q\n", filepath.Join(dir, "ref")), 1) +
		fmt.Sprintf("[admin]\nlisten = %q\n[market]\nlisten = %q\n", adminRef, marketRef) +
		"[[associated]]\naccounts = [\"A111111111\", \"A222222222\"]\n[[associated]]\naccounts = [\"0100001111\", \"0100002222\", \"C-1\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	// The reference has no chain of its own: its admin server checks
	// tokens against a reader of the test chain.
	refReader, err := chain.New(ctx, net.Client(t, 2), net.Verifier(t, 3), nil, nettest.Operator)
	if err != nil {
		t.Fatal(err)
	}
	refReady := make(chan daemon.Ready, 1)
	refCtx, stopRef := context.WithCancel(ctx)
	refDone := make(chan error, 1)
	go func() {
		refDone <- daemon.Run(refCtx, refCfg, daemon.Options{Logf: func(string, ...any) {}, OnReady: func(r daemon.Ready) { refReady <- r },
			Auth: &admin.Authenticator{Keys: chain.NewKeyRegistry(refReader, nil), Operator: nettest.Operator}})
	}()
	var ref statusSource
	var refMarket string
	select {
	case r := <-refReady:
		ref, refMarket = statusSource{"reference", "http://" + r.Admin}, r.Market
	case err := <-refDone:
		t.Fatalf("reference: %v", err)
	}

	a := startRiskd(t, "riskd A", cfgA, adminA)
	waitRole(t, a.statusSource, daemon.RoleLeader, time.Minute)
	b := startRiskd(t, "riskd B", cfgB, adminB)
	waitRole(t, b.statusSource, daemon.RoleStandby, time.Minute)

	// Market data first, to the reference and to the leader (the standby
	// gets it in the leader's stream), then the traffic.
	now := time.Now().Format(time.RFC3339Nano)
	snaps := []string{
		now + " SZSE 000001 last=17.10 prev=17.00 up=18.70 down=15.30 vol=1000000 turnover=17100000",
		now + " SZSE 000002 last=10.00 prev=10.00 up=11.00 down=9.00 vol=2000000 turnover=20000000",
		now + " SZSE 000003 last=8.80 prev=8.80 up=9.68 down=7.92 vol=500000 turnover=4400000",
		now + " SZSE 000004 last=5.00 prev=5.00 up=5.50 down=4.50 vol=800000 turnover=4000000",
		now + " SSE 600000 last=17.10 prev=17.00 up=18.70 down=15.30 vol=1000000 turnover=17100000",
		now + " SSE 600519 last=10.00 prev=10.00 up=11.00 down=9.00 vol=2000000 turnover=20000000",
	}
	sendSnapshots(t, refMarket, snaps)
	sendSnapshots(t, marketA, snaps)
	waitUntil(t, "the snapshots everywhere", 30*time.Second, func() (bool, string) {
		for _, s := range []statusSource{ref, a.statusSource, b.statusSource} {
			if st, err := s.status(); err != nil || st.LastInputSeq < uint64(len(snaps)) {
				return false, fmt.Sprintf("%s: %+v %v", s.name, st, err)
			}
		}
		return true, ""
	})
	time.Sleep(500 * time.Millisecond) // capture sockets bound before traffic
	run := func(scs ...exchsim.Scenario) {
		for _, sc := range scs {
			if _, err := sim.Run(ctx, sc, exchsim.RunOptions{Resume: true}); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Phase 1: A leads, B follows.
	run(exchsim.Normal(), exchsim.Spoofing(), exchsim.WashTrade())
	seen := waitQuiet(t, 0, ref, a.statusSource, b.statusSource)
	waitUntil(t, "A to anchor", 30*time.Second, func() (bool, string) {
		st, err := a.status()
		return err == nil && st.Anchored > 0, fmt.Sprintf("%+v %v", st, err)
	})
	stA, _ := a.status()
	t.Logf("phase 1: %d events; A %+v", seen, stA)

	// A dies; B takes over capture and anchoring.
	a.kill(t)
	waitRole(t, b.statusSource, daemon.RoleLeader, 30*time.Second)
	time.Sleep(500 * time.Millisecond)
	run(exchsim.Spoofing(), exchsim.ProgramBurst(400))
	seen = waitQuiet(t, seen, ref, b.statusSource)
	waitUntil(t, "B to anchor past A", 30*time.Second, func() (bool, string) {
		st, err := b.status()
		return err == nil && st.Anchored > stA.Anchored && st.Anchored == st.Batches && st.AnchorError == "", fmt.Sprintf("%+v %v", st, err)
	})
	stB, _ := b.status()
	t.Logf("phase 2: %d events; B %+v", seen, stB)

	// A restarts on its store (checkpoints plus replay) as B's standby and
	// catches up; then B dies and A takes over again.
	a = startRiskd(t, "riskd A (restarted)", cfgA2, adminA)
	waitRole(t, a.statusSource, daemon.RoleStandby, time.Minute)
	waitUntil(t, "A to catch up with B", time.Minute, func() (bool, string) {
		sa, err1 := a.status()
		sb, err2 := b.status()
		return err1 == nil && err2 == nil && sa.LastInputSeq == sb.LastInputSeq && sa.Alerts == sb.Alerts, fmt.Sprintf("%+v %+v", sa, sb)
	})
	b.kill(t)
	waitRole(t, a.statusSource, daemon.RoleLeader, 30*time.Second)
	time.Sleep(500 * time.Millisecond)
	run(exchsim.WashTrade(), exchsim.Normal(), exchsim.ProgramBurst(400))
	seen = waitQuiet(t, seen, ref, a.statusSource)
	t.Logf("phase 3: %d events", seen)

	a.stop(t)
	stopRef()
	if err := <-refDone; err != nil {
		t.Fatalf("reference: %v", err)
	}

	// The alert set, in store order, is the reference's.
	open := func(name string) []risk.Alert {
		st, err := store.Open(filepath.Join(dir, name), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		as, err := st.ListAlerts(store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return as
	}
	want, got := open("ref"), open("a")
	ids := func(as []risk.Alert) []string {
		out := make([]string, len(as))
		for i, a := range as {
			out[i] = fmt.Sprintf("%d %s %s", a.Seq, a.Rule, a.ID)
		}
		return out
	}
	if !slices.Equal(ids(want), ids(got)) {
		t.Fatalf("alerts after kills and takeovers differ from the uninterrupted run:\nwant %v\ngot  %v", ids(want), ids(got))
	}
	rules := map[string]int{}
	for _, a := range got {
		rules[a.Rule]++
	}
	for _, r := range []string{risk.RuleSpoofing, risk.RuleSelfTrade, risk.RuleOrderRate} {
		if rules[r] == 0 {
			t.Errorf("no %s alert: %v", r, rules)
		}
	}

	// Every alert is in a batch anchored on chain and verifies against it.
	st, err := store.Open(filepath.Join(dir, "a"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reader, err := chain.New(ctx, net.Client(t, 3), net.Verifier(t, 1), nil, nettest.Operator)
	if err != nil {
		t.Fatal(err)
	}
	av := reader.NewAlertVerifier()
	batches := map[uint64]bool{}
	for _, al := range got {
		p, err := anchor.Prove(st, al.ID)
		if err != nil {
			t.Fatalf("alert %d: %v", al.Seq, err)
		}
		if _, err := av.Verify(ctx, al, p); err != nil {
			t.Fatalf("alert %d: %v", al.Seq, err)
		}
		batches[p.Batch] = true
	}
	st.Close()
	head, err := reader.LastBatch(ctx)
	if err != nil || head == nil || head.Seq != uint64(len(batches)) || head.LastSeq != uint64(len(got)) {
		t.Fatalf("chain's last batch %+v (%v); %d batches, %d alerts locally", head, err, len(batches), len(got))
	}
	if head.Seq <= stB.Anchored {
		t.Fatalf("A anchored nothing after taking over: chain head %d, B had anchored %d", head.Seq, stB.Anchored)
	}
	// And through the command, from the store of the stopped daemon.
	var out, errb bytes.Buffer
	root := newRootCmd(&out, &errb)
	root.SetArgs([]string{"verify-alert", got[len(got)-1].ID, "--config", cfgA2})
	if err := root.ExecuteContext(ctx); err != nil || !strings.Contains(errb.String(), "verified:") {
		t.Fatalf("verify-alert: %v\n%s\n%s", err, out.String(), errb.String())
	}
	t.Logf("%d alerts %v in %d batches anchored and verified; %s", len(got), rules, len(batches), time.Since(start).Round(time.Second))
}
