package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/custody-ledger/custody/client"
)

// RequestIDHeader carries a request's id: the caller's, when it sends a
// sane one, else a fresh one. The access log records it.
const RequestIDHeader = "X-Request-Id"

// recovery turns a handler's panic into a 500 problem: a bug here must not
// take the node down.
func (s *Server) recovery(c *gin.Context, v any) {
	fail(c, ErrInternal.Wrapf("panic: %v", v))
}

// requestID sets X-Request-Id on the request's answer.
func requestID(c *gin.Context) {
	id := c.GetHeader(RequestIDHeader)
	if !saneID(id, 64) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(RequestIDHeader, id)
	c.Header(RequestIDHeader, id)
	c.Next()
}

// saneID: 1 to n characters of [0-9A-Za-z._-].
func saneID(s string, n int) bool {
	if s == "" || len(s) > n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// accessLog writes one line per request: method, path, status, time,
// bytes, caller address, client IP, request id and, for failures, the
// error. It never writes headers or bodies, so no token reaches the log.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	kv := []any{
		"method", c.Request.Method, "path", c.Request.URL.Path, "status", c.Writer.Status(),
		"dur", time.Since(start).Round(time.Microsecond), "bytes", c.Writer.Size(),
		"ip", c.ClientIP(), "req", c.GetString(RequestIDHeader),
	}
	if q := c.Request.URL.RawQuery; q != "" {
		kv = append(kv, "query", q)
	}
	if who := callerOf(c); who != nil {
		kv = append(kv, "caller", who.Address)
	}
	if err := c.Errors.Last(); err != nil {
		kv = append(kv, "err", err.Err.Error())
	}
	if probe := c.Request.URL.Path == "/healthz" || c.Request.URL.Path == "/readyz"; probe && c.Writer.Status() == http.StatusOK {
		// A balancer probes every few seconds; a passing probe is noise.
		s.logger.Debug("api: request", kv...)
		return
	}
	s.logger.Info("api: request", kv...)
}

// cors answers browsers from Config.CORSAllowedOrigins; it is installed
// only when that list is not empty.
func (s *Server) cors(c *gin.Context) {
	origin := c.GetHeader("Origin")
	any := slices.Contains(s.cfg.CORSAllowedOrigins, "*")
	if origin == "" || !(any || slices.Contains(s.cfg.CORSAllowedOrigins, origin)) {
		c.Next()
		return
	}
	h := c.Writer.Header()
	if any {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
	}
	h.Set("Access-Control-Expose-Headers", strings.Join([]string{ReplayedHeader, "Retry-After", RequestIDHeader, "WWW-Authenticate"}, ", "))
	if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		h.Set("Access-Control-Allow-Headers", strings.Join([]string{"Authorization", "Content-Type", IdempotencyHeader, RequestIDHeader}, ", "))
		h.Set("Access-Control-Max-Age", "600")
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	c.Next()
}

// limitBody refuses a body over Config.MaxBodyBytes: at once when
// Content-Length says so, else when a handler reads past the limit.
func (s *Server) limitBody(c *gin.Context) {
	if c.Request.ContentLength > s.cfg.MaxBodyBytes {
		fail(c, ErrTooLarge.Wrapf("%d bytes, at most %d", c.Request.ContentLength, s.cfg.MaxBodyBytes))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes)
	c.Next()
}

// timeout bounds the node work of a request.
func timeout(d time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), d)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

// rateLimit charges key's bucket; when it is empty it answers 429 with
// Retry-After and returns false.
func (s *Server) rateLimit(c *gin.Context, key string) bool {
	ok, wait := s.callers.allow(key)
	if ok {
		return true
	}
	c.Header("Retry-After", retryAfter(wait))
	fail(c, ErrRateLimited.Wrapf("retry in %s", wait.Round(time.Millisecond)))
	return false
}

// retryAfter is a Retry-After value: whole seconds, rounded up.
func retryAfter(wait time.Duration) string {
	return strconv.Itoa(int((wait + time.Second - 1) / time.Second))
}

// guardAuth wraps authenticate with the per-IP limit of unauthenticated
// calls. A request whose token is valid is charged to its key only
// (authenticate does that) and is served whatever its IP's bucket holds:
// behind a proxy or a NAT many callers share an address, and one of them
// failing must not lock the others out. Every request that ends without a
// caller (no token, a bad, expired or unknown one) costs its IP a token.
// When the IP's bucket is empty, a request with no token, or one that does
// not even parse, is refused at once, before any chain lookup; a
// well-formed token is still checked, so a valid one passes.
func (s *Server) guardAuth(c *gin.Context) {
	ip := s.ipKey(c)
	if ok, wait := s.ips.peek(ip); !ok && !hasParsableToken(c) {
		c.Header("Retry-After", retryAfter(wait))
		fail(c, ErrRateLimited.Wrapf("too many unauthenticated requests from %s; retry in %s", c.ClientIP(), wait.Round(time.Millisecond)))
		return
	}
	s.authenticate(c)
	if callerOf(c) == nil {
		s.ips.allow(ip)
	}
}

// hasParsableToken says whether the request carries a bearer token that
// parses (its signature is not checked here).
func hasParsableToken(c *gin.Context) bool {
	scheme, raw, ok := strings.Cut(c.GetHeader("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	_, err := client.ParseToken(strings.TrimSpace(raw))
	return err == nil
}

// limitIP charges an unauthenticated route (/openapi.json) to the client
// IP's bucket.
func (s *Server) limitIP(c *gin.Context) {
	if ok, wait := s.ips.allow(s.ipKey(c)); !ok {
		c.Header("Retry-After", retryAfter(wait))
		fail(c, ErrRateLimited.Wrapf("too many unauthenticated requests from %s; retry in %s", c.ClientIP(), wait.Round(time.Millisecond)))
		return
	}
	c.Next()
}

// ipKey is the rate-limit bucket of the request's client IP (after
// Config.TrustedProxies). An IPv6 client is bucketed by its /64: one
// subscriber usually holds a whole /64 and could otherwise take a fresh
// bucket per address.
func (s *Server) ipKey(c *gin.Context) string {
	ip := c.ClientIP()
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "ip:" + ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + a.String()
}

// proxyRanges is Config.TrustedProxies as CIDR strings for gin.
func (s *Server) proxyRanges() []string {
	out := make([]string, 0, len(s.cfg.TrustedProxies))
	for _, p := range s.cfg.TrustedProxies {
		pr, _ := parseProxy(p) // Validate checked it
		out = append(out, pr.String())
	}
	return out
}

// wellFormedQuery refuses a query string that does not parse: gin would
// silently drop its parameters, and a dropped cursor or filter changes the
// answer.
func wellFormedQuery(c *gin.Context) {
	if _, err := url.ParseQuery(c.Request.URL.RawQuery); err != nil {
		fail(c, ErrBadRequest.Wrapf("query string: %v", err))
		return
	}
	c.Next()
}

func notFound(c *gin.Context) {
	fail(c, ErrNoRoute.Wrapf("%s %s", c.Request.Method, c.Request.URL.Path))
}

func methodNotAllowed(c *gin.Context) {
	fail(c, ErrMethodNotAllowed.Wrapf("%s %s", c.Request.Method, c.Request.URL.Path))
}

// boolParam reads an optional boolean query parameter.
func boolParam(c *gin.Context, name string) (bool, error) {
	v, ok := c.GetQuery(name)
	if !ok {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, ErrBadRequest.Wrapf("%s=%q: want true or false", name, v)
	}
	return b, nil
}
