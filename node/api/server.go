package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/gin-gonic/gin"

	"github.com/custody-ledger/custody/client"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Chain is what the server needs of the Go SDK; *client.Client implements
// it. Every read and every broadcast goes through it, so the API, the CLI
// and the SDK's users run the same code against the node.
type Chain interface {
	// ChainID is the chain's id: the audience of every token.
	ChainID() string
	// Query is an ABCI query: "/custody/<path>" JSON reads, and
	// client.QueryPathKey raw reads with proofs.
	Query(ctx context.Context, path string, data []byte, height int64, prove bool) (*abcitypes.ResponseQuery, error)
	// Signer reads a key's on-chain record (contracts.ErrUnknownSigner if none).
	Signer(ctx context.Context, address string) (*custodyv1.KeyRecord, error)
	// BroadcastSync hands a signed tx to the mempool (CheckTx).
	BroadcastSync(ctx context.Context, tx []byte) (*client.Result, error)
	// WaitTx waits for a tx to be in a block.
	WaitTx(ctx context.Context, hash []byte) (*client.Result, error)
	// RPC is CometBFT's RPC client: status, validators, headers, tx search.
	RPC() rpcclient.Client
}

var _ Chain = (*client.Client)(nil)

// Deps are the server's collaborators.
type Deps struct {
	// Chain is the SDK client of the node this server runs in; inside a
	// node it sits on CometBFT's local RPC client, with no socket between.
	Chain Chain
	// Logger receives the access log and serving errors; nil is silent.
	Logger log.Logger
	// Now is the clock tokens are checked against and rate limits run on;
	// nil is time.Now. /readyz always uses the wall clock.
	Now func() time.Time
}

// Server is the REST API of one node. New builds it, Start listens and
// serves, Shutdown stops it gracefully.
type Server struct {
	cfg     Config
	addr    string // host:port to listen on
	chain   Chain
	logger  log.Logger
	now     func() time.Time
	engine  *gin.Engine
	http    *http.Server
	callers *limiter // per authenticated caller
	ips     *limiter // per client IP, charged by unauthenticated requests
	idem    *idemStore
	ready   readyCache

	mu       sync.Mutex
	ln       net.Listener  // guarded by mu; set by Start
	done     chan struct{} // guarded by mu; closed when Serve returns
	serveErr error         // set before done is closed
}

// ErrNotStarted is returned by Shutdown and Addr before Start.
var ErrNotStarted = errors.New("api: server not started")

// New checks cfg and builds the server and its routes. It listens on
// nothing until Start.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Chain == nil {
		return nil, errors.New("api: Deps.Chain is required")
	}
	addr, _ := listenAddress(cfg.Address)
	s := &Server{cfg: cfg, addr: addr, chain: deps.Chain, logger: deps.Logger, now: deps.Now}
	if s.logger == nil {
		s.logger = log.NewNopLogger()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.callers = newLimiter(cfg.RateLimit, cfg.RateBurst, cfg.RateLimitCallers, s.now)
	s.ips = newLimiter(cfg.RateLimit, cfg.RateBurst, cfg.RateLimitCallers, s.now)
	s.idem = newIdemStore(cfg.IdempotencyTTL, cfg.IdempotencyKeys, s.now)
	s.engine = s.routes()
	s.http = &http.Server{
		Handler:           s.engine,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          stdlog.New(logWriter{s.logger}, "", 0),
	}
	return s, nil
}

// Handler is the API as an http.Handler (the gin engine), for tests and
// for mounting behind another server.
func (s *Server) Handler() http.Handler { return s.engine }

// Start listens on Config.Address (with TLS when a certificate is
// configured) and serves in the background. It returns once the socket
// is bound, so Addr is valid and a request made next is served.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return errors.New("api: Start called twice")
	}
	var tlsCfg *tls.Config
	if s.cfg.TLSCertFile != "" {
		var err error
		if tlsCfg, err = tlsConfig(s.cfg, s.logger); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("api: listen: %w", err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	s.ln, s.done = ln, make(chan struct{})
	go func() {
		err := s.http.Serve(ln)
		if !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("api: serve", "err", err)
			s.serveErr = err
		}
		close(s.done)
	}()
	s.logger.Info("api: listening", "addr", ln.Addr().String(), "tls", tlsCfg != nil,
		"client_certs", s.cfg.TLSClientCAFile != "", "cors", len(s.cfg.CORSAllowedOrigins) > 0,
		"trusted_proxies", len(s.cfg.TrustedProxies))
	return nil
}

// Addr is the address the server listens on ("127.0.0.1:1317"), useful
// when Config.Address had port 0.
func (s *Server) Addr() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return "", ErrNotStarted
	}
	return s.ln.Addr().String(), nil
}

// URL is the base URL of the running server: "http://" or "https://" and
// Addr.
func (s *Server) URL() (string, error) {
	addr, err := s.Addr()
	if err != nil {
		return "", err
	}
	if s.cfg.TLSCertFile != "" {
		return "https://" + addr, nil
	}
	return "http://" + addr, nil
}

// Shutdown stops accepting connections and waits, until ctx ends, for the
// requests in flight to finish (http.Server.Shutdown). A clean stop
// returns nil; so does a second call.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	ln, done := s.ln, s.done
	s.mu.Unlock()
	if ln == nil {
		return ErrNotStarted
	}
	err := s.http.Shutdown(ctx)
	select {
	case <-done:
	case <-ctx.Done():
		return errors.Join(err, ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("api: shutdown: %w", err)
	}
	return s.serveErr
}

// logWriter sends net/http's own messages (TLS handshake failures, bad
// requests it answers itself) to the node's logger.
type logWriter struct{ l log.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.l.Error("api: http", "msg", strings.TrimSpace(string(p)))
	return len(p), nil
}
