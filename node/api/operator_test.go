package api

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

// TestTrustedProxies: X-Forwarded-For counts only from a trusted peer, and
// then only the addresses the trusted proxies appended.
func TestTrustedProxies(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TrustedProxies = []string{"10.0.0.0/8", "192.0.2.1"}
	s := newTestServer(t, cfg)
	plain := newTestServer(t, DefaultConfig())
	for _, tc := range []struct {
		name   string
		srv    *Server
		peer   string
		xff    string
		wantIP string
	}{
		{"untrusted peer's header ignored", s, "198.51.100.9:1", "203.0.113.5", "ip:198.51.100.9"},
		{"trusted proxy", s, "10.1.1.1:1", "203.0.113.5", "ip:203.0.113.5"},
		{"chain of trusted proxies", s, "10.1.1.1:1", "203.0.113.5, 10.2.2.2", "ip:203.0.113.5"},
		{"client-written prefix not believed", s, "10.1.1.1:1", "6.6.6.6, 203.0.113.5", "ip:203.0.113.5"},
		{"single trusted address", s, "192.0.2.1:1", "203.0.113.6", "ip:203.0.113.6"},
		{"no header from a proxy", s, "10.1.1.1:1", "", "ip:10.1.1.1"},
		{"no proxies configured", plain, "10.1.1.1:1", "203.0.113.5", "ip:10.1.1.1"},
		{"ipv6 bucketed by /64", s, "[2001:db8:1:2:3:4:5:6]:1", "", "ip:2001:db8:1:2::/64"},
		{"forwarded ipv6", s, "10.1.1.1:1", "2001:db8:1:2::9", "ip:2001:db8:1:2::/64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			r := tc.srv.engine
			r.GET("/test-ip-"+strings.ReplaceAll(tc.name, " ", "-"), func(c *gin.Context) { got = tc.srv.ipKey(c) })
			req, _ := http.NewRequest("GET", "/test-ip-"+strings.ReplaceAll(tc.name, " ", "-"), nil)
			req.RemoteAddr = tc.peer
			if tc.xff != "" {
				req.Header.Set("X-Forwarded-For", tc.xff)
			}
			req.Header.Set("X-Real-IP", "9.9.9.9") // never read
			r.ServeHTTP(discard{}, req)
			if got != tc.wantIP {
				t.Fatalf("client IP key %q, want %q", got, tc.wantIP)
			}
		})
	}
}

// TestUnauthenticatedLimitFollowsForwardedIP: behind a trusted proxy,
// each forwarded client has its own bucket, so one client's failures do
// not lock out the others that share the proxy.
func TestUnauthenticatedLimitFollowsForwardedIP(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RateLimit, cfg.RateBurst = 1, 2
	cfg.TrustedProxies = []string{"192.0.2.0/24"} // serve's RemoteAddr is 192.0.2.1
	h := newTestServer(t, cfg).Handler()
	from := func(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }
	for range 2 {
		wantProblem(t, serve(h, "GET", "/v1/status", nil, from("203.0.113.1")), http.StatusUnauthorized, "api/1")
	}
	wantProblem(t, serve(h, "GET", "/v1/status", nil, from("203.0.113.1")), http.StatusTooManyRequests, "api/11")
	wantProblem(t, serve(h, "GET", "/v1/status", nil, from("203.0.113.2")), http.StatusUnauthorized, "api/1")
	// /openapi.json is unauthenticated too: charged to the same bucket.
	if w := serve(h, "GET", "/openapi.json", nil, from("203.0.113.1")); w.Code != http.StatusTooManyRequests {
		t.Fatalf("openapi.json from an exhausted IP: %d", w.Code)
	}
	if w := serve(h, "GET", "/openapi.json", nil, from("203.0.113.3")); w.Code != http.StatusOK {
		t.Fatalf("openapi.json from a fresh IP: %d", w.Code)
	}
	// Probes are never limited.
	for range 5 {
		if w := serve(h, "GET", "/healthz", nil, from("203.0.113.1")); w.Code != http.StatusOK {
			t.Fatalf("healthz from an exhausted IP: %d %s", w.Code, w.Body)
		}
	}
}

func TestConfigValidate_Operator(t *testing.T) {
	c := DefaultConfig()
	c.TLSClientCAFile = "ca.pem" // without a server certificate
	c.TrustedProxies = []string{"10.0.0.0/8", "not-an-ip", "10.0.0.0/40"}
	c.ReadyMaxBlockAge = 0
	var fields []string
	for _, e := range flatten(c.Validate()) {
		var ve *ConfigValidationError
		if errors.As(e, &ve) {
			fields = append(fields, ve.Field)
		}
	}
	want := []string{"TLSClientCAFile", "TrustedProxies", "TrustedProxies", "ReadyMaxBlockAge"}
	if strings.Join(fields, ",") != strings.Join(want, ",") {
		t.Fatalf("fields %v, want %v", fields, want)
	}
}

// TestMutualTLS: with a client CA the server completes a handshake only
// with a client certificate from that CA.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "clients CA")
	other := newTestCA(t, "someone else's CA")
	caFile := filepath.Join(dir, "clients-ca.pem")
	writePEM(t, caFile, "CERTIFICATE", ca.cert.Raw)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := writeSelfSigned(t, certFile, keyFile)

	cfg := DefaultConfig()
	cfg.Address = "127.0.0.1:0"
	cfg.TLSCertFile, cfg.TLSKeyFile, cfg.TLSClientCAFile = certFile, keyFile, caFile
	s := startTestServer(t, cfg)
	base, _ := s.URL()

	get := func(clientCert *tls.Certificate) (*http.Response, error) {
		tc := &tls.Config{RootCAs: pool}
		if clientCert != nil {
			tc.Certificates = []tls.Certificate{*clientCert}
		}
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
		defer hc.CloseIdleConnections()
		return hc.Get(base + "/healthz")
	}
	if res, err := get(nil); err == nil {
		res.Body.Close()
		t.Fatalf("served %d without a client certificate", res.StatusCode)
	}
	stranger := other.issue(t, "stranger")
	if res, err := get(&stranger); err == nil {
		res.Body.Close()
		t.Fatalf("served %d to a certificate from another CA", res.StatusCode)
	}
	backOffice := ca.issue(t, "broker-1 back office")
	res, err := get(&backOffice)
	if err != nil {
		t.Fatalf("a certificate from the client CA was refused: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", res.StatusCode)
	}

	bad := cfg
	bad.TLSClientCAFile = keyFile // no certificate in it
	if err := newTestServer(t, bad).Start(); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("a client CA file without certificates: %v", err)
	}
}

// TestTLSCertificateReload: replacing the certificate files changes the
// certificate served, without a restart; a broken replacement keeps the
// old one.
func TestTLSCertificateReload(t *testing.T) {
	old := certCheckInterval
	certCheckInterval = 0
	t.Cleanup(func() { certCheckInterval = old })
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certFile, keyFile)
	cfg := DefaultConfig()
	cfg.Address = "127.0.0.1:0"
	cfg.TLSCertFile, cfg.TLSKeyFile = certFile, keyFile
	s := startTestServer(t, cfg)
	addr, _ := s.Addr()
	served := func() []byte {
		t.Helper()
		conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) // the test compares the bytes itself
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Raw
	}
	first := served()

	// The renewal: new files, with a later modification time.
	certPEM, keyPEM := filepath.Join(dir, "new-cert.pem"), filepath.Join(dir, "new-key.pem")
	writeSelfSigned(t, certPEM, keyPEM)
	later := time.Now().Add(time.Minute)
	for _, mv := range [][2]string{{certPEM, certFile}, {keyPEM, keyFile}} {
		if err := os.Rename(mv[0], mv[1]); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(mv[1], later, later); err != nil {
			t.Fatal(err)
		}
	}
	second := served()
	if string(second) == string(first) {
		t.Fatal("the renewed certificate is not served")
	}

	// A broken renewal (cert without a matching key) keeps the last good pair.
	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	even := later.Add(time.Minute)
	if err := os.Chtimes(certFile, even, even); err != nil {
		t.Fatal(err)
	}
	if got := served(); string(got) != string(second) {
		t.Fatal("a broken renewal replaced the served certificate")
	}
}

func startTestServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s := newTestServer(t, cfg)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return s
}

// testCA is a certificate authority made in the test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

// issue makes a client certificate signed by the CA.
func (ca *testCA) issue(t *testing.T, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// discard is an http.ResponseWriter that keeps nothing.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) WriteHeader(int)             {}
