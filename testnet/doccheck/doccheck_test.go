package doccheck

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse_BlocksCommandsAndChecks(t *testing.T) {
	md := "# A walk\n" +
		"<!-- doccheck: network=testnet --risk-operators 1 -->\n" +
		"```sh\n" +
		"X=1   # a variable\n" +
		"echo \"$X\" \\\n" +
		"  two\n" +
		"#> 1 two\n" +
		"false\n" +
		"#! exit 1\n" +
		"echo '[{\"a\":1,\n" +
		"  \"b\":2}]' > /tmp/x.json\n" +
		"cat <<EOF\n" +
		"hello\n" +
		"EOF\n" +
		"#> hello\n" +
		"```\n" +
		"```text\nnot run\n```\n" +
		"<!-- doccheck: skip it runs until Ctrl-C -->\n" +
		"```sh\nmake testnet\n```\n" +
		"```bash\nls\n```\n"
	d, err := Parse("walk.md", []byte(md), ShellComplete)
	if err != nil {
		t.Fatal(err)
	}
	if d.Network != "testnet" || strings.Join(d.InitFlags, " ") != "--risk-operators 1" {
		t.Fatalf("network %q flags %q", d.Network, d.InitFlags)
	}
	if len(d.Blocks) != 2 {
		t.Fatalf("%d blocks, want 2 (text and skipped blocks do not run)", len(d.Blocks))
	}
	cs := d.Blocks[0].Commands
	want := []struct {
		line     int
		first    string
		exit     int
		contains []string
	}{
		{4, "X=1   # a variable", 0, nil},
		{5, "echo \"$X\" \\", 0, []string{"1 two"}},
		{8, "false", 1, nil},
		{10, "echo '[{\"a\":1,", 0, nil},
		{12, "cat <<EOF", 0, []string{"hello"}},
	}
	if len(cs) != len(want) {
		t.Fatalf("%d commands, want %d: %+v", len(cs), len(want), cs)
	}
	for i, w := range want {
		c := cs[i]
		if c.Line != w.line || !strings.HasPrefix(c.Text, w.first) || c.Exit != w.exit || strings.Join(c.Contains, "|") != strings.Join(w.contains, "|") {
			t.Errorf("command %d = %+v, want %+v", i, c, w)
		}
	}
	if got := d.Blocks[1].Commands[0].Text; got != "ls" {
		t.Errorf("bash block: %q", got)
	}
}

func TestParse_RefusesWhatCannotBeChecked(t *testing.T) {
	for name, md := range map[string]string{
		"unknown directive":  "<!-- doccheck: sometimes -->\n",
		"skip with no why":   "<!-- doccheck: skip -->\n```sh\nls\n```\n",
		"off with no why":    "<!-- doccheck: off -->\n",
		"bad network":        "<!-- doccheck: network=mainnet -->\n",
		"unclosed fence":     "```sh\nls\n",
		"unfinished command": "```sh\necho 'open\n```\n",
		"check first":        "```sh\n#> x\nls\n```\n",
		"dangling skip":      "<!-- doccheck: skip reason -->\n",
		"no language":        "```\nriskd decode --pcap x\n```\n",
	} {
		if _, err := Parse("x.md", []byte(md), ShellComplete); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	d, err := Parse("x.md", []byte("```sh\nls\n```\n"), ShellComplete)
	if err != nil {
		t.Fatal(err)
	}
	if d.Validate() == nil {
		t.Error("a doc with runnable blocks and no network directive validated")
	}
}

func TestPlaceholders_LongestFirst(t *testing.T) {
	p := Placeholders{"PORT_OF_bank-1": "1001", "API_PORT_OF_bank-1": "2001", "RPC_PORT": "1001", "OTHER_RPC_PORT": "1002"}
	got := p.Fill("rpc PORT_OF_bank-1 rest API_PORT_OF_bank-1 a RPC_PORT b OTHER_RPC_PORT")
	if want := "rpc 1001 rest 2001 a 1001 b 1002"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}

// runScript runs a doc without a network (network=none) through the same
// script Run writes, in a scratch directory.
func runScript(t *testing.T, md string) (string, error) {
	t.Helper()
	d, err := Parse("t.md", []byte(md), ShellComplete)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "s.sh")
	if err := os.WriteFile(path, []byte(Script(d, Placeholders{"PORT_OF_x": "42"}, []string{"export T=tn"})), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(context.Background(), "bash", path)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return out.String(), err
}

// The checker must fail a doc whose command fails, exits otherwise than
// said, or prints something else than said — and pass one that is right.
func TestScript_FailsBrokenWalkThroughs(t *testing.T) {
	const good = "<!-- doccheck: network=none -->\n```sh\n" +
		"greet() { echo \"hello $1 on $T\"; }\n" +
		"greet PORT_OF_x\n#> hello 42 on tn\n" +
		"cd /\npwd\n#> /\n" +
		"sh -c 'exit 7'\n#! exit 7\n" +
		"```\n"
	if out, err := runScript(t, good); err != nil || !strings.Contains(out, "DOCCHECK OK") {
		t.Fatalf("a correct walk-through failed: %v\n%s", err, out)
	}
	for name, md := range map[string]string{
		"failing command":   "```sh\nls /no/such/dir\necho after\n```\n",
		"wrong output":      "```sh\necho 41\n#> 42\n```\n",
		"wrong exit status": "```sh\nsh -c 'exit 3'\n#! exit 7\n```\n",
		"exit 0 expected 7": "```sh\ntrue\n#! exit 7\n```\n",
		"unset variable":    "```sh\necho $NOT_SET_ANYWHERE\n```\n",
		"failing pipeline":  "```sh\nfalse | cat\n```\n",
	} {
		out, err := runScript(t, "<!-- doccheck: network=none -->\n"+md)
		if err == nil || !strings.Contains(out, "DOCCHECK FAIL: t.md:3") {
			t.Errorf("%s: not refused at its line (err %v):\n%s", name, err, out)
		}
		if strings.Contains(out, "echo after") && strings.Contains(out, "\nafter\n") {
			t.Errorf("%s: went on after the failing command", name)
		}
	}
}
