package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestExitCodes_BadCommandLines pins the exit status and the message of
// each kind of bad command line (docs/cli.md's table): everything is
// refused before a key is opened or a node is asked, and the message
// names the flag or the word at fault.
func TestExitCodes_BadCommandLines(t *testing.T) {
	kr := t.TempDir()
	test := []string{"--keyring-backend", "test", "--keyring-dir", kr}
	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown subcommand", []string{"query", "nosuch"}, exitUsage, `unknown command "nosuch" for "custodycli query"`},
		{"typo with a suggestion", []string{"qurey"}, exitUsage, "did you mean query?"},
		{"bare group", []string{"tx"}, exitUsage, "custodycli tx needs a subcommand"},
		{"unknown flag", []string{"query", "participants", "--nosuch"}, exitUsage, "unknown flag: --nosuch"},
		{"bad output", []string{"-o", "yaml", "query", "participants"}, exitUsage, "--output must be text or json"},
		{"missing amount", []string{"tx", "deposit", "--from", "b", "--transfer-id", "D1", "--account-id", "A"}, exitUsage, "--amount is required"},
		{"negative amount", []string{"tx", "deposit", "--amount", "-5"}, exitUsage, `"--amount" flag: must be positive`},
		{"amount below a fen", []string{"tx", "withdraw", "--amount", "12.345"}, exitUsage, "at most two decimals"},
		{"zero amount", []string{"tx", "withdraw", "--amount", "0"}, exitUsage, "must be more than zero"},
		{"amount not a number", []string{"tx", "deposit", "--amount", "ten"}, exitUsage, "not a number"},
		{"zero quantity", []string{"ticket", "order", "--quantity", "0"}, exitUsage, "must be more than zero shares"},
		{"negative quantity", []string{"tx", "report-fill", "--quantity", "-100"}, exitUsage, "must be more than zero shares"},
		{"missing quantity", []string{"ticket", "order", "--side", "buy"}, exitUsage, "--quantity is required"},
		{"bad side", []string{"ticket", "order", "--side", "hold", "--quantity", "1"}, exitUsage, `--side "hold"`},
		{"bad price", []string{"tx", "report-fill", "--quantity", "1", "--price", "1.23456"}, exitUsage, "price"},
		{"no such key", append(test, "keys", "show", "nobody"), exitKeyring, "nobody"},
		{"a seed in argv", append(test, "keys", "import", "k", "--seed-hex", "01"), exitUsage, "use --seed-file"},
		{"node down", []string{"--node", "http://127.0.0.1:1", "query", "participants"}, exitFailure, "127.0.0.1:1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := run(t, "", nil, c.args...)
			if code != c.code || !strings.Contains(stderr, c.msg) {
				t.Errorf("custodycli %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), code, stderr, c.code, c.msg)
			}
		})
	}
}

// With -o json an error is one JSON object carrying the exit status.
func TestReportError_JSON(t *testing.T) {
	var out, errOut strings.Builder
	e := newEnv(strings.NewReader(""), &out, &errOut, func(string) string { return "" })
	e.output = "json"
	reportError(e, usagef(errString("--amount is required")), exitUsage)
	var got cliError
	if err := json.Unmarshal([]byte(errOut.String()), &got); err != nil || got.Error.Exit != exitUsage || got.Error.Message != "--amount is required" {
		t.Fatalf("%q: %+v %v", errOut.String(), got, err)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
