package load

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cometbft/cometbft/mempool"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/testnet"
)

// Status is what became of a tx the load sent.
type Status int

const (
	// StatusCommitted: in a block with code 0.
	StatusCommitted Status = iota
	// StatusFailed: in a block with a non-zero code.
	StatusFailed
	// StatusRefused: CheckTx refused it; it is in no mempool.
	StatusRefused
	// StatusLost: CheckTx accepted it, and no block held it when the
	// runner gave up on it (at the end of Drain, or when its signer read
	// its sequence from the chain again). A lost tx that a later block
	// holds after all is reported again with its real status.
	StatusLost
)

func (s Status) String() string {
	return [...]string{"committed", "failed in block", "refused at check", "lost"}[s]
}

// Outcome is the fate of one Action.
type Outcome struct {
	Status Status
	// Code labels a refusal or failure: "codespace/code description".
	Code string
	// Height is the block that held the tx (committed or failed).
	Height int64
}

// Signer is one key that sends txs, always through the same node, so that
// its sequences reach one mempool in order.
type Signer struct {
	Name string
	// Key signs custody txs; nil for workloads whose txs carry no
	// signature (the kvstore).
	Key ed25519.PrivateKey
	// Node is the node the signer sends to; the runner pins signers to the
	// nodes round-robin.
	Node *testnet.Node

	queue chan *Action
	// next is the sequence of the signer's next tx; only the signer's
	// goroutine touches it.
	next  uint64
	known bool
	// inflight holds the signer's acknowledged txs not yet in a block, by
	// sequence. Guarded by Runner.mu.
	inflight map[uint64]*Action
}

// Action is one tx for a signer to send. Build makes its bytes at the
// signer's next sequence (custody txs carry it; the kvstore ignores it).
type Action struct {
	Kind   string
	Signer *Signer
	Build  func(seq uint64) ([]byte, error)
	// Done, if set, is told the tx's outcome. It runs on the runner's
	// goroutines (for txs in blocks: the block watcher, in block order) and
	// must not block. A lost tx that is committed later is told twice.
	Done func(*Action, Outcome)

	setup    bool
	seq      uint64
	hash     [32]byte
	size     int
	sent     time.Time
	acked    bool
	resolved bool
	released bool
	done     chan struct{} // closed when resolved (setup waits on it)
	outcome  Outcome
	// failure is the tx's first failure in a block with a bad sequence,
	// which is not final (the same bytes may commit later).
	failure *Outcome
}

// Seq is the sequence the action's tx was signed at.
func (a *Action) Seq() uint64 { return a.seq }

// Workload is what a load sends: the custody mix, or the kvstore baseline.
type Workload interface {
	// Name names the application ("custody", "kvstore").
	Name() string
	// Signers returns every signer, in the order the runner pins them to
	// the nodes round-robin.
	Signers() []*Signer
	// Setup sends what must be on chain before the load (accounts, funds)
	// with Runner.Do.
	Setup(ctx context.Context, r *Runner) error
	// Next returns the next action of the load, or nil when none can be
	// sent now. It runs on the dispatching goroutine only; it should pick
	// signers whose node is up (Runner.Up).
	Next(r *Runner, rng *rand.Rand) *Action
}

// Runner sends a Workload to a network and watches its blocks.
type Runner struct {
	cfg     Config
	wl      Workload
	chainID string
	nodes   []*testnet.Node
	logf    func(format string, args ...any)

	hc      *http.Client // the watcher's, for raw JSON-RPC reads
	rpcs    map[string]*rpchttp.HTTP
	byAddr  map[string]*Signer // custody signers by address
	clients map[string]*client.Client
	signers []*Signer
	sem     chan struct{}
	rng     *rand.Rand

	cancel context.CancelFunc
	wg     sync.WaitGroup

	// procMu is held while the watcher applies a block, so Snapshot sees
	// the workload's model at a block boundary.
	procMu sync.Mutex

	mu         sync.Mutex
	pending    map[[32]byte]*Action // sent or acknowledged, not yet in a block
	lost       map[[32]byte]*Action // declared lost, still watched for
	down       map[string]time.Time // node name -> since when its RPC fails
	height     int64                // last height the watcher applied
	startH     int64                // height when the runner started
	blocks     []BlockRecord
	dispatched int
	stats      stats
}

// BlockRecord is one block as the watcher saw it.
type BlockRecord struct {
	Height  int64
	Seen    time.Time
	BlockID string
	// AppHash is the header's app hash: the state after the previous block.
	AppHash string
	Txs     int
}

// NewRunner prepares a runner of wl against nodes of t. Start starts it.
func NewRunner(cfg Config, t *testnet.Testnet, nodes []*testnet.Node, wl Workload, logf func(string, ...any)) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(nodes) == 0 {
		return nil, errors.New("load: no nodes")
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	r := &Runner{
		cfg: cfg, wl: wl, chainID: t.ChainID, nodes: nodes, logf: logf,
		rpcs: map[string]*rpchttp.HTTP{}, clients: map[string]*client.Client{},
		hc: &http.Client{
			Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true},
			Timeout:   time.Minute,
		},
		sem: make(chan struct{}, cfg.InFlight), rng: rand.New(rand.NewSource(cfg.Seed)),
		pending: map[[32]byte]*Action{}, lost: map[[32]byte]*Action{}, down: map[string]time.Time{},
	}
	r.stats.init()
	for _, n := range nodes {
		if err := r.dial(n); err != nil {
			return nil, err
		}
	}
	r.signers = wl.Signers()
	r.byAddr = map[string]*Signer{}
	for i, s := range r.signers {
		if s.Key != nil {
			r.byAddr[client.Address(s.Key.Public().(ed25519.PublicKey))] = s
		}
		if s.Node == nil {
			s.Node = nodes[i%len(nodes)]
		}
		s.queue = make(chan *Action, cfg.InFlight)
		s.inflight = map[uint64]*Action{}
	}
	return r, nil
}

// dial (re)creates the RPC client of n. Keep-alive connections matter: at
// thousands of txs per second, Go's default of two idle connections per
// host would open and close a TCP connection for most requests.
func (r *Runner) dial(n *testnet.Node) error {
	hc := &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: 1024, DisableCompression: true},
		Timeout:   30 * time.Second,
	}
	rpc, err := rpchttp.NewWithClient(n.RPCURL(), "/websocket", hc)
	if err != nil {
		return fmt.Errorf("load: rpc %s: %w", n.Name, err)
	}
	r.mu.Lock()
	r.rpcs[n.Name] = rpc
	r.clients[n.Name] = client.New(rpc, r.chainID, client.Options{})
	r.mu.Unlock()
	return nil
}

func (r *Runner) rpc(n *testnet.Node) *rpchttp.HTTP {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rpcs[n.Name]
}

// Client returns the SDK client of node n (for queries).
func (r *Runner) Client(n *testnet.Node) *client.Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.clients[n.Name]
}

// AddNode makes n a node the watcher may read from and checks may query
// (a node that joined the network later). No signer is pinned to it.
func (r *Runner) AddNode(n *testnet.Node) error {
	if err := r.dial(n); err != nil {
		return err
	}
	r.mu.Lock()
	r.nodes = append(r.nodes, n)
	r.mu.Unlock()
	return nil
}

// Redial replaces the RPC clients of n (after a restart).
func (r *Runner) Redial(n *testnet.Node) error { return r.dial(n) }

// Nodes returns the nodes the runner knows.
func (r *Runner) Nodes() []*testnet.Node {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*testnet.Node(nil), r.nodes...)
}

// Start starts the block watcher and one goroutine per signer. They run
// until Stop.
func (r *Runner) Start(ctx context.Context) error {
	var st int64
	var errs []error
	for _, n := range r.nodes {
		s, err := r.rpc(n).Status(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", n.Name, err))
			continue
		}
		st = s.SyncInfo.LatestBlockHeight
		break
	}
	if st == 0 && len(errs) > 0 {
		return fmt.Errorf("load: no node answers: %w", errors.Join(errs...))
	}
	r.height, r.startH = st, st
	ctx, r.cancel = context.WithCancel(ctx)
	r.wg.Add(2 + len(r.signers))
	go func() { defer r.wg.Done(); r.watch(ctx) }()
	go func() { defer r.wg.Done(); r.expire(ctx) }()
	for _, s := range r.signers {
		go func() { defer r.wg.Done(); r.runSigner(ctx, s) }()
	}
	return nil
}

// Stop stops the watcher and the signers and waits for them.
func (r *Runner) Stop() {
	if r.cancel != nil {
		r.cancel()
	}
	r.wg.Wait()
}

// Up says whether n's RPC answered the last time a signer used it.
func (r *Runner) Up(n *testnet.Node) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, isDown := r.down[n.Name]
	return !isDown
}

// Pick returns a random signer of ss whose node is up, or nil.
func (r *Runner) Pick(ss []*Signer, rng *rand.Rand) *Signer {
	if len(ss) == 0 {
		return nil
	}
	off := rng.Intn(len(ss))
	for i := range ss {
		s := ss[(off+i)%len(ss)]
		if r.Up(s.Node) {
			return s
		}
	}
	return nil
}

// Height is the last height the watcher has applied.
func (r *Runner) Height() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.height
}

// WaitHeight waits until the watcher has applied height h.
func (r *Runner) WaitHeight(ctx context.Context, h int64) error {
	for r.Height() < h {
		select {
		case <-ctx.Done():
			return fmt.Errorf("load: height %d not reached (at %d): %w", h, r.Height(), ctx.Err())
		case <-time.After(r.cfg.Poll):
		}
	}
	return nil
}

// Blocks returns the blocks the watcher applied, in height order.
func (r *Runner) Blocks() []BlockRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]BlockRecord(nil), r.blocks...)
}

// Snapshot runs fn between two blocks, with the height of the last block
// applied: fn sees the workload's model exactly as of that height.
func (r *Runner) Snapshot(fn func(height int64)) {
	r.procMu.Lock()
	defer r.procMu.Unlock()
	fn(r.Height())
}

// Do sends setup actions and waits until each is in a block. Each
// signer's actions go one at a time, each after the previous one is in a
// block: setup must not fail, and with one tx per signer in the mempools
// no proposer can order a signer's txs against their sequence (see
// doc.go, "Out-of-order sequences"). Setup actions count in no statistic.
// An action not committed with code 0 is an error.
func (r *Runner) Do(ctx context.Context, actions []*Action) error {
	var order []*Signer
	bySigner := map[*Signer][]*Action{}
	for _, a := range actions {
		if bySigner[a.Signer] == nil {
			order = append(order, a.Signer)
		}
		bySigner[a.Signer] = append(bySigner[a.Signer], a)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, s := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, a := range bySigner[s] {
				a.setup = true
				a.done = make(chan struct{})
				select {
				case r.sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				s.queue <- a
				select {
				case <-a.done:
				case <-ctx.Done():
					return
				}
				if a.outcome.Status != StatusCommitted {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s by %s (seq %d): %s %s", a.Kind, s.Name, a.seq, a.outcome.Status, a.outcome.Code))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return fmt.Errorf("load: setup: %w", ctx.Err())
	}
	if len(errs) > 0 {
		return fmt.Errorf("load: setup: %d of %d txs failed: %w", len(errs), len(actions), errors.Join(errs[:min(len(errs), 5)]...))
	}
	return nil
}

// Generate sends the workload's actions as fast as the in-flight window
// allows, for d, or until Config.MaxTxs actions were dispatched, or ctx
// ends.
func (r *Runner) Generate(ctx context.Context, d time.Duration) {
	until := time.Now().Add(d)
	for {
		select {
		case r.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		r.mu.Lock()
		stop := time.Now().After(until) || (r.cfg.MaxTxs > 0 && r.dispatched >= r.cfg.MaxTxs)
		r.mu.Unlock()
		if stop {
			<-r.sem
			return
		}
		a := r.wl.Next(r, r.rng)
		if a == nil {
			<-r.sem
			select {
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		a.done = make(chan struct{})
		r.mu.Lock()
		r.dispatched++
		r.mu.Unlock()
		a.Signer.queue <- a
	}
}

// Drain waits until every tx the load sent is in a block, or only txs in
// doubt are left (superseded by a resync, expired, refused after a failed
// attempt, or failed in a block with a bad sequence), or Config.Drain has
// passed; it then gives those five more blocks and settles the rest: a tx
// that failed in a block with a bad sequence is failed, any other lost.
func (r *Runner) Drain(ctx context.Context) {
	deadline := time.Now().Add(r.cfg.Drain)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		r.mu.Lock()
		sure := 0
		for _, a := range r.pending {
			if !a.released {
				sure++
			}
		}
		r.mu.Unlock()
		if sure == 0 {
			break
		}
		sleep(ctx, 50*time.Millisecond)
	}
	end := time.Now().Add(5 * time.Second)
	if deadline.After(end) {
		end = deadline
	}
	wctx, cancel := context.WithDeadline(ctx, end)
	_ = r.WaitHeight(wctx, r.Height()+5)
	cancel()
	r.mu.Lock()
	var left []*Action
	for _, a := range r.pending {
		left = append(left, a)
	}
	r.mu.Unlock()
	for _, a := range left {
		if a.failure != nil {
			r.resolve(a, *a.failure, time.Now())
			continue
		}
		r.declareLost(a, "not in a block by the end of the drain")
	}
}

func (r *Runner) runSigner(ctx context.Context, s *Signer) {
	for {
		select {
		case a := <-s.queue:
			r.send(ctx, s, a)
		case <-ctx.Done():
			return
		}
	}
}

// send signs and broadcasts one action. A transport error or a full
// mempool is retried with the same bytes (the node may have taken the tx;
// a second copy is refused as already in its cache, which counts as
// taken). A refusal is final, unless an earlier attempt failed in transit:
// then the tx may be in a block already or on its way, and it stays
// watched. A bad-sequence refusal makes the signer continue from the
// sequence the node expects (resync).
func (r *Runner) send(ctx context.Context, s *Signer, a *Action) {
	if s.Key != nil && !s.known {
		if err := r.readSequence(ctx, s); err != nil {
			r.resolve(a, Outcome{Status: StatusRefused, Code: "no sequence: " + err.Error()}, time.Now())
			return
		}
	}
	tx, err := a.Build(s.next)
	if err != nil {
		r.logf("load: build %s for %s: %v", a.Kind, s.Name, err)
		r.resolve(a, Outcome{Status: StatusRefused, Code: "build error"}, time.Now())
		return
	}
	a.seq, a.hash, a.size = s.next, sha256.Sum256(tx), len(tx)
	r.mu.Lock()
	a.sent = time.Now()
	if prev, ok := r.pending[a.hash]; ok && prev != a {
		r.stats.anomalies = append(r.stats.anomalies, fmt.Sprintf("%s seq %d: %s and %s have the same bytes", s.Name, a.seq, prev.Kind, a.Kind))
	}
	r.pending[a.hash] = a
	r.mu.Unlock()
	backoff := 20 * time.Millisecond
	uncertain := false
	for {
		res, err := r.rpc(s.Node).BroadcastTxSync(ctx, tx)
		if err == nil {
			r.markUp(s.Node)
		}
		switch {
		case err == nil && res.Code == 0, err != nil && strings.Contains(err.Error(), mempool.ErrTxInCache.Error()):
			r.ack(s, a)
			s.next++
			return
		case err == nil && uncertain:
			// An earlier attempt failed in transit, so the node (since
			// restarted, with an empty cache) or its peers may have the tx:
			// this refusal may be of a copy of a tx already committed or
			// on its way. Keep watching for it; the drain decides.
			r.mu.Lock()
			r.stats.uncertain++
			r.mu.Unlock()
			r.releaseSlot(a)
			if s.Key != nil && errors.Is(client.CodeError(res.Codespace, res.Code), contracts.ErrBadSequence) {
				r.resync(ctx, s, a, res.Log)
			}
			return
		case err == nil:
			label := codeLabel(res.Codespace, res.Code)
			r.resolve(a, Outcome{Status: StatusRefused, Code: label}, time.Now())
			if s.Key != nil && errors.Is(client.CodeError(res.Codespace, res.Code), contracts.ErrBadSequence) {
				r.resync(ctx, s, a, res.Log)
			}
			return
		case ctx.Err() != nil:
			// Whether the node took it is unknown: keep watching for it.
			r.releaseSlot(a)
			return
		}
		uncertain = true
		r.mu.Lock()
		r.stats.rpcError(a.setup, err)
		r.mu.Unlock()
		if !strings.Contains(err.Error(), "mempool is full") {
			r.markDown(s.Node)
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

func (r *Runner) ack(s *Signer, a *Action) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a.acked = true
	if a.resolved {
		return // the watcher saw its block before the node's answer came back
	}
	s.inflight[a.seq] = a
	if !a.setup {
		r.stats.acked++
	}
}

// readSequence reads the signer's next sequence from its node's committed
// state.
func (r *Runner) readSequence(ctx context.Context, s *Signer) error {
	addr := client.Address(s.Key.Public().(ed25519.PublicKey))
	for {
		// A client's key record is its own to read: ask as the signer.
		rctx, err := r.Client(s.Node).WithKeyCredential(ctx, s.Key)
		if err != nil {
			return err
		}
		rec, err := r.Client(s.Node).Signer(rctx, addr)
		if err == nil {
			s.next, s.known = rec.NextSequence, true
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// resync handles a bad-sequence refusal. It is never expected while a
// signer's txs reach its node in order and every block holds them in
// order, so it is recorded as an anomaly with what the node said. The
// refusal's log names the sequence the node's check state expects ("got
// N, want M"): the committed sequence plus the signer's txs still in that
// node's mempool. The signer continues from M, and its txs in flight at M
// and above are superseded: that node's mempool holds them no more (the
// ones a block failed are out of every mempool, and the rest failed the
// recheck after it, at least on that node). Without a "want" in the log, the signer waits (up to
// Config.ResyncWait) for its txs in flight and reads its committed
// sequence instead.
func (r *Runner) resync(ctx context.Context, s *Signer, refused *Action, log string) {
	r.mu.Lock()
	inflight := len(s.inflight)
	r.stats.anomalies = append(r.stats.anomalies, fmt.Sprintf("%s %s via %s: seq %d refused (%s) with %d txs in flight",
		time.Now().Format("15:04:05.000"), s.Name, s.Node.Name, refused.seq, log, inflight))
	r.mu.Unlock()
	if want, ok := wantSequence(log); ok {
		s.next = want
	} else {
		deadline := time.Now().Add(r.cfg.ResyncWait)
		for time.Now().Before(deadline) {
			r.mu.Lock()
			n := len(s.inflight)
			r.mu.Unlock()
			if n == 0 {
				break
			}
			sleep(ctx, 50*time.Millisecond)
		}
		s.known = false
		if err := r.readSequence(ctx, s); err != nil {
			return
		}
	}
	// The superseded txs stay watched: one may still be in some mempool
	// (or in a block the watcher has not read yet) and commit, or fail, in
	// a block after all; the drain declares the rest lost. They give their
	// in-flight slots back now, and their sequences to the new txs.
	r.mu.Lock()
	var superseded []*Action
	for seq, a := range s.inflight {
		if seq >= s.next {
			superseded = append(superseded, a)
			delete(s.inflight, seq)
		}
	}
	r.mu.Unlock()
	for _, a := range superseded {
		r.releaseSlot(a)
	}
}

// expire gives back the in-flight slots of txs acknowledged longer than
// Config.Expire ago and still in no block: a crashed node's mempool took
// them along, and without this the closed loop would run out of slots and
// stop. They stay watched (a block may still hold them) and the drain
// declares the rest lost.
func (r *Runner) expire(ctx context.Context) {
	for ctx.Err() == nil {
		sleep(ctx, time.Second)
		cutoff := time.Now().Add(-r.cfg.Expire)
		var old []*Action
		r.mu.Lock()
		for _, a := range r.pending {
			if a.acked && !a.released && a.sent.Before(cutoff) {
				old = append(old, a)
			}
		}
		r.mu.Unlock()
		for _, a := range old {
			r.releaseSlot(a)
		}
	}
}

// releaseSlot gives a's in-flight slot back (once).
func (r *Runner) releaseSlot(a *Action) {
	r.mu.Lock()
	release := !a.released
	a.released = true
	r.mu.Unlock()
	if release {
		<-r.sem
	}
}

// wantSequence reads M from a bad-sequence log "... got N, want M".
func wantSequence(log string) (uint64, bool) {
	_, after, ok := strings.Cut(log, "want ")
	if !ok {
		return 0, false
	}
	end := 0
	for end < len(after) && after[end] >= '0' && after[end] <= '9' {
		end++
	}
	n, err := strconv.ParseUint(after[:end], 10, 64)
	return n, err == nil
}

func (r *Runner) markDown(n *testnet.Node) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.down[n.Name]; !ok {
		r.down[n.Name] = time.Now()
	}
}

func (r *Runner) markUp(n *testnet.Node) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.down, n.Name)
}

// resolve records a's outcome, frees its in-flight slot and tells its
// Done. Only the first resolution of an action counts (the watcher and the
// signer may race on a tx committed before the node's answer returned).
func (r *Runner) resolve(a *Action, o Outcome, at time.Time) {
	r.mu.Lock()
	if a.resolved {
		r.mu.Unlock()
		return
	}
	a.resolved, a.outcome = true, o
	delete(r.pending, a.hash)
	if a.Signer.inflight[a.seq] == a {
		delete(a.Signer.inflight, a.seq)
	}
	if o.Status == StatusLost {
		r.lost[a.hash] = a
	}
	if !a.setup {
		r.stats.record(a, o, at)
	}
	r.mu.Unlock()
	r.releaseSlot(a)
	if a.done != nil {
		close(a.done)
	}
	if a.Done != nil {
		a.Done(a, o)
	}
}

func (r *Runner) declareLost(a *Action, why string) {
	r.mu.Lock()
	if !a.setup && !a.resolved {
		if a.released {
			why += " (superseded by a resync of its signer)"
		}
		r.stats.lostDetail = append(r.stats.lostDetail, fmt.Sprintf("%s %s seq %d via %s, sent %s: %s",
			a.Kind, a.Signer.Name, a.seq, a.Signer.Node.Name, a.sent.Format("15:04:05.000"), why))
	}
	r.mu.Unlock()
	r.resolve(a, Outcome{Status: StatusLost, Code: why}, time.Now())
}

// codeLabel names a result code: the registered description when this
// binary knows the code.
func codeLabel(codespace string, code uint32) string {
	if e, ok := contracts.Lookup(codespace, code); ok {
		return fmt.Sprintf("%s/%d %s", codespace, code, e.Desc)
	}
	if codespace == "" {
		return fmt.Sprintf("code %d", code)
	}
	return fmt.Sprintf("%s/%d", codespace, code)
}

// badSequence is the label of contracts.ErrBadSequence in outcomes.
var badSequence = codeLabel(contracts.ErrBadSequence.Codespace, contracts.ErrBadSequence.Code)
