package main

import (
	"bufio"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/internal/testcert"
	"github.com/custody-ledger/custody/testnet"
	"github.com/custody-ledger/custody/testnet/nettest"
)

// TestE2E_RunningRiskdAuthenticatesEverySurface is issue #11 part 6 against
// a `riskd run` process on a four-node chain, over HTTPS: the admin API,
// the standby stream and onboarding answer 401 without a token (or with a
// key the chain does not know), 403 to a role that may not use them, and
// 200 to the one that may; the parameter version records the token's key.
func TestE2E_RunningRiskdAuthenticatesEverySurface(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: four-node chain and a riskd process")
	}
	net := nettest.Start(t)
	dir := t.TempDir()
	ports, err := testnet.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	adminAddr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	cert, key := testcert.Write(t, dir, "riskd")
	cfg := fmt.Sprintf("[engine]\ndata_dir = %q\n[admin]\nlisten = %q\ntls_cert = %q\ntls_key = %q\n", filepath.Join(dir, "data"), adminAddr, cert, key) +
		chainConfig(net)
	cfgPath := filepath.Join(dir, "riskd.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startRiskd(t, "riskd", cfgPath, adminAddr)
	hc := testcert.Client(t, cert)
	chainID := net.Client(t, 0).ChainID()
	tokenOf := func(k ed25519.PrivateKey) string {
		tok, err := client.NewToken(k, chainID, time.Now(), 0)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	_, stranger, _ := ed25519.GenerateKey(nil)
	op, regulator, broker := net.Keys[nettest.Operator], net.Keys["regulator-1"], net.Keys["broker-1"]
	base := "https://" + adminAddr
	call := func(key ed25519.PrivateKey, method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if key != nil {
			req.Header.Set("Authorization", "Bearer "+tokenOf(key))
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		var m map[string]any
		if res.StatusCode != http.StatusOK || path != "/v1/stream" {
			json.NewDecoder(res.Body).Decode(&m)
			if res.StatusCode >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s %s: %d answered as %s", method, path, res.StatusCode, res.Header.Get("Content-Type"))
			}
			return res.StatusCode, m
		}
		// The stream: its header line is enough.
		line, err := bufio.NewReader(res.Body).ReadBytes('\n')
		if err != nil || json.Unmarshal(line, &m) != nil || m["header"] == nil {
			t.Fatalf("stream header %q: %v", line, err)
		}
		return res.StatusCode, m
	}
	waitUntil(t, "riskd to lead", time.Minute, func() (bool, string) {
		req, _ := http.NewRequest("GET", base+"/v1/status", nil)
		req.Header.Set("Authorization", "Bearer "+tokenOf(op))
		res, err := hc.Do(req)
		if err != nil {
			return false, err.Error()
		}
		defer res.Body.Close()
		var st map[string]any
		json.NewDecoder(res.Body).Decode(&st)
		return res.StatusCode == http.StatusOK && st["role"] == "leader", fmt.Sprint(res.StatusCode, st)
	})

	for _, tc := range []struct {
		method, path, body string
		// Who gets 200 (or 202); everyone else is 403, no token 401.
		allowed []string
	}{
		{"GET", "/v1/status", "", []string{"operator", "regulator"}},
		{"GET", "/v1/rules", "", []string{"operator", "regulator"}},
		{"GET", "/v1/alerts", "", []string{"operator", "regulator"}},
		{"GET", "/v1/freeze-requests", "", []string{"operator", "regulator"}},
		{"GET", "/v1/stream", "", []string{"operator"}},
		{"POST", "/v1/onboard", "", []string{"operator"}},
		{"POST", "/v1/rules/off_hours/disable", `{"note":"after hours desk"}`, []string{"operator"}},
	} {
		keys := map[string]ed25519.PrivateKey{"operator": op, "regulator": regulator, "broker": broker}
		for _, who := range []string{"broker", "regulator", "operator"} {
			want := http.StatusForbidden
			for _, a := range tc.allowed {
				if a == who {
					want = http.StatusOK
				}
			}
			if code, m := call(keys[who], tc.method, tc.path, tc.body); code != want {
				t.Errorf("%s %s as %s: %d %v, want %d", tc.method, tc.path, who, code, m, want)
			}
		}
		if code, m := call(nil, tc.method, tc.path, tc.body); code != http.StatusUnauthorized || m["code"] != "riskd/1" {
			t.Errorf("%s %s without a token: %d %v", tc.method, tc.path, code, m)
		}
		if code, m := call(stranger, tc.method, tc.path, tc.body); code != http.StatusUnauthorized || m["code"] != "riskd/5" {
			t.Errorf("%s %s with an unregistered key: %d %v", tc.method, tc.path, code, m)
		}
	}
	// The version records the token's key, whatever a body would claim.
	code, m := call(op, "GET", "/v1/rules", "")
	want := nettest.Operator + "/" + client.Address(op.Public().(ed25519.PublicKey))
	if code != http.StatusOK || m["who"] != want {
		t.Errorf("rules after the change: %d who %v, want %s", code, m["who"], want)
	}
	if code, m := call(op, "PUT", "/v1/rules/spoofing", `{"who":"mallory","params":{"per_day":5}}`); code != http.StatusBadRequest {
		t.Errorf("a body naming who: %d %v", code, m)
	}
	// Plain HTTP to the TLS port is not served.
	if res, err := http.Get("http://" + adminAddr + "/v1/status"); err == nil {
		if res.StatusCode == http.StatusOK {
			t.Error("plain HTTP answered 200")
		}
		res.Body.Close()
	}
	p.stop(t)
}
