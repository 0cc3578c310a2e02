package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/custody-ledger/custody/node/api"
)

// startServer starts another API server on the network with cfg (its
// address forced to a free loopback port) and points e at it until the
// returned function is called.
func (e *env) startServer(t *testing.T, cfg api.Config) (restore func()) {
	t.Helper()
	cfg.Address = "127.0.0.1:0"
	srv, err := api.New(cfg, api.Deps{Chain: e.c})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	base := e.base
	if e.base, err = srv.URL(); err != nil {
		t.Fatal(err)
	}
	return func() {
		e.base = base
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	}
}

func readiness(t *testing.T, a answer) api.Readiness {
	t.Helper()
	var r api.Readiness
	if err := json.Unmarshal(a.body, &r); err != nil {
		t.Fatalf("%v: %s", err, a.body)
	}
	if len(r.Checks) != 3 || r.Checks[0].Name != "caught_up" || r.Checks[1].Name != "app_serving" || r.Checks[2].Name != "consensus_live" {
		t.Fatalf("checks %+v", r.Checks)
	}
	return r
}

// testProbes: /healthz and /readyz answer without a token, on the test's
// server and on the one each node starts itself.
func (e *env) testProbes(t *testing.T) {
	for _, base := range []string{e.base, fmt.Sprintf("http://127.0.0.1:%d", e.tn.Nodes[1].APIPort)} {
		saved := e.base
		e.base = base
		h := e.do("GET", "/healthz", "", nil, nil)
		if h.status != http.StatusOK || string(h.body) != `{"status":"ok"}` {
			t.Fatalf("%s/healthz: %d %s", base, h.status, h.body)
		}
		a := e.do("GET", "/readyz", "", nil, nil)
		r := readiness(t, a)
		if a.status != http.StatusOK || !r.Ready || r.Height < 2 || r.BlockTime.IsZero() {
			t.Fatalf("%s/readyz of a live network: %d %s", base, a.status, a.body)
		}
		for _, c := range r.Checks {
			if !c.OK || c.Detail == "" {
				t.Fatalf("check %+v", c)
			}
		}
		e.base = saved
	}

	// A node whose latest block is older than ready_max_block_age is taken
	// out of rotation, and says why; it is still alive.
	cfg := api.DefaultConfig()
	cfg.ReadyMaxBlockAge = time.Nanosecond
	defer e.startServer(t, cfg)()
	a := e.do("GET", "/readyz", "", nil, nil)
	r := readiness(t, a)
	if a.status != http.StatusServiceUnavailable || r.Ready || !r.Checks[0].OK || !r.Checks[1].OK || r.Checks[2].OK {
		t.Fatalf("readyz with a 1ns block age: %d %s", a.status, a.body)
	}
	if h := e.do("GET", "/healthz", "", nil, nil); h.status != http.StatusOK {
		t.Fatalf("healthz of a stalled node: %d", h.status)
	}
}

// testSharedIP: an IP whose unauthenticated budget is spent still serves
// every valid token from it, directly and behind a trusted proxy, and
// each key keeps its own budget.
func (e *env) testSharedIP(t *testing.T) {
	cfg := api.DefaultConfig()
	cfg.RateLimit, cfg.RateBurst = 0.001, 2 // practically no refill during the test
	cfg.TrustedProxies = []string{"127.0.0.1"}
	defer e.startServer(t, cfg)()
	forged := forgeToken(e.keys["client-1"], e.addr("bank-1"), e.tn.ChainID, time.Now())
	for _, via := range []map[string]string{nil, {"X-Forwarded-For": "203.0.113.9"}} {
		// Spend the IP's budget with failed authentications.
		e.doToken("GET", "/v1/status", forged, nil, via).problem(t, http.StatusUnauthorized, "api/3")
		e.doToken("GET", "/v1/status", forged, nil, via).problem(t, http.StatusUnauthorized, "api/3")
		// Now a request without a token is refused before any work ...
		a := e.doToken("GET", "/v1/status", "", nil, via)
		a.problem(t, http.StatusTooManyRequests, "api/11")
		if a.header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		// ... a well-formed bad token is still checked and refused as bad ...
		e.doToken("GET", "/v1/status", forged, nil, via).problem(t, http.StatusUnauthorized, "api/3")
		// ... and valid tokens from the same address are served.
		for _, who := range []string{"client-1", "client-2"} {
			if a := e.do("GET", "/v1/status", who, nil, via); a.status != http.StatusOK {
				t.Fatalf("%s from an exhausted IP (%v): %d %s", who, via, a.status, a.body)
			}
		}
	}
	// Behind the proxy, another client's budget is untouched.
	e.doToken("GET", "/v1/status", "", nil, map[string]string{"X-Forwarded-For": "203.0.113.10"}).problem(t, http.StatusUnauthorized, "api/1")
	// Each key has its own bucket: client-1 has spent its burst of two.
	e.do("GET", "/v1/status", "client-1", nil, nil).problem(t, http.StatusTooManyRequests, "api/11")
	if a := e.do("GET", "/v1/status", "bank-1", nil, nil); a.status != http.StatusOK {
		t.Fatalf("bank-1: %d %s", a.status, a.body)
	}
}
