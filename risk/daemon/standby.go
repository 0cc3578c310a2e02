package daemon

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/admin"
	"github.com/custody-ledger/custody/risk/anchor"
)

// The leader's input stream, GET /v1/stream?after=SEQ: newline-delimited
// JSON, first a header, then every stored input with Seq > after in order
// (what the leader persisted, which is what its cores apply), then new ones
// as they are persisted, with a heartbeat every second.
type streamLine struct {
	Header    *streamHeader `json:"header,omitempty"`
	Input     *risk.Input   `json:"input,omitempty"`
	Heartbeat *heartbeat    `json:"heartbeat,omitempty"`
}

// streamHeader is what a standby must share with its leader to apply the
// stream identically.
type streamHeader struct {
	Groups  [][]string        `json:"groups"`
	Workers int               `json:"workers"`
	First   risk.ParamVersion `json:"first_params"`
}

type heartbeat struct {
	LastSeq      uint64 `json:"last_seq"`
	LedgerHeight int64  `json:"ledger_height"`
}

const heartbeatEvery = time.Second

// The stream is open only to this core's own risk operator (a standby
// presents a token of its operator key: admin.AccessStream), and a standby
// follows only a leader that shows the certificate it pins
// (standby.leader_cert): each side knows who is at the other end.
func (d *daemon) handleStream(w http.ResponseWriter, r *http.Request) {
	if d.role.Load() != RoleLeader {
		admin.WriteProblem(w, r, admin.ErrStandby.Wrapf("no stream: this process is %s", d.role.Load()), d.logf)
		return
	}
	after, err := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	if err != nil && r.URL.Query().Get("after") != "" {
		admin.WriteProblem(w, r, admin.ErrBadRequest.Wrapf("after must be an input seq"), d.logf)
		return
	}
	// The server's write timeout bounds one write, not the stream: each
	// round of lines gets its own deadline, so a standby that stops
	// reading is dropped within admin.WriteTimeout.
	rc := http.NewResponseController(w)
	extend := func() { _ = rc.SetWriteDeadline(time.Now().Add(admin.WriteTimeout)) }
	extend()
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	if err := enc.Encode(streamLine{Header: &streamHeader{Groups: d.lists, Workers: d.cfg.Engine.Workers, First: d.first}}); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}
	poll := time.NewTicker(flushEvery)
	defer poll.Stop()
	lastBeat := time.Time{}
	for {
		extend()
		sent := 0
		err := d.st.InputsAfter(after, func(in risk.Input) error {
			after = in.Seq
			if sent++; sent%1024 == 0 {
				extend() // a long catch-up is many writes, each bounded
			}
			return enc.Encode(streamLine{Input: &in})
		})
		if err != nil {
			return
		}
		if time.Since(lastBeat) >= heartbeatEvery {
			d.mu.Lock()
			hb := heartbeat{LastSeq: after, LedgerHeight: d.ledgerH}
			d.mu.Unlock()
			if enc.Encode(streamLine{Heartbeat: &hb}) != nil {
				return
			}
			lastBeat = time.Now()
		}
		if rc.Flush() != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-poll.C:
		}
	}
}

// follower reads the leader's stream for a standby.
type follower struct {
	d     *daemon
	url   string
	http  *http.Client // trusts only the pinned leader certificate
	body  interface{ Close() error }
	lines chan lineOrErr
}

type lineOrErr struct {
	l   streamLine
	err error
}

// dialLeader connects to the leader (retrying until ctx ends) and sets the
// standby up from the stream's header: the leader's groups, worker count
// and first parameter version.
func (d *daemon) dialLeader(ctx context.Context) (*follower, error) {
	hc, err := pinnedClient(d.cfg.Standby.LeaderCert)
	if err != nil {
		return nil, err
	}
	f := &follower{d: d, url: strings.TrimRight(d.cfg.Standby.Leader, "/") + "/v1/stream", http: hc}
	for {
		hdr, err := f.connect(ctx)
		if err == nil {
			d.lists, d.first = hdr.Groups, hdr.First
			d.groups = risk.NewGroups(hdr.Groups)
			if hdr.Workers != d.cfg.Engine.Workers {
				d.logf("riskd: standby: using the leader's %d workers (configured %d): alert numbers depend on it", hdr.Workers, d.cfg.Engine.Workers)
				d.cfg.Engine.Workers = hdr.Workers
			}
			if err := d.st.PutParamVersion(hdr.First); err != nil {
				return nil, err
			}
			d.logf("riskd: standby: following %s (%d groups)", d.cfg.Standby.Leader, len(hdr.Groups))
			return f, nil
		}
		var refused *leaderRefused
		if errors.As(err, &refused) && (refused.status == http.StatusUnauthorized || refused.status == http.StatusForbidden) {
			// 401/403: this standby's key does not open the leader's
			// stream; waiting will not change that.
			return nil, err
		}
		d.logf("riskd: standby: leader %s not reachable yet: %v", d.cfg.Standby.Leader, err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// connect opens the stream after the standby's last stored input and
// returns its header; lines then arrive on f.lines.
func (f *follower) connect(ctx context.Context) (*streamHeader, error) {
	f.close()
	after, err := f.d.st.LastInputSeq()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"?after="+strconv.FormatUint(after, 10), nil)
	if err != nil {
		return nil, err
	}
	tok, err := f.d.conn.Token(time.Now())
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := f.http.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		var p admin.Problem
		_ = json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&p)
		res.Body.Close()
		return nil, &leaderRefused{status: res.StatusCode, problem: p}
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	if !sc.Scan() {
		res.Body.Close()
		return nil, fmt.Errorf("daemon: leader stream ended before its header: %w", sc.Err())
	}
	var first streamLine
	if err := json.Unmarshal(sc.Bytes(), &first); err != nil || first.Header == nil {
		res.Body.Close()
		return nil, fmt.Errorf("daemon: leader stream header: %v", err)
	}
	lines := make(chan lineOrErr, 1024)
	f.body, f.lines = res.Body, lines
	go func() {
		defer close(lines)
		for sc.Scan() {
			var l streamLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				lines <- lineOrErr{err: err}
				return
			}
			lines <- lineOrErr{l: l}
		}
		lines <- lineOrErr{err: fmt.Errorf("daemon: leader stream ended: %v", sc.Err())}
	}()
	return first.Header, nil
}

// leaderRefused is the leader's answer to a stream request other than 200.
type leaderRefused struct {
	status  int
	problem admin.Problem
}

func (e *leaderRefused) Error() string {
	return fmt.Sprintf("daemon: leader stream: %d %s (%s) %s", e.status, e.problem.Title, e.problem.Code, e.problem.Detail)
}

// pinnedClient is an HTTP client that accepts exactly the certificate in
// the PEM file certPath: the leader's own. Pinning the certificate (rather
// than trusting a CA for a name) fits a pair of processes an operator sets
// up together, needs no PKI, and leaves no other server a way in.
func pinnedClient(certPath string) (*http.Client, error) {
	raw, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("daemon: standby.leader_cert: %w", err)
	}
	blk, _ := pem.Decode(raw)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("daemon: standby.leader_cert %s: no PEM CERTIFICATE block", certPath)
	}
	pinned := blk.Bytes
	tcfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The chain-and-name check is replaced by the pin below.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, pinned) {
				return errors.New("daemon: the leader's certificate is not the pinned standby.leader_cert")
			}
			return nil
		},
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tcfg, ForceAttemptHTTP2: false,
		TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: 30 * time.Second}}, nil
}

func (f *follower) close() {
	if f.body != nil {
		f.body.Close()
		f.body = nil
	}
}

// run applies the stream until ctx ends (false) or the leader has been
// silent for takeover_after (true). It reconnects in between.
func (f *follower) run(ctx context.Context) (bool, error) {
	d := f.d
	silence := d.cfg.Standby.TakeoverAfter.D()
	lastContact := time.Now()
	flush := time.NewTicker(flushEvery)
	defer flush.Stop()
	var hbHeight int64
	for {
		if f.lines == nil {
			if time.Since(lastContact) >= silence {
				return true, nil
			}
			hdr, err := f.connect(ctx)
			if ctx.Err() != nil {
				return false, nil
			}
			if err != nil {
				select {
				case <-ctx.Done():
					return false, nil
				case <-time.After(200 * time.Millisecond):
				}
				continue
			}
			if !sameGroups(hdr.Groups, d.lists) || hdr.Workers != d.cfg.Engine.Workers {
				return false, errors.New("daemon: standby: the leader's groups or workers changed; restart the standby")
			}
			lastContact = time.Now()
		}
		select {
		case <-ctx.Done():
			return false, d.runner.Flush()
		case <-flush.C:
			if err := d.runner.Flush(); err != nil {
				return false, err
			}
			if hbHeight > 0 {
				if err := d.st.SetCounter(ledgerHeightCounter, uint64(hbHeight)); err != nil {
					return false, err
				}
				d.mu.Lock()
				d.ledgerH = hbHeight
				d.mu.Unlock()
			}
		case <-time.After(silence - time.Since(lastContact)):
			d.logf("riskd: standby: no word from the leader for %s", silence)
			f.close()
			f.lines = nil
		case le, ok := <-f.lines:
			if !ok || le.err != nil {
				d.logf("riskd: standby: %v", le.err)
				f.close()
				f.lines = nil
				continue
			}
			lastContact = time.Now()
			switch {
			case le.l.Input != nil:
				in := *le.l.Input
				if in.Seq <= d.runner.LastSeq() {
					continue // already applied (a reconnect overlaps)
				}
				if in.Kind == risk.InputParams && in.Params != nil {
					// The standby's API shows the version the stream
					// carries (and a takeover starts from it).
					if err := d.st.PutParamVersion(*in.Params); err != nil {
						return false, err
					}
					if err := d.newAPI(true); err != nil {
						return false, err
					}
				}
				if in.Kind == risk.InputEvent {
					d.mu.Lock()
					d.eventSeq = in.Event.Seq
					d.mu.Unlock()
				}
				if err := d.runner.SubmitNumbered(in); err != nil {
					return false, err
				}
			case le.l.Heartbeat != nil:
				// The leader has persisted the inputs of every block up to
				// this height; once ours are flushed, so have we.
				hbHeight = le.l.Heartbeat.LedgerHeight
			}
		}
	}
}

func sameGroups(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\x00") != strings.Join(b[i], "\x00") {
			return false
		}
	}
	return true
}

// takeover turns a standby into the leader: every input followed is
// applied and its alerts stored, and the admin API becomes writable (with
// the newest parameter version the stream carried). lead then records the
// chain's batches from the standby's own alerts and starts the sources.
func (d *daemon) takeover(ctx context.Context) error {
	d.logf("riskd: standby: the leader is gone; taking over")
	if err := d.runner.Drain(); err != nil {
		return err
	}
	return d.newAPI(false)
}

// Status is what GET /v1/status reports.
type Status struct {
	Role         Role   `json:"role"`
	Operator     string `json:"operator,omitempty"`
	LastInputSeq uint64 `json:"last_input_seq"`
	LastEventSeq uint64 `json:"last_event_seq"`
	Alerts       uint64 `json:"alerts"`
	Batches      uint64 `json:"batches"`
	Anchored     uint64 `json:"anchored"`
	LedgerHeight int64  `json:"ledger_height"`
	// ReplaysDropped counts captured events dropped as replays of stored
	// ones (see the daemon's replay guard).
	ReplaysDropped uint64 `json:"replays_dropped"`
	ParamsVersion  int64  `json:"params_version"`
	AnchorError    string `json:"anchor_error,omitempty"`
	// Capture is the leader's capture: what it decoded and lost (absent
	// before its first report, and on a standby).
	Capture *CaptureStatus `json:"capture,omitempty"`
}

func (d *daemon) status() (Status, error) {
	s := Status{Role: d.role.Load().(Role)}
	if api := d.api.Load(); api != nil {
		s.ParamsVersion = api.api.Current().Version
	}
	if d.conn != nil {
		s.Operator = d.conn.Operator()
	}
	var err error
	if s.LastInputSeq, err = d.st.LastInputSeq(); err != nil {
		return s, err
	}
	if s.Alerts, err = d.st.LastAlertSeq(); err != nil {
		return s, err
	}
	if s.Batches, err = d.st.LastBatchSeq(); err != nil {
		return s, err
	}
	for seq := s.Batches; seq > 0; seq-- {
		var b anchor.Batch
		if err := d.st.BatchRecord(seq, &b); err == nil && b.TxHash != "" {
			s.Anchored = seq
			break
		}
	}
	d.mu.Lock()
	s.LastEventSeq, s.LedgerHeight, s.AnchorError, s.ReplaysDropped = d.eventSeq, d.ledgerH, d.anchorErr, d.replays
	emitted, taken := d.capEmitted, d.capTaken
	d.mu.Unlock()
	if cs, ok := d.met.captureStats(); ok {
		s.Capture = &CaptureStatus{Packets: cs.Packets, Events: emitted, KernelPackets: cs.KernelPackets, KernelDrops: cs.KernelDrops,
			Gaps: cs.Gaps, LostBytes: cs.LostBytes, CutMessages: cs.CutMessages, Taken: taken == emitted}
	}
	return s, nil
}

func (d *daemon) handleStatus(w http.ResponseWriter, r *http.Request) {
	s, err := d.status()
	if err != nil {
		admin.WriteProblem(w, r, err, d.logf)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s)
}
