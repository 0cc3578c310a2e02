package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custody-ledger/custody/testnet"
	"github.com/custody-ledger/custody/testnet/nettest"
)

// TestOperatorsAgainstNetwork drives the key and maker-checker commands of
// docs/cli.md against the four-node testnet: operators added from the
// bank's keyring, a deposit above the maker's limit held and approved by
// the second operator only, a key rotated, a key revoked, the history read.
func TestOperatorsAgainstNetwork(t *testing.T) {
	tn := nettest.Start(t).TN
	env := map[string]string{"CUSTODYCLI_HOME": t.TempDir()}
	node := tn.Nodes[0].RPCAddress()
	keyring := func(id string) []string {
		return []string{"--node", node, "--keyring-backend", "test", "--keyring-dir", filepath.Join(tn.Home(tn.Node(id)), testnet.KeyringDir)}
	}
	run3 := func(args ...string) (string, string, int) { return run(t, "", env, args...) }
	cli := func(want int, args ...string) string {
		t.Helper()
		out, stderr, code := run3(args...)
		if code != want {
			t.Fatalf("custodycli %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, stderr)
		}
		return out + stderr
	}
	with := func(pre []string, args ...string) []string { return append(append([]string{}, pre...), args...) }
	bank, reg := keyring("bank-1"), keyring("regulator-1")

	// A client account at bank-1 to move money into.
	clientKR := []string{"--node", node, "--keyring-backend", "test", "--keyring-dir", filepath.Join(t.TempDir(), "client")}
	cli(0, with(clientKR, "keys", "add", "client1")...)
	pub := strings.TrimSpace(cli(0, with(clientKR, "keys", "show", "client1", "--pubkey")...))
	// Opened as docs/cli.md does: the broker's request, signed by the
	// client, confirmed by the bank naming the client's key.
	files := t.TempDir()
	unsigned, signed := filepath.Join(files, "opening.json"), filepath.Join(files, "opening-signed.json")
	cli(0, with(keyring("broker-1"), "account", "opening-request", "--account-id", "OPS-CLI", "--broker-id", "broker-1",
		"--bank-id", "bank-1", "--shareholder", "A123456788", "--identity-hash", strings.Repeat("ab", 32),
		"--bank-card-hash", strings.Repeat("cd", 32), "--out", unsigned)...)
	cli(0, with(clientKR, "account", "sign-opening", "--from", "client1", "--request", unsigned, "--out", signed)...)
	cli(0, with(keyring("broker-1"), "tx", "open-account", "--from", "broker-1", "--request", signed)...)
	cli(0, with(bank, "tx", "confirm-account", "--from", "bank-1", "--account-id", "OPS-CLI", "--client-pubkey", pub)...)

	// Two operators from the bank's keyring.
	grant := "approve_pending,bank_to_broker,confirm_withdrawal,reject_pending"
	for _, op := range []struct{ name, limit string }{{"desk1", "1000fen"}, {"desk2", "1000000fen"}} {
		cli(0, with(bank, "keys", "add", op.name)...)
		cli(0, with(bank, "tx", "add-operator", "--from", "bank-1", "--operator-key", op.name, "--grant", grant, "--amount-limit", op.limit, "--label", op.name)...)
	}
	// desk1 cannot send what it was not granted.
	if _, stderr, code := run3(with(bank, "tx", "confirm-account", "--from", "desk1", "--account-id", "OPS-CLI", "--client-pubkey", pub)...); code != exitTxRefused || !strings.Contains(stderr, "not granted") {
		t.Fatalf("ungranted message: exit %d, stderr %s", code, stderr)
	}
	// Above its limit desk1's deposit is held.
	out := cli(0, with(bank, "-o", "json", "tx", "deposit", "--from", "desk1", "--transfer-id", "CLI-D1", "--account-id", "OPS-CLI", "--amount", "5000fen")...)
	var held struct {
		Approval uint64 `json:"pending_approval_id"`
	}
	if err := json.Unmarshal([]byte(out), &held); err != nil || held.Approval != 1 {
		t.Fatalf("held deposit output %q: %v", out, err)
	}
	out = cli(0, "--node", node, "-o", "json", "query", "approvals", "bank-1", "--pending")
	if !strings.Contains(out, `"msg_type":"bank_to_broker"`) || !strings.Contains(out, `"amount":"5000"`) {
		t.Fatalf("pending approvals: %s", out)
	}
	if out := cli(0, "--node", node, "-o", "json", "query", "funds", "OPS-CLI"); !strings.Contains(out, `"balance":"0"`) {
		t.Fatalf("held deposit moved money: %s", out)
	}
	if _, stderr, code := run3(with(bank, "tx", "approve", "--from", "desk1", "--id", "1")...); code != exitTxRefused || !strings.Contains(stderr, "maker may not approve") {
		t.Fatalf("maker approving: exit %d, stderr %s", code, stderr)
	}
	cli(0, with(bank, "tx", "approve", "--from", "desk2", "--id", "1")...)
	if out := cli(0, "--node", node, "-o", "json", "query", "funds", "OPS-CLI"); !strings.Contains(out, `"balance":"5000"`) {
		t.Fatalf("approved deposit: %s", out)
	}
	// A second held deposit, rejected.
	cli(0, with(bank, "tx", "deposit", "--from", "desk1", "--transfer-id", "CLI-D2", "--account-id", "OPS-CLI", "--amount", "7000fen")...)
	cli(0, with(bank, "tx", "reject-approval", "--from", "desk2", "--id", "2", "--reason", "no instruction")...)

	// Rotate the bank's key; the regulator revokes desk1.
	cli(0, with(bank, "keys", "add", "bank-1-next")...)
	cli(0, with(bank, "tx", "rotate-key", "--from", "bank-1", "--new-key", "bank-1-next", "--reason", "yearly")...)
	if _, stderr, code := run3(with(bank, "tx", "deposit", "--from", "bank-1", "--transfer-id", "CLI-D3", "--account-id", "OPS-CLI", "--amount", "1fen")...); code != exitTxRefused || !strings.Contains(stderr, "disabled") {
		t.Fatalf("rotated key: exit %d, stderr %s", code, stderr)
	}
	cli(0, with(bank, "tx", "deposit", "--from", "bank-1-next", "--transfer-id", "CLI-D3", "--account-id", "OPS-CLI", "--amount", "1fen")...)
	desk1 := strings.TrimSpace(cli(0, with(bank, "keys", "show", "desk1", "--address")...))
	cli(0, with(reg, "tx", "revoke-key", "--from", "regulator-1", "--address", desk1, "--reason", "token lost")...)
	out = cli(0, "--node", node, "-o", "json", "query", "key-history", "bank-1")
	for _, kind := range []string{"KEY_EVENT_KIND_OPERATOR_ADDED", "KEY_EVENT_KIND_ROTATED", "KEY_EVENT_KIND_REVOKED"} {
		if !strings.Contains(out, kind) {
			t.Fatalf("key history lacks %s: %s", kind, out)
		}
	}
	out = cli(0, "--node", node, "-o", "json", "query", "keys", "bank-1")
	if strings.Count(out, `"pub_key"`) != 4 || !strings.Contains(out, "KEY_DISABLE_REASON_REVOKED") {
		t.Fatalf("keys of bank-1: %s", out)
	}
}
