package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/client/keys"
	"github.com/custody-ledger/custody/node"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/admin"
	"github.com/custody-ledger/custody/risk/config"
	"github.com/custody-ledger/custody/risk/daemon"
	"github.com/custody-ledger/custody/testnet"
	"github.com/custody-ledger/custody/testnet/exchsim"
	"github.com/custody-ledger/custody/testnet/internal/proc"
)

// wireLedgerBound is the risk core's wire-versus-ledger bound in the demo:
// a fill on the wire must be on chain (and the other way round) within it.
// The default (5m) suits production; the demo's broker reports a fill on
// chain within a second or two of the exchange's report, and the demo lets
// the risk core's ledger feed catch up before it sends more traffic
// (syncRisk), so a short bound lets the day's own later events close the
// comparison: a fill missing on either side would be an alert in the
// summary.
const wireLedgerBound = 10 * time.Second

// riskCore is the running risk core: `riskd run` as a child process, or
// risk/daemon in this process, with the same configuration file.
type riskCore struct {
	admin   string // http://host:port of its admin API
	cfgPath string
	logPath string
	http    *http.Client
	// token makes a bearer token of the risk operator's key: every route
	// of riskd's admin API authenticates (docs/risk.md).
	token func() (string, error)
	done  chan struct{} // closed when it exits
	stop  func() error
}

func (d *Demo) riskCore() *riskCore {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.risk
}

// riskConfig is the risk core's configuration: capture the simulators'
// endpoints on the interface, follow and anchor on broker-1's node with
// the bank's and the regulator's as light-client witnesses, sign as
// risk-1, batch alerts within a second.
func (d *Demo) riskConfig(adminAddr string) string {
	node := d.tn.Node(d.nodeOf(Broker))
	var witnesses []string
	for _, p := range []string{Bank, Regulator} {
		witnesses = append(witnesses, fmt.Sprintf("%q", d.tn.Node(d.nodeOf(p)).RPCAddress()))
	}
	var group []string
	for _, id := range family {
		c := clientByID(id)
		group = append(group, fmt.Sprintf("%q, %q, %q", c.ID, c.SSE, c.SZSE))
	}
	return fmt.Sprintf(`# The demo's risk core (docs/demo.md): written by custodynet demo.
[engine]
data_dir = %q
workers = 1

[anchor]
max_count = 64
max_age = "1s"

[admin]
listen = %q

[capture]
iface = %q
szse = [%q]
sse = [%q]

[chain]
node = %q
witnesses = [%s]
keyring = %q
keyring_backend = "test"
key = %q
poll = "250ms"

# ACC-07 and ACC-08 are a married couple: associated accounts (关联账户).
[[associated]]
accounts = [%s]

# The demo runs at any hour, and exchange sessions are 09:15-15:00 China
# time: off_hours would depend on when you type make demo.
[rules.off_hours]
enabled = false

[rules.wire_ledger]
bound = %q
`, filepath.Join(d.riskDir(), "data"), adminAddr, d.cfg.Iface, d.sim.SZSEAddr(), d.sim.SSEAddr(),
		node.RPCAddress(), strings.Join(witnesses, ", "), d.tn.RiskOperatorKeyring(RiskOperator), RiskOperator,
		strings.Join(group, ", "), wireLedgerBound.String())
}

// pickRiskAdmin picks the risk core's admin address before the nodes
// start and names it in every node's app.toml ([api] risk_admin), so the
// console on any node shows the risk core's alerts (docs/console.md).
func (d *Demo) pickRiskAdmin(tn *testnet.Testnet) error {
	ports, err := testnet.FreePorts(1)
	if err != nil {
		return err
	}
	d.riskAdminAddr = fmt.Sprintf("127.0.0.1:%d", ports[0])
	for _, n := range tn.Nodes {
		c, err := node.LoadAppConfig(tn.Home(n))
		if err != nil {
			return err
		}
		c.API.RiskAdmin = "http://" + d.riskAdminAddr
		if err := node.SaveAppConfig(tn.Home(n), c); err != nil {
			return err
		}
	}
	return nil
}

func (d *Demo) riskDir() string { return filepath.Join(d.cfg.Dir, RiskOperator) }

// startRisk writes the configuration and starts the risk core, then waits
// for its admin API.
func (d *Demo) startRisk(ctx context.Context) error {
	adminAddr := d.riskAdminAddr
	r := &riskCore{admin: "http://" + adminAddr, cfgPath: filepath.Join(d.riskDir(), "riskd.toml"),
		logPath: filepath.Join(d.riskDir(), "riskd.log"), http: &http.Client{Timeout: 30 * time.Second},
		done: make(chan struct{})}
	kr, err := keys.Open(d.tn.RiskOperatorKeyring(RiskOperator), keys.BackendTest)
	if err != nil {
		return fmt.Errorf("demo: risk operator keyring: %w", err)
	}
	opKey, err := kr.Key(RiskOperator, nil)
	if err != nil {
		return fmt.Errorf("demo: risk operator key: %w", err)
	}
	r.token = func() (string, error) { return client.NewToken(opKey, d.tn.ChainID, time.Now(), 0) }
	text := d.riskConfig(adminAddr)
	if err := os.WriteFile(r.cfgPath, []byte(text), 0o600); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	// Parse it here too: a bad file fails now, with the field named.
	cfg, err := config.Parse(strings.NewReader(text))
	if err != nil {
		return fmt.Errorf("demo: risk config: %w", err)
	}
	logf, err := os.OpenFile(r.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if d.cfg.Riskd != "" {
		cmd := exec.Command(d.cfg.Riskd, "run", "--config", r.cfgPath)
		cmd.Stdout, cmd.Stderr = logf, logf
		// Own process group (Ctrl-C reaches the demo only, which stops the
		// risk core before the nodes it anchors on), and bound to die with
		// the demo however it ends.
		if err := proc.Start(cmd); err != nil {
			logf.Close()
			return fmt.Errorf("demo: start %s: %w", d.cfg.Riskd, err)
		}
		pid := cmd.Process.Pid
		if d.cfg.Lock != nil {
			if err := d.cfg.Lock.Add("riskd", pid); err != nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				logf.Close()
				return err
			}
		}
		var waitErr error
		go func() {
			waitErr = cmd.Wait()
			logf.Close()
			if d.cfg.Lock != nil {
				_ = d.cfg.Lock.Remove(pid)
			}
			close(r.done)
		}()
		r.stop = func() error {
			select {
			case <-r.done:
				return nil
			default:
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
				return fmt.Errorf("demo: stop riskd: %w", err)
			}
			select {
			case <-r.done:
				// riskd exits 130 when interrupted: a clean stop.
				var ee *exec.ExitError
				if waitErr != nil && !(errors.As(waitErr, &ee) && ee.ExitCode() == 130) {
					return fmt.Errorf("demo: riskd: %w (see %s)", waitErr, r.logPath)
				}
				return nil
			case <-time.After(45 * time.Second):
				_ = cmd.Process.Kill()
				<-r.done
				return fmt.Errorf("demo: riskd did not stop within 45s; killed (see %s)", r.logPath)
			}
		}
	} else {
		rctx, cancel := context.WithCancel(context.Background())
		logger := log.New(logf, "", log.LstdFlags|log.Lmicroseconds)
		var runErr error
		go func() {
			runErr = daemon.Run(rctx, cfg, daemon.Options{Logf: logger.Printf})
			if runErr != nil {
				logger.Printf("riskd: %v", runErr)
			}
			logf.Close()
			close(r.done)
		}()
		r.stop = func() error {
			cancel()
			select {
			case <-r.done:
				return runErr
			case <-time.After(45 * time.Second):
				return fmt.Errorf("demo: the risk core did not stop within 45s (see %s)", r.logPath)
			}
		}
	}
	d.mu.Lock()
	d.risk = r
	d.mu.Unlock()
	// Start-up connects the light client, onboards the accounts (each read
	// with a proof) and recovers the store; the risk core reports itself
	// the leader once its sources run.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		s, err := r.status(ctx)
		if err == nil && s.Role == daemon.RoleLeader {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("role %q", s.Role)
		}
		select {
		case <-r.done:
			return fmt.Errorf("demo: the risk core exited at start-up:\n%s", tail(r.logPath, 15))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("demo: the risk core did not start leading within 2m: %v (see %s)", err, r.logPath)
		}
	}
}

func (r *riskCore) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.admin+path, nil)
	if err != nil {
		return err
	}
	tok, err := r.token()
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := r.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("demo: risk admin %s: %s: %s", path, res.Status, strings.TrimSpace(string(body)))
	}
	return json.Unmarshal(body, out)
}

func (r *riskCore) status(ctx context.Context) (daemon.Status, error) {
	var s daemon.Status
	err := r.get(ctx, "/v1/status", &s)
	return s, err
}

// alerts lists every alert in store order.
func (r *riskCore) alerts(ctx context.Context) ([]risk.Alert, error) {
	var out []risk.Alert
	var after uint64
	for range 100 {
		var page []risk.Alert
		if err := r.get(ctx, fmt.Sprintf("/v1/alerts?limit=1000&after=%d", after), &page); err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < 1000 {
			return out, nil
		}
		after = page[len(page)-1].Seq
	}
	return nil, errors.New("demo: more than 100 000 alerts")
}

func (r *riskCore) proof(ctx context.Context, id string) (admin.AlertProof, error) {
	var p admin.AlertProof
	err := r.get(ctx, "/v1/alerts/"+url.PathEscape(id)+"/proof", &p)
	return p, err
}

// linkCheck sends one order per market that the exchange rejects (price
// 0) until the risk core has captured all of its events: it proves the
// capture is live before the day's first real order, and sets the count
// of events the risk core has seen.
func (d *Demo) linkCheck(ctx context.Context) (int, error) {
	for attempt := 1; attempt <= 10; attempt++ {
		before, err := d.risk.status(ctx)
		if err != nil {
			return attempt, err
		}
		sc := exchsim.Scenario{Name: "link check"}
		for _, m := range []string{exchsim.SZSE, exchsim.SSE} {
			acct, sec := "0999999999", "000001"
			if m == exchsim.SSE {
				acct, sec = "B999999999", "600000"
			}
			sc.Actions = append(sc.Actions, exchsim.Action{Market: m, ClOrdID: d.clOrdID("L"), Account: acct, Security: sec, Buy: true, Qty: 100, Reject: true})
		}
		exp, err := d.sim.Run(ctx, sc, exchsim.RunOptions{Resume: true})
		if err != nil {
			return attempt, err
		}
		want := before.LastEventSeq + uint64(len(exp))
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			s, err := d.risk.status(ctx)
			if err == nil && s.LastEventSeq >= want {
				d.events = s.LastEventSeq
				return attempt, nil
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	s, _ := d.risk.status(ctx)
	return 10, fmt.Errorf("demo: the risk core captured %d events of the link checks on %s; is live capture allowed here (root or CAP_NET_RAW)? see %s",
		s.LastEventSeq, d.cfg.Iface, d.risk.logPath)
}

// syncRisk waits until the risk core's ledger feed has taken every block up
// to the last the demo's fills and withdrawals are in. The demo calls it
// before sending more traffic on the link: the risk core's clock is the
// events' own time, and new captured events must not move it past a chain
// fill still on its way through the feed.
func (d *Demo) syncRisk(ctx context.Context) error {
	if d.risk == nil {
		return nil
	}
	t0 := time.Now()
	deadline := t0.Add(time.Minute)
	for {
		s, err := d.risk.status(ctx)
		if err == nil && s.LedgerHeight >= d.ledgerH {
			if w := time.Since(t0); w > time.Second {
				d.logf("waited %s for the risk core's ledger feed to reach height %d", w.Round(time.Millisecond), d.ledgerH)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("demo: the risk core's ledger feed did not reach height %d within a minute (%+v, %v; see %s)", d.ledgerH, s, err, d.risk.logPath)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.risk.done:
			return fmt.Errorf("demo: the risk core exited:\n%s", tail(d.risk.logPath, 15))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// captureSettledShort says whether the risk core's capture has lost
// packets and has, for two seconds, neither read a packet nor produced an
// event it has not taken: the events still missing will not come.
func (d *Demo) captureSettledShort(s daemon.Status) bool {
	c := s.Capture
	if c == nil || !c.Lossy() || !c.Taken {
		d.lossAt = nil
		return false
	}
	now := [2]uint64{c.Packets, s.LastEventSeq}
	if d.lossAt == nil || *d.lossAt != now {
		d.lossAt, d.lossSince = &now, time.Now()
		return false
	}
	return time.Since(d.lossSince) >= 2*time.Second
}

// lossText says what the capture lost.
func lossText(c *daemon.CaptureStatus) string {
	if c == nil {
		return "no capture counters"
	}
	return fmt.Sprintf("kernel dropped %d of %d packets, %d gaps, %d bytes lost, %d messages cut",
		c.KernelDrops, c.KernelPackets, c.Gaps, c.LostBytes, c.CutMessages)
}
