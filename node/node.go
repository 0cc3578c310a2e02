package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtflags "github.com/cometbft/cometbft/libs/cli/flags"
	"github.com/cometbft/cometbft/libs/log"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	rpclocal "github.com/cometbft/cometbft/rpc/client/local"
	"github.com/cometbft/cometbft/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/custody-ledger/custody/abci"
	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/internal/version"
	"github.com/custody-ledger/custody/node/api"
)

// Version is the build's version (package internal/version: the
// Makefile's -ldflags, else the module version the go command recorded,
// else "dev").
var Version = version.String()

// ErrNotStarted is returned by accessors that need a started node.
var ErrNotStarted = errors.New("node: not started")

// Node is one custody validator or full node: the ABCI application and a
// CometBFT node that talks to it in-process.
type Node struct {
	home   string
	cmtCfg *cmtcfg.Config
	appCfg AppConfig
	logger log.Logger
	reg    prometheus.Registerer

	newApp        func(dir string) (abcitypes.Application, error) // WithApplication
	migrations    []abci.Migration                                // WithMigrations
	proposerFault string                                          // WithProposerFault
	syncDelay     time.Duration                                   // WithSyncDelay

	mu       sync.Mutex
	app      *abci.App     // guarded by mu; set by Start (nil under WithApplication)
	closeApp func() error  // guarded by mu; set by Start
	cmt      *cmtnode.Node // guarded by mu; set by Start
	dbs      *nodeDBs      // guarded by mu; set by Start
	api      *api.Server   // guarded by mu; set by Start when [api] address is set
	stopped  bool
}

type options struct {
	logger     log.Logger
	logOut     io.Writer
	reg        prometheus.Registerer
	regSet     bool
	apiAddress string
	cometFns   []func(*cmtcfg.Config)
	appFns     []func(*AppConfig)
	newApp     func(dir string) (abcitypes.Application, error)
	migrations []abci.Migration
	// proposerFault: WithProposerFault or EnvProposerFault.
	proposerFault string
	// syncDelay: WithSyncDelay or EnvSyncDelay.
	syncDelay time.Duration
}

// Option overrides what New reads from the home.
type Option func(*options)

// WithLogger sets the logger, instead of one built from config.toml's
// log_level and log_format writing to WithLogOutput (default stderr).
func WithLogger(l log.Logger) Option { return func(o *options) { o.logger = l } }

// WithLogOutput sends the node's logs to w.
func WithLogOutput(w io.Writer) Option { return func(o *options) { o.logOut = w } }

// WithMetricsRegisterer registers the application's metrics in r instead of
// prometheus.DefaultRegisterer (the registry CometBFT's metrics server
// serves). A nil r turns the app metrics off. Several nodes in one process
// need this: CometBFT's own metrics always use the default registry, so
// only one node per process may have instrumentation.prometheus on.
func WithMetricsRegisterer(r prometheus.Registerer) Option {
	return func(o *options) { o.reg, o.regSet = r, true }
}

// WithAPIAddress overrides [api] address from app.toml.
func WithAPIAddress(addr string) Option { return func(o *options) { o.apiAddress = addr } }

// WithCometConfig edits the CometBFT config after it is read from the home
// (the testnet uses it to fill state sync's trust height and hash).
func WithCometConfig(fn func(*cmtcfg.Config)) Option {
	return func(o *options) { o.cometFns = append(o.cometFns, fn) }
}

// WithAppConfig edits the app config after it is read from the home.
func WithAppConfig(fn func(*AppConfig)) Option {
	return func(o *options) { o.appFns = append(o.appFns, fn) }
}

// WithMigrations registers the upgrade migrations this binary runs (see
// abci.Migration): a release that carries an upgrade passes its migration
// here, and tests select a "new binary" with it.
func WithMigrations(ms ...abci.Migration) Option {
	return func(o *options) { o.migrations = append(o.migrations, ms...) }
}

// WithApplication runs the ABCI application newApp returns instead of the
// custody application. It exists for the load benchmark's baseline
// (CometBFT's example kvstore under `custodynet bench`): the same node wiring
// with another state machine. A production node never sets it. newApp gets
// the directory the custody state would use (data/app); if the application
// is an io.Closer, Stop closes it. App returns nil for such a node.
func WithApplication(newApp func(dir string) (abcitypes.Application, error)) Option {
	return func(o *options) { o.newApp = newApp }
}

// New reads the node's configs, keys and genesis from home and checks them.
// It opens no database and starts nothing: Start does.
func New(home string, opts ...Option) (*Node, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.proposerFault == "" {
		o.proposerFault = proposerFaultFromEnv()
	}
	switch o.proposerFault {
	case "", ProposerFaultBadTx, ProposerFaultOversize:
	default:
		return nil, fmt.Errorf("node: %s=%q: want %s or %s", EnvProposerFault, o.proposerFault, ProposerFaultBadTx, ProposerFaultOversize)
	}
	if o.syncDelay == 0 {
		d, err := syncDelayFromEnv()
		if err != nil {
			return nil, err
		}
		o.syncDelay = d
	}
	cmtCfg, err := LoadCometConfig(home)
	if err != nil {
		return nil, err
	}
	for _, fn := range o.cometFns {
		fn(cmtCfg)
	}
	appCfg, err := LoadAppConfig(home)
	if err != nil {
		return nil, err
	}
	if o.apiAddress != "" {
		appCfg.API.Address = o.apiAddress
	}
	for _, fn := range o.appFns {
		fn(&appCfg)
	}
	if err := errors.Join(cmtCfg.ValidateBasic(), appCfg.Validate()); err != nil {
		return nil, err
	}
	for _, f := range []string{cmtCfg.GenesisFile(), cmtCfg.NodeKeyFile(), cmtCfg.PrivValidatorKeyFile()} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("node: home %s is incomplete: %w", home, err)
		}
	}
	logger := o.logger
	if logger == nil {
		w := o.logOut
		if w == nil {
			w = os.Stderr
		}
		if logger, err = newLogger(cmtCfg, w); err != nil {
			return nil, err
		}
	}
	reg := o.reg
	if !o.regSet {
		reg = prometheus.DefaultRegisterer
	}
	if !appCfg.Metrics.Enabled {
		reg = nil
	}
	return &Node{home: home, cmtCfg: cmtCfg, appCfg: appCfg, logger: logger, reg: reg, newApp: o.newApp, migrations: o.migrations, proposerFault: o.proposerFault, syncDelay: o.syncDelay}, nil
}

// newLogger builds CometBFT's logger the way `cometbft start` does:
// key-value lines (log_format "plain") or JSON objects, filtered by log_level
// ("info", or per module: "consensus:info,*:error").
func newLogger(cfg *cmtcfg.Config, w io.Writer) (log.Logger, error) {
	var l log.Logger
	if cfg.LogFormat == cmtcfg.LogFormatJSON {
		l = log.NewTMJSONLogger(log.NewSyncWriter(w))
	} else {
		l = log.NewTMLogger(log.NewSyncWriter(w))
	}
	l, err := cmtflags.ParseLogLevel(cfg.LogLevel, l, cmtcfg.DefaultLogLevel)
	if err != nil {
		return nil, fmt.Errorf("node: log_level: %w", err)
	}
	return l, nil
}

// Start opens the application's state, replays what CometBFT has that the
// application lacks (the handshake), and starts consensus, p2p and RPC. ctx
// bounds the start-up only (the handshake and state sync's first steps).
func (n *Node) Start(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmt != nil || n.stopped {
		return errors.New("node: Start called twice")
	}
	app, abciApp, closeApp, err := n.openApp()
	if err != nil {
		return err
	}
	if n.proposerFault != "" {
		n.logger.Error("FAULT INJECTION: this validator proposes invalid blocks", "kind", n.proposerFault)
		abciApp = &proposerFault{Application: abciApp, kind: n.proposerFault, maxBytes: n.appCfg.Tx.MaxBytes, logger: n.logger.With("module", "fault")}
	}
	nodeKey, err := p2p.LoadNodeKey(n.cmtCfg.NodeKeyFile())
	if err != nil {
		return errors.Join(fmt.Errorf("node: %w", err), closeApp())
	}
	dbs := &nodeDBs{syncDelay: n.syncDelay}
	if n.syncDelay > 0 {
		n.logger.Error("FAULT INJECTION: every synced write to CometBFT's stores waits first", "delay", n.syncDelay)
	}
	// LoadFilePV exits the process on a bad file; New has checked it exists.
	pv := privval.LoadOrGenFilePV(n.cmtCfg.PrivValidatorKeyFile(), n.cmtCfg.PrivValidatorStateFile())
	cmt, err := cmtnode.NewNodeWithContext(ctx, n.cmtCfg, pv, nodeKey,
		clientCreator(app, abciApp),
		func() (*types.GenesisDoc, error) { return types.GenesisDocFromFile(n.cmtCfg.GenesisFile()) },
		dbs.provide,
		cmtnode.DefaultMetricsProvider(n.cmtCfg.Instrumentation),
		n.logger,
	)
	if err != nil {
		return errors.Join(fmt.Errorf("node: %w", err), closeApp())
	}
	if err := cmt.Start(); err != nil {
		return errors.Join(fmt.Errorf("node: start cometbft: %w", err), dbs.close(), closeApp())
	}
	var srv *api.Server
	if app != nil && n.appCfg.API.Address != "" {
		if srv, err = n.startAPI(cmt); err != nil {
			stopErr := cmt.Stop()
			cmt.Wait()
			return errors.Join(err, stopErr, dbs.close(), closeApp())
		}
	}
	n.app, n.closeApp, n.cmt, n.dbs, n.api = app, closeApp, cmt, dbs, srv
	n.logger.Info("custody node started", "version", Version, "commit", version.Get("").Commit, "home", n.home,
		"rpc", n.cmtCfg.RPC.ListenAddress, "p2p", n.cmtCfg.P2P.ListenAddress, "api", n.appCfg.API.Address)
	return nil
}

// clientCreator connects CometBFT to the app. The custody app runs behind
// abci.ConsensusSerialized, so that queries (the REST API's and RPC's) are
// answered beside block execution, never holding it up; another app
// (WithApplication) behind CometBFT's usual one mutex.
func clientCreator(app *abci.App, abciApp abcitypes.Application) proxy.ClientCreator {
	if app != nil {
		return proxy.NewConnSyncLocalClientCreator(abci.ConsensusSerialized(app))
	}
	return proxy.NewLocalClientCreator(abciApp)
}

// openApp opens the custody application, or the one WithApplication gave.
func (n *Node) openApp() (*abci.App, abcitypes.Application, func() error, error) {
	dir := filepath.Join(n.cmtCfg.DBDir(), "app")
	if n.newApp != nil {
		other, err := n.newApp(dir)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("node: open app: %w", err)
		}
		closeApp := func() error { return nil }
		if c, ok := other.(io.Closer); ok {
			closeApp = c.Close
		}
		return nil, other, closeApp, nil
	}
	appCfg := n.appCfg
	snapDir := appCfg.Snapshots.Dir
	if !filepath.IsAbs(snapDir) {
		snapDir = filepath.Join(n.home, snapDir)
	}
	app, err := abci.NewApp(abci.Config{
		Dir:                dir,
		Logger:             n.logger.With("module", "app"),
		PruneKeepRecent:    appCfg.Pruning.KeepRecent,
		PruneInterval:      appCfg.Pruning.Interval,
		SnapshotInterval:   appCfg.Snapshots.Interval,
		SnapshotKeepRecent: appCfg.Snapshots.KeepRecent,
		SnapshotDir:        snapDir,
		MaxTxBytes:         appCfg.Tx.MaxBytes,
		InvariantInterval:  appCfg.Invariants.Interval,
		Metrics:            n.reg,
		Migrations:         n.migrations,
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("node: open app: %w", err)
	}
	return app, app, app.Close, nil
}

// Stop stops CometBFT (consensus, p2p, RPC, its stores) and then closes the
// application's state: the reverse of Start. It is safe to call twice or on
// a node that never started.
func (n *Node) Stop() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped {
		return nil
	}
	n.stopped = true
	if n.cmt == nil {
		return nil
	}
	var errs []error
	if n.api != nil {
		ctx, cancel := context.WithTimeout(context.Background(), apiShutdownTimeout)
		if err := n.api.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("node: stop api: %w", err))
		}
		cancel()
	}
	if err := n.cmt.Stop(); err != nil {
		errs = append(errs, fmt.Errorf("node: stop cometbft: %w", err))
	}
	n.cmt.Wait()
	if err := n.dbs.close(); err != nil {
		errs = append(errs, fmt.Errorf("node: close tx index: %w", err))
	}
	if err := n.closeApp(); err != nil {
		errs = append(errs, fmt.Errorf("node: close app: %w", err))
	}
	n.logger.Info("custody node stopped", "home", n.home)
	return errors.Join(errs...)
}

// apiShutdownTimeout bounds how long Stop waits for REST requests in flight.
const apiShutdownTimeout = 10 * time.Second

// startAPI starts the REST server of app.toml's [api] over the SDK on
// CometBFT's in-process RPC client: no socket between the API and the node.
func (n *Node) startAPI(cmt *cmtnode.Node) (*api.Server, error) {
	cfg := n.appCfg.API.ServerConfig(n.home)
	chain := client.New(rpclocal.New(cmt), cmt.GenesisDoc().ChainID, client.Options{})
	srv, err := api.New(cfg, api.Deps{Chain: chain, Logger: n.logger.With("module", "api")})
	if err != nil {
		return nil, fmt.Errorf("node: api: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("node: api: %w", err)
	}
	return srv, nil
}

// API returns the running REST server, or nil (not started, or no [api]
// address).
func (n *Node) API() *api.Server {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.api
}

// Home is the node's home directory.
func (n *Node) Home() string { return n.home }

// CometConfig is the CometBFT config the node runs with (after options).
func (n *Node) CometConfig() *cmtcfg.Config { return n.cmtCfg }

// AppConfig is the app config the node runs with (after options).
func (n *Node) AppConfig() AppConfig { return n.appCfg }

// RPCAddress is CometBFT's RPC listen address, "tcp://host:port".
func (n *Node) RPCAddress() string { return n.cmtCfg.RPC.ListenAddress }

// Comet returns the running CometBFT node, or nil before Start.
func (n *Node) Comet() *cmtnode.Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmt
}

// App returns the running application, or nil before Start.
func (n *Node) App() *abci.App {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.app
}

// nodeDBs is CometBFT's default DB provider with two repairs for stopping
// a node inside a process that goes on (tests, the in-process testnet):
//
//   - CometBFT 0.38 never closes the indexer's "tx_index" database on Stop
//     (Node.OnStop stops the indexer service, which only unsubscribes). Left
//     open, its LevelDB lock makes a node restarted in the same process fail
//     with "resource temporarily unavailable". close closes it.
//   - Node.OnStop closes the block and state stores while per-peer gossip
//     goroutines of the consensus reactor may still be between two checks
//     of whether they should run (queryMaj23Routine sleeps, then loads a
//     commit). A read of a closed goleveldb makes the block store panic and
//     takes the whole process down. Every database is wrapped so that, once
//     closed, reads find nothing instead: the late goroutine sees no commit
//     and exits at its next check.
type nodeDBs struct {
	mu  sync.Mutex
	dbs []dbm.DB
	// syncDelay delays synced writes (WithSyncDelay).
	syncDelay time.Duration
}

func (u *nodeDBs) provide(ctx *cmtcfg.DBContext) (dbm.DB, error) {
	db, err := cmtcfg.DefaultDBProvider(ctx)
	if err != nil {
		return nil, err
	}
	if u.syncDelay > 0 {
		db = &slowSyncDB{DB: db, delay: u.syncDelay}
	}
	wrapped := &closableDB{DB: db}
	if ctx.ID == "tx_index" {
		u.mu.Lock()
		u.dbs = append(u.dbs, wrapped)
		u.mu.Unlock()
	}
	return wrapped, nil
}

// close closes the databases CometBFT leaves open; call it once CometBFT has
// stopped.
func (u *nodeDBs) close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	var errs []error
	for _, db := range u.dbs {
		errs = append(errs, db.Close())
	}
	u.dbs = nil
	return errors.Join(errs...)
}

// closableDB makes reads after Close find nothing rather than fail (see
// nodeDBs). Close is idempotent. Writes after Close still fail: nothing may
// be written to a stopped node's stores.
type closableDB struct {
	dbm.DB
	mu     sync.RWMutex
	closed bool
}

func (d *closableDB) Get(key []byte) ([]byte, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return nil, nil
	}
	return d.DB.Get(key)
}

func (d *closableDB) Has(key []byte) (bool, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return false, nil
	}
	return d.DB.Has(key)
}

func (d *closableDB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.DB.Close()
}
