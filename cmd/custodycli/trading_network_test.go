package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custody-ledger/custody/testnet"
	"github.com/custody-ledger/custody/testnet/nettest"
)

// TestTradingAgainstNetwork plays a trading day through the CLI on the
// default four-node testnet, as docs/cli.md shows: the clearing house
// opens the first day and lists an instrument, the client signs an order
// ticket, its broker places it and reports the fill, the clearing house
// clears the day against its trade file, the bank reconciles, and every
// record is read back with a proof.
func TestTradingAgainstNetwork(t *testing.T) {
	tn := nettest.Start(t).TN
	home, files := t.TempDir(), t.TempDir()
	env := map[string]string{"CUSTODYCLI_HOME": home}
	node := tn.Nodes[0].RPCAddress()
	as := func(id string) []string {
		return []string{"--node", node, "--keyring-backend", "test", "--keyring-dir", filepath.Join(tn.Home(tn.Node(id)), testnet.KeyringDir)}
	}
	cli := func(want int, args ...string) string {
		t.Helper()
		out, stderr, code := run(t, "", env, args...)
		if code != want {
			t.Fatalf("custodycli %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, stderr)
		}
		return out
	}
	with := func(pre []string, args ...string) []string { return append(append([]string{}, pre...), args...) }
	write := func(name, body string) string {
		p := filepath.Join(files, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	clientKR := []string{"--node", node, "--keyring-backend", "test", "--keyring-dir", filepath.Join(home, "client-keys")}
	cli(0, with(clientKR, "keys", "add", "client1")...)
	pub := strings.TrimSpace(cli(0, with(clientKR, "keys", "show", "client1", "--pubkey")...))
	numbers := write("numbers.txt", "110101199001011234\n6222020200000000\n")
	unsigned, signed := filepath.Join(files, "opening.json"), filepath.Join(files, "opening-signed.json")
	cli(0, with(as("broker-1"), "account", "opening-request", "--account-id", "C1", "--broker-id", "broker-1", "--bank-id", "bank-1",
		"--shareholder", "A123456789", "--shareholder", "0123456789", "--numbers-file", numbers,
		"--identity-secret-file", filepath.Join(tn.Home(tn.Node("broker-1")), testnet.IdentitySecretFile), "--out", unsigned)...)
	cli(0, with(clientKR, "account", "sign-opening", "--from", "client1", "--request", unsigned, "--out", signed)...)
	cli(0, with(as("broker-1"), "tx", "open-account", "--from", "broker-1", "--request", signed)...)
	cli(0, with(as("bank-1"), "tx", "confirm-account", "--from", "bank-1", "--account-id", "C1", "--client-pubkey", pub)...)
	cli(0, with(as("bank-1"), "tx", "deposit", "--from", "bank-1", "--transfer-id", "D1", "--account-id", "C1", "--amount", "2000000fen")...)

	// The first business day opens with a listing.
	listing := write("instruments.json", `[{"security":"600000.SH","name":"Pudong Bank","board":"BOARD_MAIN","reference_price":"100000","cycle":"SETTLEMENT_CYCLE_T1"}]`)
	cli(0, with(as("clearing-house-1"), "tx", "end-of-day", "--from", "clearing-house-1", "--date", "0", "--next-date", "20250102", "--instruments", listing)...)
	if out := cli(0, "--node", node, "-o", "json", "query", "business-day"); !strings.Contains(out, `"date":20250102`) {
		t.Fatalf("business day: %s", out)
	}

	// The client signs; the broker places and reports the fill.
	ticket := cli(0, with(clientKR, "ticket", "order", "--from", "client1", "--order-id", "C1/b1", "--security", "600000.SH",
		"--side", "buy", "--price", "10.00", "--quantity", "1000")...)
	cli(0, with(as("broker-1"), "tx", "place-order", "--from", "broker-1", "--ticket", write("b1.json", ticket))...)
	// The same ticket a second time is refused (exit 3).
	cli(exitTxRefused, with(as("broker-1"), "tx", "place-order", "--from", "broker-1", "--ticket", filepath.Join(files, "b1.json"))...)
	cli(0, with(as("broker-1"), "tx", "report-fill", "--from", "broker-1", "--exec-id", "E1", "--order-id", "C1/b1", "--price", "10.00", "--quantity", "1000")...)
	ticket = cli(0, with(clientKR, "ticket", "order", "--from", "client1", "--order-id", "C1/b2", "--security", "600000.SH",
		"--side", "buy", "--price", "9.90", "--quantity", "100")...)
	cli(0, with(as("broker-1"), "tx", "place-order", "--from", "broker-1", "--ticket", write("b2.json", ticket))...)
	cancel2 := cli(0, with(clientKR, "ticket", "cancel", "--from", "client1", "--order-id", "C1/b2")...)
	cli(0, with(as("broker-1"), "tx", "cancel-order", "--from", "broker-1", "--ticket", write("c2.json", cancel2))...)

	cli(0, with(as("clearing-house-1"), "tx", "end-of-day", "--from", "clearing-house-1", "--date", "20250102", "--next-date", "20250103",
		"--totals", "broker-1=1:1000000:0", "--closing-price", "600000.SH=10.20")...)
	cli(0, with(as("bank-1"), "tx", "submit-statement", "--from", "bank-1", "--date", "20250102", "--broker-id", "broker-1",
		"--balances", write("bal.csv", "C1,999436\n"))...)

	cli(0, "--node", node, "light", "pin", "--witness", tn.Nodes[1].RPCAddress(), "--witness", tn.Nodes[3].RPCAddress())
	prove := []string{"--prove", "--light-primary", tn.Nodes[1].RPCAddress(), "--witness", tn.Nodes[2].RPCAddress()}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"order", "C1/b1"}, []string{`"status":"ORDER_STATUS_FILLED"`, `"frozen_cash":"0"`}},
		{[]string{"order", "C1/b2"}, []string{`"status":"ORDER_STATUS_CANCELLED"`}},
		{[]string{"fills", "C1/b1"}, []string{`"exec_id":"E1"`, `"cash":"-1000564"`}},
		{[]string{"fill", "E1"}, []string{`"value":"1000000"`}},
		{[]string{"orders", "C1", "--status", "filled,cancelled"}, []string{`"id":"C1/b1"`, `"id":"C1/b2"`}},
		{[]string{"holding", "C1/600000.SH"}, []string{`"sellable":"1000"`}},
		{[]string{"holdings", "C1"}, []string{`"balance":"1000"`}},
		{[]string{"position", "600000.SH"}, []string{`"quantity":"-1000"`}},
		{[]string{"instrument", "600000.SH"}, []string{`"reference_price":"102000"`}},
		{[]string{"report", "20250102/broker-1"}, []string{`"net_obligation":"1000000"`, `"fee_total":"564"`, `"settlement_break":false`}},
		{[]string{"reports", "20250102"}, []string{`"broker_id":"broker-1"`}},
		{[]string{"snapshot", "20250102/bank-1/broker-1"}, []string{`"total":"999436"`}},
		{[]string{"reconciliation", "20250102/bank-1/broker-1"}, []string{`"status":"RECON_STATUS_MATCH"`}},
		{[]string{"reconciliations", "20250102"}, []string{`"status":"RECON_STATUS_MATCH"`}},
		{[]string{"reconciliation-breaks"}, []string{`"items":[]`}},
		{[]string{"settlement-breaks"}, []string{`"items":[]`}},
		{[]string{"fee-account", "commission/broker-1"}, []string{`"balance":"500"`}},
		{[]string{"fee-account", "handling_fee/SSE"}, []string{`"balance":"34"`}},
		{[]string{"fee-accounts"}, []string{`"kind":"SYSTEM_ACCOUNT_KIND_REGULATOR_LEVY"`}},
		{[]string{"supply"}, []string{`"to_clearing":"1000000"`}},
		{[]string{"business-day"}, []string{`"date":20250103`}},
		{[]string{"funds", "C1"}, []string{`"balance":"999436"`}},
	} {
		out := cli(0, with(with([]string{"--node", node, "-o", "json", "query"}, c.args...), prove...)...)
		compact := strings.ReplaceAll(out, " ", "")
		if !strings.Contains(compact, `"proven":true`) {
			t.Errorf("query %v: not proven: %s", c.args, out)
		}
		for _, w := range c.want {
			if !strings.Contains(compact, w) {
				t.Errorf("query %v: %s lacks %s", c.args, out, w)
			}
		}
	}
	// Without --prove: the node's answer.
	var inst struct {
		Instruments []json.RawMessage `json:"instruments"`
	}
	if err := json.Unmarshal([]byte(cli(0, "--node", node, "-o", "json", "query", "instruments")), &inst); err != nil || len(inst.Instruments) != 1 {
		t.Fatalf("instruments: %v %v", inst, err)
	}
	if out := cli(0, "--node", node, "-o", "json", "query", "invariants"); !strings.Contains(out, `"broken":false`) {
		t.Fatalf("invariants: %s", out)
	}
	// The client's statement of the day, its entries proven; the checks.
	out := cli(0, with(with([]string{"--node", node, "-o", "json", "query", "statement", "C1", "--date", "20250102"}), prove...)...)
	for _, w := range []string{`"proven_entries":`, `"closing_balance":"999436"`, `"security":"600000.SH"`, `"exec_id":"E1"`} {
		if !strings.Contains(strings.Join(strings.Fields(out), ""), w) {
			t.Errorf("statement: %s lacks %s", out, w)
		}
	}
	cli(exitUsage, "--node", node, "query", "statement", "C1")
	if out := cli(0, "--node", node, "-o", "json", "query", "reconciliation-checks", "20250102"); !strings.Contains(out, `RECON_CHECK_TOTAL`) || !strings.Contains(out, `RECON_CHECK_CLIENTS`) {
		t.Fatalf("reconciliation checks: %s", out)
	}
}
