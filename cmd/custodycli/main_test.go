package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// run builds a fresh command tree and runs it with args; stdin feeds the
// prompts and env is the whole environment.
func run(t *testing.T, stdin string, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := newEnv(strings.NewReader(stdin), &out, &errOut, func(k string) string { return env[k] })
	cmd := newRootCmd(e)
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	if err != nil {
		errOut.WriteString("error: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), exitCode(err)
}

func TestKeysFileBackend(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"CUSTODYCLI_HOME": home}

	out, stderr, code := run(t, "s3cret\n", env, "keys", "add", "alice", "-o", "json")
	if code != 0 {
		t.Fatalf("add: %d %s", code, stderr)
	}
	var added struct {
		Name    string `json:"name"`
		Address string `json:"address"`
		PubKey  string `json:"pub_key"`
	}
	if err := json.Unmarshal([]byte(out), &added); err != nil || added.Name != "alice" || len(added.Address) != 40 {
		t.Fatalf("add output %q: %v", out, err)
	}
	st, err := os.Stat(filepath.Join(home, "keyring", "alice.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}

	out, _, code = run(t, "", env, "keys", "show", "alice", "--address")
	if code != 0 || strings.TrimSpace(out) != added.Address {
		t.Fatalf("show --address = %q (%d)", out, code)
	}
	out, _, code = run(t, "", env, "keys", "list")
	if code != 0 || !strings.Contains(out, "alice\t"+added.Address) {
		t.Fatalf("list = %q (%d)", out, code)
	}

	// Export under a transport passphrase, import into a test keyring. The
	// armor's passphrase comes from a file or the environment, never argv.
	armorFile := filepath.Join(t.TempDir(), "alice.armor")
	transport := filepath.Join(t.TempDir(), "transport")
	if err := os.WriteFile(transport, []byte("transport\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, "wrong\n", env, "keys", "export", "alice", "--armor-passphrase-file", transport, "--out", armorFile); code != exitKeyring {
		t.Fatalf("export with wrong passphrase: code %d %s", code, stderr)
	}
	if _, stderr, code := run(t, "s3cret\n", env, "keys", "export", "alice", "--armor-passphrase-file", transport, "--out", armorFile); code != 0 {
		t.Fatalf("export: %d %s", code, stderr)
	}
	testDir := t.TempDir()
	out, stderr, code = run(t, "", map[string]string{"CUSTODYCLI_HOME": home, armorPassphraseEnv: "transport"}, "--keyring-dir", testDir, "--keyring-backend", "test",
		"keys", "import", "a2", "--armor", armorFile)
	if code != 0 || !strings.Contains(out, added.Address) {
		t.Fatalf("import: %d %q %s", code, out, stderr)
	}
	// Piped, the armor passphrase is a line of stdin.
	out, stderr, code = run(t, "transport\n", env, "--keyring-dir", t.TempDir(), "--keyring-backend", "test",
		"keys", "import", "a3", "--armor", armorFile)
	if code != 0 || !strings.Contains(out, added.Address) {
		t.Fatalf("import with the armor passphrase on stdin: %d %q %s", code, out, stderr)
	}

	// The keyring passphrase can come from a file or the environment.
	pf := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(pf, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, "", env, "--passphrase-file", pf, "keys", "export", "alice", "--armor-passphrase-file", transport); code != 0 {
		t.Fatalf("export with --passphrase-file: %d %s", code, stderr)
	}
	env[passphraseEnv] = "s3cret"
	env[armorPassphraseEnv] = "x"
	if _, stderr, code := run(t, "", env, "keys", "export", "alice"); code != 0 {
		t.Fatalf("export with $%s and $%s: %d %s", passphraseEnv, armorPassphraseEnv, code, stderr)
	}
}

// TestPassphraseNeverFromArgv: the removed --armor-passphrase, which took
// the passphrase itself, is refused with the reason; no flag of any
// command takes a passphrase as its value.
func TestPassphraseNeverFromArgv(t *testing.T) {
	env := map[string]string{"CUSTODYCLI_HOME": t.TempDir()}
	for _, args := range [][]string{
		{"keys", "export", "alice", "--armor-passphrase", "transport"},
		{"keys", "import", "a2", "--armor", "x.armor", "--armor-passphrase", "transport"},
	} {
		_, stderr, code := run(t, "", env, args...)
		if code != exitUsage || !strings.Contains(stderr, "visible to every user") || !strings.Contains(stderr, "--armor-passphrase-file") {
			t.Errorf("%v: exit %d, %s", args, code, stderr)
		}
	}
	// Walk every flag of the tree: a flag whose name says passphrase must
	// name a file, or be one of the hidden refusals.
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if strings.Contains(f.Name, "passphrase") && !strings.HasSuffix(f.Name, "-file") && !f.Hidden {
				t.Errorf("%s --%s takes a passphrase on the command line", c.CommandPath(), f.Name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	root := newRootCmd(newEnv(strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" }))
	walk(root)
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		if strings.Contains(f.Name, "passphrase") && !strings.HasSuffix(f.Name, "-file") {
			t.Errorf("--%s takes a passphrase on the command line", f.Name)
		}
	})
}

func TestExitCodes(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"CUSTODYCLI_HOME": home}
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
	}{
		{"unknown flag", "", []string{"keys", "list", "--nope"}, exitUsage},
		{"missing arg", "", []string{"keys", "show"}, exitUsage},
		{"bad output", "", []string{"-o", "yaml", "keys", "list"}, exitUsage},
		{"bad backend", "", []string{"--keyring-backend", "plain", "keys", "list"}, exitUsage},
		{"no such key", "", []string{"keys", "show", "bob"}, exitKeyring},
		{"bad name", "p\n", []string{"keys", "add", "../x"}, exitKeyring},
		{"tx without --from", "", []string{"tx", "deposit", "--transfer-id", "T", "--account-id", "A", "--amount", "1"}, exitUsage},
		{"tx with unknown key", "p\n", []string{"tx", "freeze", "--from", "nobody", "--account-id", "A", "--reason", "r"}, exitKeyring},
		{"open-account without a signed request", "", []string{"tx", "open-account", "--from", "x"}, exitUsage},
		{"confirm-account without the client key", "", []string{"tx", "confirm-account", "--from", "x", "--account-id", "A1"}, exitUsage},
		{"opening-request without a secret", "", []string{"--chain-id", "c", "account", "opening-request", "--account-id", "A1"}, exitUsage},
		{"prove without witness", "", []string{"--node", "tcp://127.0.0.1:1", "--chain-id", "c", "q", "funds", "A", "--prove"}, exitUsage},
		{"node unreachable", "", []string{"--node", "tcp://127.0.0.1:1", "--chain-id", "c", "q", "invariants"}, exitFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(t, tc.stdin, env, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, stderr)
			}
		})
	}
	// The test backend is used only when asked for: a test key is not read
	// by the default (file) keyring.
	if _, stderr, code := run(t, "", env, "--keyring-backend", "test", "keys", "add", "t"); code != 0 {
		t.Fatal(stderr)
	}
	if _, _, code := run(t, "", env, "keys", "show", "t"); code != exitKeyring {
		t.Fatalf("file keyring read a test key: exit %d", code)
	}
}
