package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custody-ledger/custody/internal/version"
)

func TestVersionCmd(t *testing.T) {
	var out, errb bytes.Buffer
	root := newRootCmd(&out, &errb)
	root.SetArgs([]string{"version", "-o", "json"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	var info version.Info
	if err := json.Unmarshal(out.Bytes(), &info); err != nil || info.Binary != "riskd" || info.Version == "" {
		t.Fatalf("%q: %v", out.String(), err)
	}
}

// TestVersion_BuiltBinary builds riskd as a user would and reads back what
// it says: without flags the commit comes from the go command's VCS stamp
// and the version from the module; the Makefile's -ldflags version wins.
func TestVersion_BuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds riskd twice")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatal(err)
	}
	// The go command stamps a build only when the checkout's .git is a
	// directory: not in a `git worktree` (whose .git is a file).
	fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git"))
	stamps := err == nil && fi.IsDir()
	dir := t.TempDir()
	build := func(name string, flags ...string) version.Info {
		t.Helper()
		bin := filepath.Join(dir, name)
		// -buildvcs=true as a user's default (auto) would, whatever GOFLAGS says.
		args := append(append([]string{"build", "-buildvcs=true", "-o", bin}, flags...), ".")
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
		out, err := exec.Command(bin, "version", "--output", "json").Output()
		if err != nil {
			t.Fatalf("%s version: %v", name, err)
		}
		var info version.Info
		if err := json.Unmarshal(out, &info); err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		return info
	}
	plain := build("riskd-plain")
	switch {
	case !stamps:
		t.Logf("a git worktree: the go command records no commit, so only the -ldflags version is checked")
		if plain.Commit != "" || plain.Version != "dev" {
			t.Fatalf("an unstamped build: %+v", plain)
		}
	case plain.Commit != strings.TrimSpace(string(head)):
		t.Fatalf("commit %q, want HEAD %s", plain.Commit, head)
	case plain.Version == "" || plain.Version == "dev" || plain.CommitTime == "":
		// The go command records a pseudo-version of the commit for a
		// build in a checkout.
		t.Fatalf("version from the build info: %+v", plain)
	}
	// The Makefile's flags: its version wins; its commit stands in only
	// where the go command recorded none.
	want := strings.TrimSpace(string(head))
	linked := build("riskd-linked", "-ldflags", "-X github.com/custody-ledger/custody/internal/version.Version=v9.8.7-test "+
		"-X github.com/custody-ledger/custody/internal/version.Commit="+want)
	if linked.Version != "v9.8.7-test" || linked.Commit != want {
		t.Fatalf("with -ldflags: %+v", linked)
	}
}
