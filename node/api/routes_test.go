package api

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/node/api/console"
)

// newTestServer builds a server whose chain is never reached: enough to
// list routes and to exercise what happens before authentication.
func newTestServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg, Deps{Chain: client.New(nil, "test-chain", client.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var ginParam = regexp.MustCompile(`:([a-z_]+)`)

// registered lists the engine's routes as "METHOD /path/{param}".
func registered(s *Server) []string {
	var out []string
	for _, r := range s.engine.Routes() {
		if r.Path == "/ui" || strings.HasPrefix(r.Path, console.Prefix) {
			continue // the console's static pages (package console), not the API
		}
		out = append(out, r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}"))
	}
	slices.Sort(out)
	return out
}

type openAPIDocument struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

// documented lists openapi.json's operations as "METHOD /path/{param}".
func documented(t *testing.T) []string {
	t.Helper()
	var doc openAPIDocument
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json is OpenAPI %q, want 3.x", doc.OpenAPI)
	}
	var out []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// TestRoutesMatchOpenAPI: no undocumented route, no documented route
// missing.
func TestRoutesMatchOpenAPI(t *testing.T) {
	s := newTestServer(t, DefaultConfig())
	got, want := registered(s), documented(t)
	for _, r := range got {
		if !slices.Contains(want, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, r := range want {
		if !slices.Contains(got, r) {
			t.Errorf("openapi.json documents %s, which is not a route", r)
		}
	}
}

// TestOpenAPIReferences: every $ref points at a component that exists,
// and every path parameter of a route is declared.
func TestOpenAPIReferences(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	components := doc["components"].(map[string]any)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
				group, _ := components[parts[0]].(map[string]any)
				if len(parts) != 2 || group == nil || group[parts[1]] == nil {
					t.Errorf("dangling $ref %s", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)

	params := components["parameters"].(map[string]any)
	for path, ops := range doc["paths"].(map[string]any) {
		for method, op := range ops.(map[string]any) {
			declared := map[string]bool{}
			list, _ := op.(map[string]any)["parameters"].([]any)
			for _, p := range list {
				pm := p.(map[string]any)
				if ref, ok := pm["$ref"].(string); ok {
					pm = params[strings.TrimPrefix(ref, "#/components/parameters/")].(map[string]any)
				}
				if pm["in"] == "path" {
					declared[pm["name"].(string)] = true
				}
			}
			for _, m := range regexp.MustCompile(`\{([a-z_]+)\}`).FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s %s: path parameter %q is not declared", method, path, m[1])
				}
			}
			if _, ok := op.(map[string]any)["responses"]; !ok {
				t.Errorf("%s %s has no responses", method, path)
			}
		}
	}
}

// TestDocsCoverAPI: docs/api.md names every route and every api/<n> code.
func TestDocsCoverAPI(t *testing.T) {
	bz, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(bz)
	for _, r := range documented(t) {
		if !strings.Contains(doc, r) {
			t.Errorf("docs/api.md does not mention %q", r)
		}
	}
	for _, e := range apiErrors {
		if code := fmt.Sprintf("`api/%d`", e.Code); !strings.Contains(doc, code) {
			t.Errorf("docs/api.md does not list %s (%s)", code, e.Title)
		}
	}
}
