package contracts_test

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The determinism lint (STYLE.md §4.1): the replicated path — contracts/
// and abci/ — must not start goroutines, select, range over maps, use
// floats, draw randomness, read the clock or touch the OS, network or
// locks. Every validator runs this code and must reach the same state byte
// for byte; these are the cheap-to-catch ways not to.
//
// The check is typed: `go list -export` gives the compiler's export data of
// every dependency (from the build cache), and go/types checks each package
// of contracts/ and abci/ against it, so "range over a map" and "a float"
// are decided by types, not by spelling.

// bannedImports may not be imported on the replicated path.
var bannedImports = map[string]string{
	"math/rand":    "randomness differs per node",
	"math/rand/v2": "randomness differs per node",
	"crypto/rand":  "randomness differs per node",
	"os":           "the environment and files differ per node",
	"net":          "the network differs per node",
	"net/http":     "the network differs per node",
	"sync":         "locks mean concurrency; execution is sequential",
	"sync/atomic":  "atomics mean concurrency; execution is sequential",
	"unsafe":       "pointer values differ per node",
}

// bannedTimeFuncs read the node's own clock.
var bannedTimeFuncs = []string{"Now", "Since", "Until", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker", "Sleep"}

// exempt lists packages under abci/ that are not on the replicated path,
// with the rules they may break and why. Keep it short and justified.
var exempt = map[string]struct {
	rules  []string
	reason string
}{
	"abci/snapshot": {[]string{"import os", "import sync", "go statement"},
		"state-sync snapshots written to the node's own disk in the background: not part of execution or the app hash"},
	"abci/internal/serial": {[]string{"import sync", "import sync/atomic"},
		"serializes the ABCI calls other than Query and hands the committed version to Query: adapter plumbing, not execution"},
	"abci/internal/telemetry": {[]string{"float", "time.Now"},
		"Prometheus metrics (floats and wall-clock durations) that never reach state or results"},
}

func TestLint_Determinism(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	exports := goListExports(t, root, "./contracts/...", "./abci/...")
	var dirs []string
	for _, top := range []string{"contracts", "abci"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	checked := 0
	for _, dir := range dirs {
		rel, _ := filepath.Rel(root, dir)
		rel = filepath.ToSlash(rel)
		for _, problem := range lintDir(t, dir, exports) {
			if ex, ok := exempt[rel]; ok && slices.Contains(ex.rules, problem.rule) {
				continue
			}
			t.Errorf("%s: %s (%s)", problem.pos, problem.rule, problem.why)
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("linted only %d directories: the walk is broken", checked)
	}
}

type problem struct {
	pos       token.Position
	rule, why string
}

func lintDir(t *testing.T, dir string, exports map[string]string) []problem {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{
		Importer: importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
			exp, ok := exports[path]
			if !ok || exp == "" {
				return nil, fmt.Errorf("no export data for %s", path)
			}
			return os.Open(exp)
		}),
		// A package that does not compile right now is still linted with
		// what could be typed; `go build` reports the compile error.
		Error: func(error) {},
	}
	conf.Check(files[0].Name.Name, fset, files, info)
	return lintFiles(fset, files, info)
}

func lintFiles(fset *token.FileSet, files []*ast.File, info *types.Info) []problem {
	var out []problem
	report := func(n ast.Node, rule, why string) {
		out = append(out, problem{fset.Position(n.Pos()), rule, why})
	}
	for _, f := range files {
		timeNames := map[string]bool{}
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			if why, ok := bannedImports[path]; ok {
				report(imp, "import "+path, why)
			}
			if path == "time" {
				name := "time"
				if imp.Name != nil {
					name = imp.Name.Name
				}
				timeNames[name] = true
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				report(n, "go statement", "scheduling order varies per node")
			case *ast.SelectStmt:
				report(n, "select", "which case runs varies per node")
			case *ast.RangeStmt:
				if tv, ok := info.Types[n.X]; ok && tv.Type != nil {
					if _, isMap := tv.Type.Underlying().(*types.Map); isMap {
						report(n, "range over map", "iteration order varies per run; range a sorted slice or a store range")
					}
				}
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok && timeNames[id.Name] && slices.Contains(bannedTimeFuncs, n.Sel.Name) {
					if obj, ok := info.Uses[id]; !ok || isPkg(obj, "time") {
						report(n, "time."+n.Sel.Name, "each node reads its own clock; use the block time")
					}
				}
			case ast.Expr:
				if tv, ok := info.Types[n]; ok && tv.Type != nil && isFloat(tv.Type) {
					report(n, "float", "float rounding differs by operation order; use integer fen")
					return false
				}
			}
			return true
		})
	}
	return out
}

func isPkg(obj types.Object, path string) bool {
	pn, ok := obj.(*types.PkgName)
	return ok && pn.Imported().Path() == path
}

// isFloat reports a typed float or complex (untyped constants such as 1e6
// converted to an integer type are fine).
func isFloat(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&(types.IsFloat|types.IsComplex) != 0 && b.Info()&types.IsUntyped == 0
}

// goListExports maps import paths to compiler export data files for every
// dependency of the patterns, building what the build cache lacks.
func goListExports(t *testing.T, root string, patterns ...string) map[string]string {
	t.Helper()
	args := append([]string{"list", "-e", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		path, exp, _ := strings.Cut(sc.Text(), "\t")
		m[path] = exp
	}
	return m
}

// TestLint_CatchesViolations runs the lint over a file that breaks every
// rule, so the lint itself cannot silently pass everything.
func TestLint_CatchesViolations(t *testing.T) {
	src := `package bad

import (
	"math/rand"
	"os"
	"sync"
	"time"
)

var mu sync.Mutex

func f(m map[string]int) float64 {
	go func() {}()
	select {}
	for k := range m {
		_ = k
	}
	_ = time.Now()
	_ = os.Args
	return float64(rand.Int())
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "bad.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil), Error: func(error) {}}
	conf.Check("bad", fset, []*ast.File{f}, info)
	got := map[string]bool{}
	for _, p := range lintFiles(fset, []*ast.File{f}, info) {
		got[p.rule] = true
	}
	for _, want := range []string{"import math/rand", "import os", "import sync", "go statement", "select", "range over map", "time.Now", "float"} {
		if !got[want] {
			t.Errorf("lint missed %q (found %v)", want, got)
		}
	}
}
