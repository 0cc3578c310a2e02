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

// TestAgainstNetwork drives the CLI against the default four-node testnet
// with the institutions' test keyrings, as docs/cli.md does.
func TestAgainstNetwork(t *testing.T) {
	tn := nettest.Start(t).TN

	home := t.TempDir()
	env := map[string]string{"CUSTODYCLI_HOME": home}
	node := tn.Nodes[0].RPCAddress()
	keyring := func(id string) []string {
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

	// The client's own key, in its own (test) keyring.
	clientKR := []string{"--node", node, "--keyring-backend", "test", "--keyring-dir", filepath.Join(home, "client-keys")}
	cli(0, with(clientKR, "keys", "add", "client1")...)
	pub := strings.TrimSpace(cli(0, with(clientKR, "keys", "show", "client1", "--pubkey")...))

	// The opening: the broker hashes the numbers (read from stdin) under
	// the network's identity secret, the client signs the request with its
	// own key, the broker submits it, the bank names the client's key.
	dir := t.TempDir()
	secret := filepath.Join(tn.Home(tn.Node("broker-1")), testnet.IdentitySecretFile)
	unsigned, signed := filepath.Join(dir, "opening.json"), filepath.Join(dir, "opening-signed.json")
	if _, stderr, code := run(t, "110101199001011234\n6222020200000000\n", env, with(keyring("broker-1"), "account", "opening-request",
		"--account-id", "ACC-9", "--broker-id", "broker-1", "--bank-id", "bank-1", "--shareholder", "A123456789",
		"--identity-secret-file", secret, "--out", unsigned)...); code != 0 {
		t.Fatalf("opening-request: exit %d: %s", code, stderr)
	}
	if bz, _ := os.ReadFile(unsigned); strings.Contains(string(bz), "110101199001011234") || !strings.Contains(string(bz), `"identity_hash"`) {
		t.Fatalf("unsigned request %s", bz)
	}
	// A short secret is refused where the hash is computed.
	short := filepath.Join(dir, "short.hex")
	if err := os.WriteFile(short, []byte("00112233\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, "1\n2\n", env, "--chain-id", tn.ChainID, "account", "opening-request", "--account-id", "ACC-9",
		"--broker-id", "broker-1", "--bank-id", "bank-1", "--identity-secret-file", short); code != exitUsage || !strings.Contains(stderr, "shorter than 32") {
		t.Fatalf("short secret: exit %d: %s", code, stderr)
	}
	cli(0, with(clientKR, "account", "sign-opening", "--from", "client1", "--request", unsigned, "--out", signed)...)
	cli(0, with(keyring("broker-1"), "tx", "open-account", "--from", "broker-1", "--request", signed)...)
	// A bank that names another key than the client signed with is refused.
	if _, stderr, code := run(t, "", env, with(keyring("bank-1"), "tx", "confirm-account", "--from", "bank-1", "--account-id", "ACC-9",
		"--client-pubkey", strings.Repeat("ab", 32))...); code != exitTxRefused || !strings.Contains(stderr, "different client key") {
		t.Fatalf("mismatched confirmation: exit %d: %s", code, stderr)
	}
	cli(0, with(keyring("bank-1"), "tx", "confirm-account", "--from", "bank-1", "--account-id", "ACC-9", "--client-pubkey", pub)...)
	out := cli(0, with(keyring("bank-1"), "-o", "json", "tx", "deposit", "--from", "bank-1", "--transfer-id", "D1", "--account-id", "ACC-9", "--amount", "50.00")...)
	var res struct {
		Hash   string `json:"hash"`
		Height int64  `json:"height"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Height == 0 || len(res.Hash) != 64 {
		t.Fatalf("deposit output %q: %v", out, err)
	}
	// A resend (the same id, account and amount) answers the first outcome;
	// the same id with another amount is refused with exit 3 and the
	// registered error.
	cli(0, with(keyring("bank-1"), "tx", "deposit", "--from", "bank-1", "--transfer-id", "D1", "--account-id", "ACC-9", "--amount", "50.00")...)
	if _, stderr, code := run(t, "", env, with(keyring("bank-1"), "tx", "deposit", "--from", "bank-1", "--transfer-id", "D1", "--account-id", "ACC-9", "--amount", "49.99")...); code != exitTxRefused || !strings.Contains(stderr, "transfer id already used") {
		t.Fatalf("duplicate deposit: exit %d, stderr %s", code, stderr)
	}
	cli(0, with(clientKR, "tx", "withdraw", "--from", "client1", "--transfer-id", "ACC-9/W1", "--account-id", "ACC-9", "--amount", "12.00")...)

	// Pin header 1 (three other nodes agree), then read with proofs: values
	// from node 0, headers from node 1, cross-checked by node 2.
	cli(0, "--node", node, "light", "pin", "--witness", tn.Nodes[1].RPCAddress(), "--witness", tn.Nodes[3].RPCAddress())
	prove := []string{"--prove", "--light-primary", tn.Nodes[1].RPCAddress(), "--witness", tn.Nodes[2].RPCAddress()}
	// The client reads its own records as itself (--as): the node shows a
	// caller only what it may read.
	asClient := with(clientKR, "--as", "client1")
	out = cli(0, with(with(asClient, "-o", "json", "query", "funds", "ACC-9"), prove...)...)
	var funds struct {
		Height int64 `json:"height"`
		Proven bool  `json:"proven"`
		Value  struct {
			Balance   string `json:"balance"`
			Frozen    string `json:"frozen"`
			Available string `json:"available"`
		} `json:"value"`
	}
	if err := json.Unmarshal([]byte(out), &funds); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	if !funds.Proven || funds.Value.Balance != "5000" || funds.Value.Frozen != "1200" || funds.Value.Available != "3800" {
		t.Fatalf("proven funds %+v", funds)
	}
	out = cli(0, with(with(asClient, "query", "ledger", "ACC-9"), prove...)...)
	if !strings.Contains(out, "2 of 2 entries") || !strings.Contains(out, "LEDGER_REASON_WITHDRAWAL_FREEZE") {
		t.Fatalf("proven ledger:\n%s", out)
	}
	out = cli(0, with(with(asClient, "query", "transfer", "bank-1/ACC-9/W1"), prove...)...)
	if !strings.Contains(out, "TRANSFER_STATUS_PENDING") {
		t.Fatalf("proven transfer:\n%s", out)
	}
	addr := strings.TrimSpace(cli(0, with(clientKR, "keys", "show", "client1", "--address")...))
	out = cli(0, with(with(asClient, "query", "signer", addr), prove...)...)
	if !strings.Contains(out, `"owner": "ACC-9"`) || !strings.Contains(out, "ROLE_CLIENT") {
		t.Fatalf("proven signer:\n%s", out)
	}
	// Anonymous, or as another key, the records are not there: the node
	// answers "not found" (exit 6) alike for what does not exist and for
	// what the caller may not read.
	cli(exitQueryError, with([]string{"--node", node, "query", "funds", "ACC-9"}, prove...)...)
	cli(exitQueryError, with(asClient, "query", "account", "NOPE")...)
	cli(exitQueryError, with(asClient, "query", "account", "NOPE", "--prove", "--light-primary", tn.Nodes[1].RPCAddress(), "--witness", tn.Nodes[2].RPCAddress())...)
	// A proven absence is an error, not an empty answer; only the
	// regulator gets the proof (it shows the neighbouring records).
	asRegulator := with(keyring("regulator-1"), "--as", "regulator-1")
	cli(exitNotFound, with(with(asRegulator, "query", "account", "NOPE"), prove...)...)
	// A wrong trust root is refused before anything is printed.
	cli(exitProof, with(with(asClient, "--home", t.TempDir(), "query", "funds", "ACC-9", "--trust-height", "1", "--trust-hash", strings.Repeat("ab", 32)), prove...)...)

	// The client loses client1: a new key through broker and bank. After
	// the bank confirms, client1 is refused and client1-new withdraws.
	cli(0, with(clientKR, "keys", "add", "client1-new")...)
	newPub := strings.TrimSpace(cli(0, with(clientKR, "keys", "show", "client1-new", "--pubkey")...))
	change := filepath.Join(dir, "key-change.json")
	cli(0, with(clientKR, "account", "sign-key-change", "--from", "client1-new", "--account-id", "ACC-9",
		"--broker-id", "broker-1", "--bank-id", "bank-1", "--out", change)...)
	cli(0, with(keyring("broker-1"), "tx", "propose-client-key", "--from", "broker-1", "--request", change, "--reason", "lost phone")...)
	cli(0, with(keyring("bank-1"), "tx", "confirm-client-key", "--from", "bank-1", "--account-id", "ACC-9", "--client-pubkey", newPub)...)
	if _, stderr, code := run(t, "", env, with(clientKR, "tx", "withdraw", "--from", "client1", "--transfer-id", "ACC-9/W2",
		"--account-id", "ACC-9", "--amount", "1")...); code != exitTxRefused || !strings.Contains(stderr, "disabled") {
		t.Fatalf("the replaced key withdrew: exit %d: %s", code, stderr)
	}
	cli(0, with(clientKR, "tx", "withdraw", "--from", "client1-new", "--transfer-id", "ACC-9/W3", "--account-id", "ACC-9", "--amount", "1")...)
	// A deposit keyed twice, reversed (冲正) and the reversal read back with
	// a proof; reversing again answers the first reversal; nothing is owed.
	cli(0, with(keyring("bank-1"), "tx", "deposit", "--from", "bank-1", "--transfer-id", "D2", "--account-id", "ACC-9", "--amount", "7.00")...)
	for range 2 {
		cli(0, with(keyring("bank-1"), "tx", "reverse-transfer", "--from", "bank-1", "--transfer-id", "D2", "--reason", "keyed twice")...)
	}
	if _, stderr, code := run(t, "", env, with(keyring("bank-1"), "tx", "reverse-transfer", "--from", "bank-1", "--transfer-id", "D2")...); code != exitTxRefused || !strings.Contains(stderr, "reason") {
		t.Fatalf("reversal without a reason: exit %d, stderr %s", code, stderr)
	}
	out = cli(0, with(with(asRegulator, "query", "transfer", "bank-1/D2#R"), prove...)...)
	if !strings.Contains(out, `"reverses": "D2"`) || !strings.Contains(out, `"taken_back": "700"`) {
		t.Fatalf("proven reversal:\n%s", out)
	}
	out = cli(0, with(asRegulator, "query", "receivable", "ACC-9")...)
	if !strings.Contains(out, `"owed": "0"`) {
		t.Fatalf("receivable: %s", out)
	}
	out = cli(0, "--node", node, "query", "calendar")
	if !strings.Contains(out, `"always_open": true`) {
		t.Fatalf("calendar: %s", out)
	}

	out = cli(0, with(asRegulator, "-o", "json", "query", "invariants")...)
	if !strings.Contains(out, `"broken":false`) {
		t.Fatalf("invariants: %s", out)
	}
}
