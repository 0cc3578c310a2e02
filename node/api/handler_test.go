package api

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got (JSON) with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v: %s", name, err, got)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from the golden file:\n got: %s\nwant: %s", name, buf.Bytes(), want)
	}
}

func serve(h http.Handler, method, path string, body []byte, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.RemoteAddr = "192.0.2.1:1234"
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func wantProblem(t *testing.T, w *httptest.ResponseRecorder, status int, code string) Problem {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != ProblemContentType {
		t.Fatalf("content type %q, want %q", ct, ProblemContentType)
	}
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Code != code || p.Status != status {
		t.Fatalf("problem %+v, want code %s", p, code)
	}
	return p
}

func TestBeforeAuthentication(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxBodyBytes = 1024
	s := newTestServer(t, cfg)
	h := s.Handler()

	t.Run("no token", func(t *testing.T) {
		w := serve(h, "GET", "/v1/accounts/ACC-1", nil, nil)
		wantProblem(t, w, http.StatusUnauthorized, "api/1")
		if got := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
			t.Errorf("WWW-Authenticate %q", got)
		}
		golden(t, "unauthenticated.json", w.Body.Bytes())
	})
	t.Run("basic auth is not a token", func(t *testing.T) {
		w := serve(h, "GET", "/v1/status", nil, map[string]string{"Authorization": "Basic dXNlcjpwYXNz"})
		wantProblem(t, w, http.StatusUnauthorized, "api/1")
	})
	t.Run("malformed token", func(t *testing.T) {
		w := serve(h, "GET", "/v1/status", nil, map[string]string{"Authorization": "Bearer not.a.token"})
		wantProblem(t, w, http.StatusUnauthorized, "api/2")
	})
	t.Run("no route", func(t *testing.T) {
		w := serve(h, "GET", "/v2/accounts", nil, nil)
		wantProblem(t, w, http.StatusNotFound, "api/14")
		golden(t, "no_route.json", w.Body.Bytes())
	})
	t.Run("method not allowed", func(t *testing.T) {
		w := serve(h, "DELETE", "/v1/status", nil, nil)
		wantProblem(t, w, http.StatusMethodNotAllowed, "api/15")
	})
	t.Run("body too large", func(t *testing.T) {
		w := serve(h, "POST", "/v1/txs", bytes.Repeat([]byte("x"), 2048), map[string]string{"Content-Type": "application/json"})
		wantProblem(t, w, http.StatusRequestEntityTooLarge, "api/10")
	})
	t.Run("openapi", func(t *testing.T) {
		w := serve(h, "GET", "/openapi.json", nil, nil)
		if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), openAPIDoc) {
			t.Fatalf("status %d, %d bytes", w.Code, w.Body.Len())
		}
	})
	t.Run("request id", func(t *testing.T) {
		w := serve(h, "GET", "/v1/status", nil, map[string]string{RequestIDHeader: "abc-123"})
		if got := w.Header().Get(RequestIDHeader); got != "abc-123" {
			t.Errorf("request id %q, want the caller's", got)
		}
		w = serve(h, "GET", "/v1/status", nil, map[string]string{RequestIDHeader: "bad id\n"})
		if got := w.Header().Get(RequestIDHeader); len(got) != 16 {
			t.Errorf("request id %q, want a fresh one", got)
		}
	})
	t.Run("cors is off by default", func(t *testing.T) {
		w := serve(h, "OPTIONS", "/v1/status", nil, map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != "" {
			t.Fatalf("Access-Control-Allow-Origin %q with CORS off", got)
		}
	})
}

func TestCORS(t *testing.T) {
	cfg := DefaultConfig()
	cfg.CORSAllowedOrigins = []string{"https://app.example.com"}
	h := newTestServer(t, cfg).Handler()
	pre := map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}
	w := serve(h, "OPTIONS", "/v1/txs", nil, pre)
	if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		!strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: %d %v", w.Code, w.Header())
	}
	w = serve(h, "GET", "/v1/status", nil, map[string]string{"Origin": "https://app.example.com"})
	if w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("simple request: %v", w.Header())
	}
	w = serve(h, "OPTIONS", "/v1/txs", nil, map[string]string{"Origin": "https://other.example", "Access-Control-Request-Method": "POST"})
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("another origin was allowed: %v", w.Header())
	}
}

func TestFailedAuthenticationsAreRateLimitedPerIP(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RateLimit, cfg.RateBurst = 1, 3
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	s, err := New(cfg, Deps{Chain: newTestServer(t, cfg).chain, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	s.ips.now = clk.now
	h := s.Handler()
	bad := map[string]string{"Authorization": "Bearer x.y.z"}
	for range 3 {
		wantProblem(t, serve(h, "GET", "/v1/status", nil, bad), http.StatusUnauthorized, "api/2")
	}
	w := serve(h, "GET", "/v1/status", nil, bad)
	wantProblem(t, w, http.StatusTooManyRequests, "api/11")
	if w.Header().Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", w.Header().Get("Retry-After"))
	}
	clk.advance(time.Second)
	wantProblem(t, serve(h, "GET", "/v1/status", nil, bad), http.StatusUnauthorized, "api/2")
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	c := DefaultConfig()
	c.Address = "unix:///tmp/x"
	c.TLSCertFile = "cert.pem"
	c.CORSAllowedOrigins = []string{"app.example.com"}
	c.RateLimit = 0
	c.CommitTimeout = time.Minute
	c.MaxPageSize = 0
	err := c.Validate()
	for _, field := range []string{"Address", "TLSCertFile", "CORSAllowedOrigins", "RateLimit", "CommitTimeout", "MaxPageSize"} {
		found := false
		for _, e := range flatten(err) {
			var ve *ConfigValidationError
			if errors.As(e, &ve) && ve.Field == field {
				found = true
			}
		}
		if !found {
			t.Errorf("no error names %s: %v", field, err)
		}
	}
	if _, err := New(c, Deps{}); err == nil {
		t.Error("New accepted a bad config")
	}
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestServeTLSAndShutdown(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := writeSelfSigned(t, certFile, keyFile)

	cfg := DefaultConfig()
	cfg.Address = "tcp://127.0.0.1:0"
	cfg.TLSCertFile, cfg.TLSKeyFile = certFile, keyFile
	s := newTestServer(t, cfg)
	if _, err := s.Addr(); !errors.Is(err, ErrNotStarted) {
		t.Fatalf("Addr before Start: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	base, err := s.URL()
	if err != nil || !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("URL %q %v", base, err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := hc.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.TLS == nil {
		t.Fatalf("status %d, tls %v", res.StatusCode, res.TLS != nil)
	}
	// Plain HTTP to the TLS port gets no API answer.
	if res, err := http.Get("http://" + strings.TrimPrefix(base, "https://") + "/openapi.json"); err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP was served")
		}
	}
	if err := s.Start(); err == nil {
		t.Fatal("second Start accepted")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := hc.Get(base + "/openapi.json"); err == nil {
		t.Fatal("served after Shutdown")
	}

	bad := cfg
	bad.TLSKeyFile = certFile // not a key
	s2 := newTestServer(t, bad)
	if err := s2.Start(); err == nil {
		t.Fatal("Start with a bad key pair succeeded")
	}
}

// writeSelfSigned writes a certificate for 127.0.0.1 and its key, and
// returns a pool that trusts it.
func writeSelfSigned(t *testing.T, certFile, keyFile string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "custody test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}
