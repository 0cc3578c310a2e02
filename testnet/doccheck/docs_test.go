package doccheck

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// repoDocs are the walk-throughs the checker runs: the README and every
// page under docs/.
func repoDocs(t *testing.T) (string, []*Doc) {
	t.Helper()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	names, err := filepath.Glob(filepath.Join(repo, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	names = append([]string{filepath.Join(repo, "README.md")}, names...)
	var docs []*Doc
	for _, path := range names {
		md, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(repo, path)
		d, err := Parse(rel, md, ShellComplete)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	return repo, docs
}

// Every doc with shell blocks says how it is checked, so a new block or
// page cannot slip past `make docs-check` unnoticed. This part runs in
// `make test`.
func TestDocs_SayHowTheyAreChecked(t *testing.T) {
	_, docs := repoDocs(t)
	for _, d := range docs {
		if err := d.Validate(); err != nil {
			t.Error(err)
		}
	}
}

// TestDocs_RunAsWritten runs every walk-through against its own fresh
// network. It needs the built binaries: `make docs-check` sets CUSTODY_BIN.
func TestDocs_RunAsWritten(t *testing.T) {
	bin := os.Getenv("CUSTODY_BIN")
	if bin == "" {
		t.Skip("set CUSTODY_BIN to a directory with custodyd, custodycli and riskd (make docs-check does)")
	}
	repo, docs := repoDocs(t)
	for _, d := range docs {
		if d.Off != "" || len(d.Blocks) == 0 {
			continue
		}
		t.Run(filepath.Base(d.Name), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			err := Run(ctx, d, Options{Repo: repo, Bin: bin, Work: t.TempDir(), Log: testWriter{t}})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// testWriter sends a script's output to the test log line by line.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
