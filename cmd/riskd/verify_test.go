package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/admin"
	"github.com/custody-ledger/custody/risk/anchor"
	"github.com/custody-ledger/custody/risk/chain"
	"github.com/custody-ledger/custody/risk/config"
	"github.com/custody-ledger/custody/risk/store"
	"github.com/custody-ledger/custody/testnet/nettest"
)

// chainConfig is the [chain] section of a riskd config for net: node 0,
// the other nodes as witnesses, the risk operator's test keyring.
func chainConfig(net *nettest.Network) string {
	var ws []string
	for _, w := range net.Witnesses(0) {
		ws = append(ws, fmt.Sprintf("%q", w))
	}
	return fmt.Sprintf("[chain]\nnode = %q\nwitnesses = [%s]\nkeyring = %q\nkeyring_backend = \"test\"\nkey = %q\n",
		net.RPC(0), strings.Join(ws, ", "), net.TN.RiskOperatorKeyring(nettest.Operator), nettest.Operator)
}

// TestVerifyAlertCmd anchors alerts on a four-node chain and checks that
// verify-alert proves them, from the store and through the admin API of a
// daemon holding the store, and refuses an alert whose batch is not on chain.
func TestVerifyAlertCmd(t *testing.T) {
	net := nettest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "risk.toml")
	data := filepath.Join(dir, "data")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf("[engine]\ndata_dir = %q\n", data)+chainConfig(net)), 0o644)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := chain.Connect(ctx, cfg.Chain, chain.ConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 7, 8, 1, 30, 0, 0, time.UTC)
	var as []risk.Alert
	for i := range 5 {
		a := risk.Alert{Rule: risk.RuleOffHours, Severity: risk.SeverityLow, Accounts: []string{"0100001111"},
			Time: t0.Add(time.Duration(i) * time.Second), Evidence: []string{risk.EventRef(uint64(i + 1))}, Detail: "x"}
		a.ID = risk.AlertID(a.Rule, a.Accounts, "", a.Evidence)
		as = append(as, a)
	}
	st.PutAlerts(as[:3])
	params := risk.DefaultParams()
	if err := conn.AnchorParams(ctx, risk.ParamVersion{Version: 1, Who: "test", Params: params}); err != nil {
		t.Fatal(err)
	}
	if _, err := anchor.NewBatcher(st, conn, anchor.Config{}).Cut(ctx, t0, params, true); err != nil {
		t.Fatal(err)
	}
	// Two more alerts in a batch recorded but never anchored.
	st.PutAlerts(as[3:])
	if _, err := anchor.NewBatcher(st, nil, anchor.Config{}).Cut(ctx, t0, params, true); err != nil {
		t.Fatal(err)
	}

	run := func(args ...string) (string, string, error) {
		var out, errb bytes.Buffer
		root := newRootCmd(&out, &errb)
		root.SetArgs(args)
		err := root.ExecuteContext(ctx)
		return out.String(), errb.String(), err
	}

	// The daemon holds the store: verify-alert asks its admin API.
	api, err := admin.New(admin.Config{Store: st, Initial: risk.ParamVersion{Version: 1, Params: params},
		Auth: &admin.Authenticator{Keys: chain.NewKeyRegistry(conn.Chain, nil), Operator: conn.Operator()}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	if _, _, err := run("verify-alert", as[1].ID, "--config", cfgPath, "--admin", srv.URL); err == nil || !strings.Contains(err.Error(), "bearer token") {
		t.Fatalf("through the admin API without a token: %v", err)
	}
	broker, _ := client.NewToken(net.Keys["broker-1"], conn.Client().ChainID(), time.Now(), 0)
	if _, _, err := run("verify-alert", as[1].ID, "--config", cfgPath, "--admin", srv.URL, "--token", broker); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("through the admin API with a broker's token: %v", err)
	}
	tok, err := client.NewToken(net.Keys["regulator-1"], conn.Client().ChainID(), time.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	out, errs, err := run("verify-alert", as[1].ID, "--config", cfgPath, "--admin", srv.URL, "--token", tok)
	if err != nil {
		t.Fatalf("through the admin API: %v\n%s\n%s", err, out, errs)
	}
	if !strings.Contains(errs, "verified: alert "+as[1].ID+" is leaf 1 of 3 of batch 1") || !strings.Contains(out, `"chain_batch"`) {
		t.Fatalf("output:\n%s\n%s", out, errs)
	}
	srv.Close()
	st.Close()

	// The store is free: verify-alert reads it itself.
	for _, a := range as[:3] {
		if out, errs, err := run("verify-alert", a.ID, "--config", cfgPath); err != nil || !strings.Contains(errs, "verified:") {
			t.Fatalf("alert %s: %v\n%s\n%s", a.ID, err, out, errs)
		}
	}
	out, errs, err = run("verify-alert", as[4].ID, "--config", cfgPath)
	if err == nil || !strings.Contains(err.Error(), "NOT verified") || !strings.Contains(err.Error(), "not anchored") {
		t.Fatalf("unanchored batch: %v\n%s\n%s", err, out, errs)
	}
	if _, _, err := run("verify-alert", "nope", "--config", cfgPath); err == nil {
		t.Fatal("unknown alert verified")
	}

	// A config whose data_dir holds no store: nothing is created, and the
	// message says so.
	empty := filepath.Join(dir, "empty.toml")
	none := filepath.Join(dir, "none")
	os.WriteFile(empty, []byte(fmt.Sprintf("[engine]\ndata_dir = %q\n[admin]\nlisten = \"127.0.0.1:1\"\n", none)+chainConfig(net)), 0o644)
	if _, _, err := run("verify-alert", as[0].ID, "--config", empty, "--token", tok); err == nil || !strings.Contains(err.Error(), "no risk store in "+none) {
		t.Fatalf("no store: %v", err)
	}
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Fatalf("verify-alert created %s: %v", none, err)
	}
}
