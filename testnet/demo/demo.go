package demo

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/client/keys"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/trading"
	"github.com/custody-ledger/custody/contracts/transfers"
	"github.com/custody-ledger/custody/testnet"
	"github.com/custody-ledger/custody/testnet/exchsim"
)

// Config says where the demo runs and how.
type Config struct {
	// Dir holds everything the demo writes: the node homes (a testnet
	// directory, replaced if one is there), risk-1/ (the risk core's
	// configuration, store and log), clients/ (the clients' keyring) and
	// demo.log. Required.
	Dir string
	// Nodes runs the nodes: &testnet.Processes{Binary: custodyd} for the
	// command, &testnet.InProcess{} for tests. Required.
	Nodes testnet.Provider
	// Riskd is the riskd executable the risk core runs as (`riskd run`);
	// empty runs the same daemon (risk/daemon) in this process.
	Riskd string
	// Iface is where the risk core captures the simulators' traffic.
	// Default "lo".
	Iface string
	// TimeoutCommit overrides the manifest's consensus.timeout_commit
	// (default 500ms) when positive.
	TimeoutCommit time.Duration
	// Date is the business date the day trades on, YYYYMMDD. Default today
	// in China (UTC+8); the next business date is the next weekday.
	Date uint32
	// Progress receives the demo's progress; nil discards it.
	Progress func(Progress)
	// Lock, when set, is the run lock the command holds on Dir: the risk
	// core's pid is recorded in it (give the same lock to
	// testnet.Processes for the nodes'). Replacing Dir keeps its files.
	Lock *testnet.RunLock
}

// Demo is one run of the scripted day. New prepares it, Play plays it,
// Stop stops everything it started.
type Demo struct {
	cfg        Config
	date, next uint32
	// interestEnd is the settlement day the interest phase paid.
	interestEnd uint32
	log         *os.File // Dir/demo.log: what each phase did, in words

	tn   *testnet.Testnet
	l    *testnet.Launcher
	keys map[string]ed25519.PrivateKey // first signing key of each participant
	cls  map[string]*client.Client     // by node name
	v    *client.Verifier
	sim  *exchsim.Sim
	risk *riskCore
	// riskAdminAddr is the risk core's admin host:port, picked before the
	// nodes start so that their app.toml can name it (pickRiskAdmin).
	riskAdminAddr string
	// opKey is risk-1's signing key (in Dir/risk-1/keyring-test).
	opKey ed25519.PrivateKey

	pending []pendingTx
	orders  map[string]*order // by ClOrdID on the wire
	nextCl  int
	wire    wireTotals
	events  uint64 // order-flow events the risk core must have captured
	// missed counts events live capture lost (kernel drops, gaps); lossAt
	// and lossSince track how long the capture has been still since.
	missed    uint64
	lossAt    *[2]uint64
	lossSince time.Time
	refusals  []Refusal
	lastFill  time.Time // when the last fill was committed on chain
	ledgerH   int64     // the last height whose events the risk core must take
	rest      restStatus
	restDone  []string // the REST checks that passed
	// agreedHeight is the height up to which every node reported the same
	// blocks and app hashes (the checks phase).
	agreedHeight int64
	alertSummary AlertSummary // the alerts phase's verification

	mu       sync.Mutex // guards the progress fields below
	phase    int
	started  time.Time
	phaseT0  time.Time
	height   int64
	txs      int64
	txsSeenH int64
	alerts   uint64
	stopOnce sync.Once
	stopErr  error
	stopPoll context.CancelFunc
	pollDone chan struct{}
}

// pendingTx is a tx sent and not yet seen in a block: what to send again
// should the mempool lose it.
type pendingTx struct {
	node string
	key  ed25519.PrivateKey
	msg  proto.Message
	what string
	hash []byte
	// memo marks a tx sent again: a lost tx re-signed at the same sequence
	// would be the same bytes, under the same hash as its failed result.
	memo string
}

// wireTotals are the exchange's own figures of the day (the clearing
// house's trade file): fills, buy and sell value per trade, closing prices.
type wireTotals struct {
	fills     uint32
	buyValue  int64
	sellValue int64
	last      map[string]int64 // last fill price by chain security
}

// New checks cfg and prepares a demo; nothing starts until Play.
func New(cfg Config) (*Demo, error) {
	if cfg.Dir == "" {
		return nil, errors.New("demo: Config.Dir is required")
	}
	if cfg.Nodes == nil {
		return nil, errors.New("demo: Config.Nodes is required")
	}
	if cfg.Iface == "" {
		cfg.Iface = "lo"
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	cfg.Dir = dir
	d := &Demo{cfg: cfg, orders: map[string]*order{}, wire: wireTotals{last: map[string]int64{}}}
	d.date, d.next = cfg.Date, 0
	if d.date == 0 {
		d.date = dateOf(time.Now().In(chinaTime))
	}
	if d.next, err = nextWeekday(d.date); err != nil {
		return nil, err
	}
	return d, nil
}

// removeContents empties dir except the named entries (the run lock the
// command holds there: removing its file would let a second demo take a
// fresh lock on the same directory).
func removeContents(dir string, keep ...string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if slices.Contains(keep, e.Name()) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

var chinaTime = time.FixedZone("CST", 8*3600)

func dateOf(t time.Time) uint32 {
	return uint32(t.Year()*10000 + int(t.Month())*100 + t.Day())
}

func nextWeekday(date uint32) (uint32, error) {
	t, err := time.ParseInLocation("20060102", fmt.Sprint(date), chinaTime)
	if err != nil {
		return 0, fmt.Errorf("demo: date %d: %w", date, err)
	}
	for t = t.AddDate(0, 0, 1); t.Weekday() == time.Saturday || t.Weekday() == time.Sunday; t = t.AddDate(0, 0, 1) {
	}
	return dateOf(t), nil
}

// Date is the business date the day trades on; NextDate the one clearing
// opens.
func (d *Demo) Date() uint32     { return d.date }
func (d *Demo) NextDate() uint32 { return d.next }

// Testnet is the running network (nil before the network phase).
func (d *Demo) Testnet() *testnet.Testnet { return d.tn }

// logf writes one line to Dir/demo.log.
func (d *Demo) logf(format string, args ...any) {
	if d.log != nil {
		fmt.Fprintf(d.log, time.Now().Format("15:04:05.000 ")+format+"\n", args...)
	}
}

// Play runs every phase in order and returns the summary read back from
// the chain and the risk core. It stops at the first phase that fails;
// Stop cleans up either way.
func (d *Demo) Play(ctx context.Context) (*Summary, error) {
	// A directory holding a testnet (an earlier demo's) is replaced, as
	// testnet.Generate does with Force; any other is written into.
	if _, err := os.Stat(filepath.Join(d.cfg.Dir, testnet.StateFile)); err == nil {
		if err := removeContents(d.cfg.Dir, testnet.RunLockFile, testnet.RunPIDsFile); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	if err := os.MkdirAll(d.cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	lf, err := os.OpenFile(filepath.Join(d.cfg.Dir, "demo.log"), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	d.log = lf
	d.mu.Lock()
	d.started = time.Now()
	d.mu.Unlock()
	pctx, stop := context.WithCancel(context.Background())
	d.stopPoll, d.pollDone = stop, make(chan struct{})
	go d.poll(pctx)
	for i, p := range phases {
		d.mu.Lock()
		d.phase, d.phaseT0 = i+1, time.Now()
		d.mu.Unlock()
		d.report(false, "")
		d.logf("phase %d/%d %s: %s", i+1, len(phases), p.Name, p.Title)
		note, err := p.run(d, ctx)
		if err != nil {
			d.logf("phase %s failed: %v", p.Name, err)
			return nil, fmt.Errorf("demo: phase %q: %w", p.Name, err)
		}
		d.logf("phase %s done: %s", p.Name, note)
		d.refresh(ctx)
		d.report(true, note)
	}
	s, err := d.summary(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: summary: %w", err)
	}
	return s, nil
}

// Stop stops the risk core, the simulators and the nodes, in that order
// (the risk core anchors its last batch on the still running chain). It is
// safe to call more than once and after a failed Play.
func (d *Demo) Stop() error {
	d.stopOnce.Do(func() {
		if d.stopPoll != nil {
			d.stopPoll()
			<-d.pollDone
		}
		var errs []error
		if d.risk != nil {
			errs = append(errs, d.risk.stop())
		}
		if d.v != nil {
			errs = append(errs, d.v.Close())
		}
		if d.sim != nil {
			errs = append(errs, d.sim.Close())
		}
		if d.l != nil {
			errs = append(errs, d.l.StopAll())
		}
		if d.log != nil {
			errs = append(errs, d.log.Close())
		}
		d.stopErr = errors.Join(errs...)
	})
	return d.stopErr
}

// Done returns a channel that is closed when a node or the risk core
// exits by itself (the command then stops the rest), and says which.
func (d *Demo) Done() <-chan string {
	out := make(chan string, 1)
	if d.tn == nil {
		return out
	}
	for _, n := range d.tn.Nodes {
		if ch := d.l.Done(n.Name); ch != nil {
			go func(name string, ch <-chan struct{}) {
				<-ch
				select {
				case out <- "node " + name + " (see " + filepath.Join(d.tn.Home(n), "node.log") + ")":
				default:
				}
			}(n.Name, ch)
		}
	}
	if d.risk != nil {
		go func() {
			<-d.risk.done
			select {
			case out <- "the risk core (see " + d.risk.logPath + ")":
			default:
			}
		}()
	}
	return out
}

// send signs msg with key, hands it to node's mempool and remembers it
// for settle.
func (d *Demo) send(ctx context.Context, node string, key ed25519.PrivateKey, msg proto.Message, what string) error {
	p := pendingTx{node: node, key: key, msg: msg, what: what}
	if err := d.submit(ctx, &p); err != nil {
		return err
	}
	d.pending = append(d.pending, p)
	return nil
}

func (d *Demo) submit(ctx context.Context, p *pendingTx) error {
	res, err := d.cls[p.node].Submit(ctx, p.key, p.msg, client.SubmitOptions{Memo: p.memo})
	if err != nil {
		return fmt.Errorf("%s: %w", p.what, err)
	}
	p.hash = res.Hash
	return nil
}

// settle waits until every tx sent is in a block with code 0 and returns
// the highest height among them.
//
// CometBFT's mempool can hold two consecutive txs of one signer out of
// order when they reach a node from two peers at once (testnet/load's
// TestMempool_AppendsOutOfCheckOrder). abci's PrepareProposal puts each
// signer's txs back in sequence order; should one still fail with a bad
// sequence, the signer's later txs fail the recheck and leave the
// mempool. settle then sends them again, in their order, with fresh
// sequences (at most ten rounds): the script's outcome never depends on
// the race.
func (d *Demo) settle(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	defer func() { d.pending = nil }()
	var top int64
	for round := 1; ; round++ {
		lost, h, err := d.await(ctx, d.pending)
		top = max(top, h)
		if err != nil || len(lost) == 0 {
			return top, err
		}
		if round == 10 {
			return top, fmt.Errorf("%s: lost to the mempool %d times", lost[0].what, round)
		}
		d.logf("settle: %d txs lost to out-of-order delivery (first: %s); sending them again", len(lost), lost[0].what)
		var again []pendingTx
		for i := range lost {
			lost[i].memo = fmt.Sprintf("sent again (%d)", round)
			err := d.submit(ctx, &lost[i])
			if err != nil && alreadyApplied(err) {
				// Refused as a duplicate: it is in a block after all, under
				// its first hash (an index that lagged); check that.
				if res, lerr := d.cls[lost[i].node].RPC().Tx(ctx, lost[i].hash, false); lerr == nil && res.TxResult.Code == 0 {
					top = max(top, res.Height)
					continue
				}
			}
			if err != nil {
				return top, err
			}
			again = append(again, lost[i])
		}
		d.pending = again
	}
}

// await waits for every tx of ps: committed, failed in its block, or
// dropped from every mempool. It returns the txs to send again (failed
// with a bad sequence, or dropped) and the highest height committed.
func (d *Demo) await(ctx context.Context, ps []pendingTx) ([]pendingTx, int64, error) {
	var top int64
	done := make([]bool, len(ps))
	var lost []pendingTx
	for left := len(ps); left > 0; {
		for i, p := range ps {
			if done[i] {
				continue
			}
			res, err := d.cls[p.node].RPC().Tx(ctx, p.hash, false)
			if err != nil {
				continue // not in a block (yet)
			}
			done[i], left = true, left-1
			top = max(top, res.Height)
			if r := res.TxResult; r.Code != 0 {
				err := client.CodeError(r.Codespace, r.Code)
				if !errors.Is(err, contracts.ErrBadSequence) {
					return nil, top, fmt.Errorf("%s: failed in block %d: %s/%d %s", p.what, res.Height, r.Codespace, r.Code, r.Log)
				}
				lost = append(lost, p)
			}
		}
		if left == 0 {
			break
		}
		// Some are in no block yet: still in a mempool, or dropped.
		empty, err := d.mempoolsEmpty(ctx)
		if err != nil {
			return nil, top, err
		}
		if empty {
			// A tx in no block while every mempool is empty was dropped;
			// look at the index again once the next block is in (it is
			// written just after a block commits).
			if err := d.nextBlock(ctx); err != nil {
				return nil, top, err
			}
			for i, p := range ps {
				if done[i] {
					continue
				}
				if res, err := d.cls[p.node].RPC().Tx(ctx, p.hash, false); err == nil && res.TxResult.Code == 0 {
					done[i], left = true, left-1
					top = max(top, res.Height)
					continue
				}
				done[i], left = true, left-1
				lost = append(lost, p)
			}
			break
		}
		select {
		case <-ctx.Done():
			return nil, top, fmt.Errorf("waiting for %d txs: %w", left, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	// Send again in the order first sent.
	sort.SliceStable(lost, func(i, j int) bool { return indexOf(ps, lost[i]) < indexOf(ps, lost[j]) })
	return lost, top, nil
}

func indexOf(ps []pendingTx, p pendingTx) int {
	for i := range ps {
		if string(ps[i].hash) == string(p.hash) {
			return i
		}
	}
	return len(ps)
}

// nextBlock waits until every node has committed a block above the
// highest any of them had: each node's tx index then holds every block
// committed before the call.
func (d *Demo) nextBlock(ctx context.Context) error {
	var top int64
	for _, n := range d.tn.Nodes {
		st, err := d.cls[n.Name].RPC().Status(ctx)
		if err != nil {
			return err
		}
		top = max(top, st.SyncInfo.LatestBlockHeight)
	}
	for _, n := range d.tn.Nodes {
		if _, err := testnet.WaitForHeight(ctx, n, top+1); err != nil {
			return err
		}
	}
	return nil
}

// alreadyApplied says whether a refusal means the tx's effect is already
// on chain: its id (order, exec, transfer) is taken.
func alreadyApplied(err error) bool {
	return errors.Is(err, trading.ErrOrderExists) || errors.Is(err, trading.ErrDuplicateExec) || errors.Is(err, transfers.ErrDuplicateTransfer)
}

// mempoolsEmpty says whether every node's mempool is empty.
func (d *Demo) mempoolsEmpty(ctx context.Context) (bool, error) {
	for _, n := range d.tn.Nodes {
		res, err := d.cls[n.Name].RPC().NumUnconfirmedTxs(ctx)
		if err != nil {
			return false, err
		}
		if res.Total > 0 {
			return false, nil
		}
	}
	return true, nil
}

// Refusal is a tx the script sends for the chain to refuse, and the
// chain's answer.
type Refusal struct {
	// What the script tried.
	What string `json:"what"`
	// Code is the registered code of the refusal ("funds/1"), Log the
	// node's message.
	Code string `json:"code"`
	Log  string `json:"log"`
	// Err is the registered error (errors.Is against the contract's
	// sentinel).
	Err error `json:"-"`
}

// refuse sends msg, which the chain must refuse with want (at CheckTx or
// in its block), and records the refusal.
func (d *Demo) refuse(ctx context.Context, node string, key ed25519.PrivateKey, msg proto.Message, what string, want error) error {
	c := d.cls[node]
	res, err := c.Submit(ctx, key, msg, client.SubmitOptions{})
	if err == nil {
		_, err = c.WaitTx(ctx, res.Hash)
	}
	var te *client.TxError
	if !errors.As(err, &te) || !errors.Is(err, want) {
		return fmt.Errorf("%s: want the chain to refuse it with %v, got %v", what, want, err)
	}
	d.refusals = append(d.refusals, Refusal{What: what, Code: fmt.Sprintf("%s/%d", te.Codespace, te.Code), Log: te.Log, Err: te.Err})
	d.logf("refused as intended: %s: %s/%d %s", what, te.Codespace, te.Code, te.Log)
	return nil
}

// saveClientKeys writes every client's key to Dir/clients/keyring-test
// (unencrypted, the test backend: a demo only) under its account id, for
// the CLI.
func (d *Demo) saveClientKeys() error {
	kr, err := keys.Open(d.clientKeyring(), keys.BackendTest)
	if err != nil {
		return err
	}
	for _, c := range Clients {
		if _, err := kr.ImportKey(c.ID, c.Key(), nil); err != nil {
			return fmt.Errorf("demo: client key %s: %w", c.ID, err)
		}
	}
	return nil
}

func (d *Demo) clientKeyring() string { return filepath.Join(d.cfg.Dir, "clients", testnet.KeyringDir) }

// as is the client of participant's node reading as participant: the
// node answers a query for the key whose credential it carries, and an
// institution that runs no node of its own reads through another's.
func (d *Demo) as(participant string) *client.Client {
	return d.cls[d.nodeOf(participant)].WithReadKey(d.keys[participant])
}

// nodeOf is the node an institution runs (its own name in the default
// network).
func (d *Demo) nodeOf(participant string) string {
	for _, n := range d.tn.Nodes {
		if n.Participant == participant {
			return n.Name
		}
	}
	return d.tn.Nodes[0].Name
}

// tail returns the last lines of a log file, for an error message.
func tail(path string, lines int) string {
	bz, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	ls := strings.Split(strings.TrimRight(string(bz), "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}
