package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/custody-ledger/custody/client"
)

func TestToken(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"CUSTODYCLI_HOME": home}
	seed := strings.Repeat("07", 32)
	test := []string{"--keyring-backend", "test"}
	if _, stderr, code := run(t, seed+"\n", env, append(test, "keys", "import", "bob", "--seed-file", "-")...); code != 0 {
		t.Fatalf("import: %d %s", code, stderr)
	}
	raw, _ := hex.DecodeString(seed)
	pub := ed25519.NewKeyFromSeed(raw).Public().(ed25519.PublicKey)

	out, stderr, code := run(t, "", env, append(test, "token", "--from", "bob", "--chain-id", "chain-x", "--ttl", "2m")...)
	if code != 0 {
		t.Fatalf("token: %d %s", code, stderr)
	}
	tok, err := client.ParseToken(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Verify(pub, "chain-x", time.Now()); err != nil {
		t.Fatalf("the token does not verify with bob's key: %v", err)
	}
	if life := tok.Claims.ExpiresAt.Sub(tok.Claims.IssuedAt); life != 2*time.Minute {
		t.Fatalf("lifetime %s, want 2m", life)
	}

	out, _, code = run(t, "", env, append(test, "token", "--from", "bob", "--chain-id", "chain-x", "-o", "json")...)
	var j struct {
		Token, Subject, Audience string
		ExpiresAt                time.Time `json:"expires_at"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &j) != nil || j.Subject != client.Address(pub) || j.Audience != "chain-x" ||
		time.Until(j.ExpiresAt) > client.TokenMaxLifetime || time.Until(j.ExpiresAt) < 4*time.Minute {
		t.Fatalf("json output %q (%d)", out, code)
	}

	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"token", "--chain-id", "c"}, exitUsage},
		{[]string{"token", "--from", "bob", "--chain-id", "c", "--ttl", "10m"}, exitUsage},
		{[]string{"token", "--from", "bob", "--chain-id", "c", "--ttl", "-1s"}, exitUsage},
		{[]string{"token", "--from", "nobody", "--chain-id", "c"}, exitKeyring},
	} {
		if _, stderr, code := run(t, "", env, append(test, tc.args...)...); code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.code, stderr)
		}
	}
}
