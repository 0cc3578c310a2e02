// Package daemon is the live risk core, `riskd run`: it wires the engine
// (risk.Runner over the badger store) to its sources and its outputs.
//
//   - Sources: order flow captured live (capture.CaptureLive) or decoded
//     from a capture file, market snapshots over TCP (market.Serve), chain
//     events (chain.Feed), parameter changes from the admin API. One pump
//     goroutine owns the runner and submits them in arrival order; it
//     flushes (persists, then dispatches) every 100 ms.
//   - Outputs: alerts in the store, cut into Merkle batches and anchored on
//     chain (anchor.Batcher with chain.Chain as the Anchorer) after the
//     rule-parameter version in force; the admin API (risk/admin) with the
//     chain Freezer; a status endpoint; the leader's input stream for a
//     hot standby. One HTTP server (optionally TLS) serves them, and every
//     route authenticates with on-chain EdDSA tokens (admin.Authenticator
//     over chain.KeyRegistry).
//
// # Start-up
//
// Open the store; connect to the chain (light client, operator key);
// onboard base data (groups from the chain's accounts, joined with the
// configured ones); recover the runner (checkpoints plus replay); record the
// chain's batches the store lacks (chain.Sync); then serve and start the
// sources. Captured events are renumbered to continue the stored trade
// series, and the ledger feed resumes after the last block it fully took,
// so a restart neither reuses an evidence id nor feeds a chain event twice.
//
// # Stop
//
// On cancellation the sources stop first; the pump submits what they sent
// and closes the runner (final tick, checkpoints); the batcher cuts and
// anchors what is left; then the admin server and the store close.
//
// # Hot standby
//
// A process with [standby] leader set starts as a standby: it follows the
// leader's stored input stream (GET /v1/stream, over HTTPS to exactly the
// certificate standby.leader_cert pins, with a token of its own operator
// key: each side knows the other) and applies it with the
// leader's numbers (risk.Runner.SubmitNumbered), so it holds the same
// alerts under the same numbers. When the stream has been silent for
// takeover_after, it takes over: it drains its runner, records the chain's
// batches from its own alerts (checking every root), and starts the sources
// and the batcher itself. Should the old leader still be alive and anchor,
// the chain refuses the second copy of a batch number (anchors/1) and the
// loser re-syncs (chain.Chain.Anchor); a batch with other contents is
// reported as diverged and anchoring stops there. See docs/risk.md.
package daemon

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/admin"
	"github.com/custody-ledger/custody/risk/chain"
	"github.com/custody-ledger/custody/risk/config"
	"github.com/custody-ledger/custody/risk/store"
)

// Options are the daemon's dependencies beyond its configuration.
type Options struct {
	// Logf logs one line; default: log/slog's default logger, at Info.
	Logf func(format string, args ...any)
	// OnReady is called once the process leads and its admin API and
	// market feed listen, with their addresses (useful with port 0). A
	// standby calls it when it takes over.
	OnReady func(Ready)
	// Auth, when set, checks the HTTP server's tokens instead of the key
	// registry of the daemon's own chain connection: an embedder running a
	// core without [chain] (a test's reference core) gives one over its
	// own chain reader.
	Auth *admin.Authenticator
}

// Ready says where the daemon listens.
type Ready struct {
	Admin  string
	Market string
	// TLS: the admin server speaks HTTPS.
	TLS bool
}

// Role is what a daemon process does.
type Role string

const (
	RoleStarting Role = "starting" // a leader recovering, before its sources run
	RoleLeader   Role = "leader"
	RoleStandby  Role = "standby"
)

// flushEvery is how often the pump persists and dispatches what it holds:
// the bound on how much a crash can lose and on an alert's added latency.
const flushEvery = 100 * time.Millisecond

type daemon struct {
	cfg  config.Config
	o    Options
	logf func(string, ...any)

	st     *store.Store
	conn   *chain.Conn // nil without a chain
	groups *risk.Groups
	lists  [][]string
	base   *chain.BaseData   // onboarded base data (nil without a chain); mu
	feed   *chain.Feed       // the ledger feed while leading; mu
	first  risk.ParamVersion // the version the stored stream starts under
	runner *risk.Runner
	guard  *replayGuard

	auth    *admin.Authenticator // nil without a chain: every request is refused
	api     atomic.Pointer[apiHandler]
	role    atomic.Value // Role
	paramCh chan risk.ParamVersion

	met *metrics

	mu         sync.Mutex // guards the fields below
	capEmitted uint64     // events the capture decoder produced
	capTaken   uint64     // of those, submitted or dropped as replays by the pump
	anchorErr  string
	eventSeq   uint64 // last capture Seq submitted (the pump numbers events)
	replays    uint64 // captured events dropped as replays of stored ones
	ledgerH    int64  // last block the ledger feed fully took
}

// Run runs the daemon until ctx ends, then stops it cleanly.
func Run(ctx context.Context, cfg config.Config, o Options) (err error) {
	d := &daemon{cfg: cfg, o: o, logf: o.Logf, paramCh: make(chan risk.ParamVersion, 16), met: newMetrics()}
	if d.logf == nil {
		d.logf = func(format string, args ...any) { slog.Info(fmt.Sprintf(format, args...)) }
	}
	role := RoleLeader
	if cfg.Standby.Leader != "" {
		role = RoleStandby
	}
	// A leader reports its role once its sources run (lead).
	d.role.Store(role)
	if role == RoleLeader {
		d.role.Store(RoleStarting)
	}
	if err := os.MkdirAll(cfg.Engine.DataDir, 0o700); err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	if d.st, err = store.Open(cfg.Engine.DataDir, store.Options{}); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, d.st.Close()) }()
	if cfg.Chain.Node != "" {
		lightDir := filepath.Join(cfg.Engine.DataDir, "light")
		if err := os.MkdirAll(lightDir, 0o700); err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
		if d.conn, err = chain.Connect(ctx, cfg.Chain, chain.ConnectOptions{LightDir: lightDir, Logf: d.logf}); err != nil {
			return err
		}
		defer d.conn.Close()
		d.logf("riskd: chain %s, operator %s", d.conn.Client().ChainID(), d.conn.Operator())
		keys := chain.NewKeyRegistry(d.conn.Chain, nil)
		d.auth = &admin.Authenticator{Keys: keys, Operator: d.conn.Operator()}
		if !keys.Proven() {
			d.logf("riskd: no [chain] witnesses: API tokens are checked against key records read without proofs")
		}
	} else if o.Auth == nil {
		d.logf("riskd: no [chain]: the admin API cannot check tokens and refuses every request")
	}
	if o.Auth != nil {
		d.auth = o.Auth
	}

	// Serve from here on: a standby waiting for its leader answers
	// /v1/status; the admin API comes up once the engine is ready.
	srv, ready, err := d.serve()
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = errors.Join(err, srv.Shutdown(sctx))
	}()

	var follow *follower
	if role == RoleStandby {
		// The leader's stream header says how to partition and what the
		// stream starts under: the standby must match it exactly.
		if follow, err = d.dialLeader(ctx); err != nil {
			return err
		}
		defer follow.close()
	} else if err := d.setup(ctx); err != nil {
		return err
	}

	if err := d.newAPI(role == RoleStandby); err != nil {
		return err
	}
	d.guard = newReplayGuard(d.st, append(append([]string(nil), cfg.Capture.SZSE...), cfg.Capture.SSE...))
	d.runner, err = risk.NewRunner(ctx, risk.RunnerConfig{
		Params: d.first.Params, Groups: d.groups, Workers: d.cfg.Engine.Workers, Store: markingStore{d.st, d.guard},
		CheckpointEvery: cfg.Engine.CheckpointEvery,
		OnAlert:         d.met.alerted, OnStoreWrite: d.met.storeWrote,
	})
	if err != nil {
		return err
	}
	if in, found, err := d.st.LastInputOf(risk.InputEvent); err != nil {
		d.runner.Abort()
		return err
	} else if found {
		d.mu.Lock()
		d.eventSeq = in.Event.Seq
		d.mu.Unlock()
	}
	last, _ := d.st.LastInputSeq()
	alerts, _ := d.st.LastAlertSeq()
	d.logf("riskd: %s: recovered %d inputs, %d alerts, %d groups, %d workers", role, last, alerts, len(d.lists), d.cfg.Engine.Workers)

	if role == RoleStandby {
		took, err := follow.run(ctx)
		if err != nil || !took {
			d.logf("riskd: standby stops")
			return errors.Join(err, d.stopStandby())
		}
		if err := d.takeover(ctx); err != nil {
			return errors.Join(err, d.stopStandby())
		}
	}
	return d.lead(ctx, ready)
}

// setup reads what a leader starts from: groups (configuration and
// onboarding) and the parameter version the stored stream starts under.
func (d *daemon) setup(ctx context.Context) error {
	d.lists = configLists(d.cfg)
	if d.conn != nil {
		base, err := d.conn.Onboard(ctx)
		if err != nil {
			d.logf("riskd: onboarding from the chain failed, groups from the configuration only: %v", err)
		} else {
			d.logf("riskd: onboarded %d accounts (proven: %v, height %d), %d groups", len(base.Accounts), base.Proven, base.Height, len(base.Groups))
			d.lists = append(d.lists, base.Groups...)
			d.base = base
		}
	}
	d.groups = risk.NewGroups(d.lists)
	d.lists = d.groups.Lists()
	vs, err := d.st.ParamVersions()
	if err != nil {
		return err
	}
	d.first = risk.ParamVersion{Version: 1, Who: "config", When: time.Now().UTC(), Params: d.cfg.Rules}
	if len(vs) > 0 {
		// Every later version is an input of the stored stream: a replay
		// from the start must begin under the first.
		d.first = vs[0]
	}
	return nil
}

func configLists(cfg config.Config) [][]string {
	var out [][]string
	for _, g := range cfg.Associated {
		out = append(out, g.Accounts)
	}
	return out
}

// newAPI builds the admin API over the store; a standby's refuses
// parameter changes (they come from the leader's stream).
func (d *daemon) newAPI(standby bool) error {
	acfg := admin.Config{Store: d.st, Initial: d.first, Apply: d.applyParams, Auth: d.auth, Logf: d.logf}
	if standby {
		acfg.Apply = func(risk.ParamVersion) error {
			return admin.ErrStandby.Wrapf("this process is a standby; change parameters on the leader")
		}
	}
	if d.conn != nil && d.conn.FreezeKey != nil {
		acfg.Freezer = chain.NewFreezer(d.conn.Client(), d.conn.FreezeKey)
	}
	api, err := admin.New(acfg)
	if err != nil {
		return err
	}
	d.api.Store(&apiHandler{api: api, h: api.Handler()})
	return nil
}

// apiHandler is the admin API in force and its gin engine (a standby
// replaces both when it takes over).
type apiHandler struct {
	api *admin.API
	h   http.Handler
}

// applyParams hands a new parameter version to the pump (the engine takes
// it at its place in the stream) and to the batch loop (which anchors it).
func (d *daemon) applyParams(v risk.ParamVersion) error {
	d.paramCh <- v
	return nil
}

// serve starts the HTTP server: the admin API, /v1/status, the leader's
// /v1/stream and /v1/onboard, every route authenticated (admin.Authenticator)
// and, with admin.tls_cert, over TLS only.
func (d *daemon) serve() (*http.Server, Ready, error) {
	tlsOn := d.cfg.Admin.TLSCert != ""
	var cert tls.Certificate
	if tlsOn {
		var err error
		if cert, err = tls.LoadX509KeyPair(d.cfg.Admin.TLSCert, d.cfg.Admin.TLSKey); err != nil {
			return nil, Ready{}, fmt.Errorf("daemon: admin TLS: %w", err)
		}
	}
	ln, err := net.Listen("tcp", d.cfg.Admin.Listen)
	if err != nil {
		return nil, Ready{}, fmt.Errorf("daemon: admin listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", d.auth.Require(admin.AccessRead, d.logf, d.handleStatus))
	mux.HandleFunc("GET /metrics", d.auth.Require(admin.AccessRead, d.logf, d.met.handler().ServeHTTP))
	mux.HandleFunc("GET /v1/stream", d.auth.Require(admin.AccessStream, d.logf, d.handleStream))
	mux.HandleFunc("POST /v1/onboard", d.auth.Require(admin.AccessWrite, d.logf, d.handleOnboard))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		api := d.api.Load()
		if api == nil {
			// Who asks must be known before the server says anything.
			if _, err := d.auth.Authenticate(r, admin.AccessRead); err != nil {
				admin.WriteProblem(w, r, err, d.logf)
				return
			}
			admin.WriteProblem(w, r, admin.ErrStarting, d.logf)
			return
		}
		api.h.ServeHTTP(w, r)
	})
	srv := admin.NewServer(ln.Addr().String(), mux)
	srv.ErrorLog = log.New(logWriter(d.logf), "riskd: admin server: ", 0)
	if tlsOn {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.logf("riskd: admin server: %v", err)
		}
	}()
	return srv, Ready{Admin: ln.Addr().String(), TLS: tlsOn}, nil
}

// logWriter turns the http.Server's error log (TLS handshake failures,
// timeouts) into the daemon's log lines.
type logWriter func(string, ...any)

func (f logWriter) Write(p []byte) (int, error) {
	f("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (d *daemon) setAnchorErr(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err == nil {
		d.anchorErr = ""
		return
	}
	d.anchorErr = err.Error()
}

// handleOnboard loads the base data again (on demand): it reports the
// accounts and the groups the chain gives now, and whether they differ
// from the groups in force, which change only at the next start (the
// partitioning of the stored stream depends on them).
func (d *daemon) handleOnboard(w http.ResponseWriter, r *http.Request) {
	if d.api.Load() == nil { // still starting: groups not known yet
		admin.WriteProblem(w, r, admin.ErrStarting, d.logf)
		return
	}
	if d.conn == nil {
		admin.WriteProblem(w, r, admin.ErrNoChain, d.logf)
		return
	}
	base, err := d.conn.Onboard(r.Context())
	if err != nil {
		admin.WriteProblem(w, r, admin.ErrUpstream.Wrapf("onboarding: %v", err), d.logf)
		return
	}
	d.mu.Lock()
	d.base = base
	if d.feed != nil {
		d.feed.Learn(base)
	}
	d.mu.Unlock()
	now := risk.NewGroups(append(configLists(d.cfg), base.Groups...)).Lists()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(struct {
		Accounts      int        `json:"accounts"`
		Proven        bool       `json:"proven"`
		Height        int64      `json:"height"`
		Groups        [][]string `json:"groups"`
		InForce       [][]string `json:"groups_in_force"`
		RestartNeeded bool       `json:"restart_needed"`
	}{len(base.Accounts), base.Proven, base.Height, now, d.lists, !sameGroups(now, d.lists)})
}

// stopStandby stops a standby's runner without the final tick a leader's
// Close adds: the standby's stream must stay the leader's, input for input.
// What it applied is stored; the next start replays from the checkpoints.
func (d *daemon) stopStandby() error {
	err := d.runner.Drain()
	d.runner.Abort()
	return err
}
