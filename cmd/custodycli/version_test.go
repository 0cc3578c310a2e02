package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	out, stderr, code := run(t, "", nil, "version")
	if code != 0 || !strings.HasPrefix(out, "custodycli ") || !strings.Contains(out, "\ncommit ") || !strings.Contains(out, runtime.Version()) {
		t.Fatalf("version: %d %q %s", code, out, stderr)
	}
	out, stderr, code = run(t, "", nil, "version", "-o", "json")
	var info struct {
		Binary, Version, Go, CometBFT string
	}
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil || info.Binary != "custodycli" || info.Version == "" || info.Go == "" || info.CometBFT == "" {
		t.Fatalf("version -o json: %d %q %s", code, out, stderr)
	}
}
