package ledger_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/ledger"
)

// TestDocs_MessagesNameEveryCodeAndRoute keeps docs/messages.md from
// drifting: every registered error code appears in its table with its exact
// description, every route has its own section with its signer roles, and
// every query path is listed.
func TestDocs_MessagesNameEveryCodeAndRoute(t *testing.T) {
	bz, err := os.ReadFile("../../docs/messages.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(bz)
	registered := contracts.Registered()
	if len(registered) < 40 {
		t.Fatalf("only %d registered errors: is the registry wired?", len(registered))
	}
	for _, e := range registered {
		row := fmt.Sprintf("| %s | %d | %s |", e.Codespace, e.Code, e.Desc)
		if !strings.Contains(doc, row) {
			t.Errorf("docs/messages.md lacks the row %q", row)
		}
	}
	sections := strings.Split(doc, "\n### ")
	for _, rt := range ledger.NewRouter().Routes() {
		var section string
		for _, s := range sections {
			if strings.HasPrefix(s, rt.Name+"\n") {
				section = s
			}
		}
		if section == "" {
			t.Errorf("docs/messages.md has no section \"### %s\"", rt.Name)
			continue
		}
		for _, role := range rt.Roles {
			if !strings.Contains(section, "**"+role.String()+"**") {
				t.Errorf("section %s does not name signer role %s", rt.Name, role)
			}
		}
	}
	for _, p := range ledger.QueryPaths {
		if !strings.Contains(doc, "`"+p+"`") {
			t.Errorf("docs/messages.md does not list query path %s", p)
		}
	}
}
