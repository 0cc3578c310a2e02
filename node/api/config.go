package api

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Config is the REST server's configuration. DefaultConfig gives every
// default; a zero field is not "use the default" (call DefaultConfig and
// overlay), so that Validate can name what is wrong.
type Config struct {
	// Address is where the server listens: "tcp://host:port" (app.toml's
	// form) or "host:port". Port 0 picks a free port (Server.Addr says
	// which). Default "tcp://127.0.0.1:1317".
	Address string
	// TLSCertFile and TLSKeyFile, both set, serve HTTPS (TLS 1.2 and up)
	// with that PEM certificate chain and key; both empty serve plain HTTP.
	// The files are read again when either changes on disk, so a renewed
	// certificate needs no restart. Default empty.
	TLSCertFile string
	TLSKeyFile  string
	// TLSClientCAFile, when set (TLS only), makes the server demand a
	// client certificate signed by one of the PEM CAs in this file: mutual
	// TLS for back offices on a private link. The bearer token is still
	// required; the certificate only narrows who may connect. Default empty.
	TLSClientCAFile string
	// TrustedProxies lists the addresses or CIDR ranges ("10.0.0.0/8",
	// "192.0.2.7") of reverse proxies in front of the server. Only a
	// request whose socket peer is in the list has its X-Forwarded-For
	// read: the client IP is then the right-most address in it that is not
	// itself a trusted proxy. Empty (the default) trusts no header: the
	// client IP is the socket's peer.
	TrustedProxies []string
	// CORSAllowedOrigins lists the origins ("https://app.example.com") a
	// browser may call the API from; "*" allows any. Empty (the default)
	// sends no CORS headers at all, so browsers refuse cross-origin calls.
	CORSAllowedOrigins []string
	// MaxBodyBytes bounds a request body; a larger one is refused with 413.
	// Default 256 KiB (a base64 tx of the node's 64 KiB limit fits).
	MaxBodyBytes int64
	// MaxHeaderBytes bounds the request line and headers. Default 16 KiB.
	MaxHeaderBytes int
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are
	// net/http.Server's. Defaults 5 s, 15 s, 45 s, 2 min. WriteTimeout
	// must exceed RequestTimeout + CommitTimeout.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// RequestTimeout bounds the node work of one request (queries, a
	// broadcast). Default 10 s.
	RequestTimeout time.Duration
	// CommitTimeout bounds POST /v1/txs?wait=commit: how long the server
	// waits for the tx to be in a block. Default 20 s.
	CommitTimeout time.Duration
	// RateLimit is each caller's sustained rate in requests per second, and
	// RateBurst the bucket size (token bucket). Defaults 20 and 40. An
	// authenticated request is charged to its key only, never to its IP,
	// so callers behind one proxy or NAT do not starve each other; an
	// unauthenticated one (no token, a failed token, /openapi.json) is
	// charged to its client IP with the same figures. /healthz and /readyz
	// are not limited.
	RateLimit float64
	RateBurst int
	// RateLimitCallers bounds the callers (and IPs) tracked at once; past
	// it the least recently seen is forgotten. Default 10000.
	RateLimitCallers int
	// IdempotencyTTL is how long an Idempotency-Key's first answer is kept
	// for replay, and IdempotencyKeys how many are kept at most (oldest
	// dropped first). Defaults 24 h and 10000.
	IdempotencyTTL  time.Duration
	IdempotencyKeys int
	// DefaultPageSize and MaxPageSize bound list pages (?limit). Defaults
	// 50 and 500.
	DefaultPageSize int
	MaxPageSize     int
	// ReadyMaxBlockAge is how old the latest block may be before /readyz
	// says consensus has stalled. Default 30 s (CometBFT makes a block
	// every timeout_commit even when idle, so an old block means no
	// quorum, or this node cut off).
	ReadyMaxBlockAge time.Duration
	// RiskAdminURL is the risk core's admin API ("http://host:port") whose
	// alert reads the console proxies under /ui/risk/ with the caller's
	// token (package console); empty proxies none. Default empty.
	RiskAdminURL string
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Address:           "tcp://127.0.0.1:1317",
		MaxBodyBytes:      256 << 10,
		MaxHeaderBytes:    16 << 10,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      45 * time.Second,
		IdleTimeout:       2 * time.Minute,
		RequestTimeout:    10 * time.Second,
		CommitTimeout:     20 * time.Second,
		RateLimit:         20,
		RateBurst:         40,
		RateLimitCallers:  10000,
		IdempotencyTTL:    24 * time.Hour,
		IdempotencyKeys:   10000,
		DefaultPageSize:   50,
		MaxPageSize:       500,
		ReadyMaxBlockAge:  30 * time.Second,
	}
}

// ConfigValidationError names the Config field that is wrong.
type ConfigValidationError struct {
	Field string
	Err   error
}

func (e *ConfigValidationError) Error() string {
	return "api: config " + e.Field + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *ConfigValidationError) Unwrap() error { return e.Err }

// Validate reports every bad field, each as a *ConfigValidationError.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &ConfigValidationError{Field: field, Err: fmt.Errorf(format, args...)})
	}
	if _, err := listenAddress(c.Address); err != nil {
		bad("Address", "%v", err)
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		bad("TLSCertFile", "TLSCertFile and TLSKeyFile go together")
	}
	if c.TLSClientCAFile != "" && c.TLSCertFile == "" {
		bad("TLSClientCAFile", "needs TLSCertFile and TLSKeyFile: client certificates exist only over TLS")
	}
	for _, p := range c.TrustedProxies {
		if _, err := parseProxy(p); err != nil {
			bad("TrustedProxies", "%v", err)
		}
	}
	for _, o := range c.CORSAllowedOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			bad("CORSAllowedOrigins", "%q is not an origin like https://host[:port]", o)
		}
	}
	if c.RiskAdminURL != "" {
		u, err := url.Parse(c.RiskAdminURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("RiskAdminURL", "%q is not an address like http://host:port", c.RiskAdminURL)
		}
	}
	positive := []struct {
		name string
		v    int64
	}{
		{"MaxBodyBytes", c.MaxBodyBytes}, {"MaxHeaderBytes", int64(c.MaxHeaderBytes)},
		{"ReadHeaderTimeout", int64(c.ReadHeaderTimeout)}, {"ReadTimeout", int64(c.ReadTimeout)},
		{"WriteTimeout", int64(c.WriteTimeout)}, {"IdleTimeout", int64(c.IdleTimeout)},
		{"RequestTimeout", int64(c.RequestTimeout)}, {"CommitTimeout", int64(c.CommitTimeout)},
		{"RateBurst", int64(c.RateBurst)}, {"RateLimitCallers", int64(c.RateLimitCallers)},
		{"IdempotencyTTL", int64(c.IdempotencyTTL)}, {"IdempotencyKeys", int64(c.IdempotencyKeys)},
		{"DefaultPageSize", int64(c.DefaultPageSize)}, {"MaxPageSize", int64(c.MaxPageSize)},
		{"ReadyMaxBlockAge", int64(c.ReadyMaxBlockAge)},
	}
	for _, p := range positive {
		if p.v <= 0 {
			bad(p.name, "must be positive, got %d", p.v)
		}
	}
	if !(c.RateLimit > 0) {
		bad("RateLimit", "must be positive, got %v", c.RateLimit)
	}
	if c.WriteTimeout > 0 && c.RequestTimeout+c.CommitTimeout >= c.WriteTimeout {
		bad("CommitTimeout", "RequestTimeout + CommitTimeout (%s) must be less than WriteTimeout %s: a POST waiting for its block must be able to answer",
			c.RequestTimeout+c.CommitTimeout, c.WriteTimeout)
	}
	if c.DefaultPageSize > c.MaxPageSize {
		bad("DefaultPageSize", "%d is above MaxPageSize %d", c.DefaultPageSize, c.MaxPageSize)
	}
	return errors.Join(errs...)
}

// listenAddress turns "tcp://host:port" or "host:port" into "host:port".
func listenAddress(addr string) (string, error) {
	hostPort := strings.TrimPrefix(addr, "tcp://")
	if strings.Contains(hostPort, "://") {
		return "", fmt.Errorf("%q: only tcp:// addresses are supported", addr)
	}
	if _, _, err := net.SplitHostPort(hostPort); err != nil {
		return "", fmt.Errorf("%q: %w", addr, err)
	}
	return hostPort, nil
}

// parseProxy reads one TrustedProxies entry: a CIDR range or a single
// address (which stands for itself alone).
func parseProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR range", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR range", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
