package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	exec := func(args ...string) (string, error) {
		var out bytes.Buffer
		root := newRootCmd()
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(args)
		err := root.Execute()
		return out.String(), err
	}
	out, err := exec("version")
	if err != nil || !strings.HasPrefix(out, "custodynet ") || !strings.Contains(out, "\ncometbft ") {
		t.Fatalf("version: %q %v", out, err)
	}
	out, err = exec("version", "--output", "json")
	var info struct{ Binary, Version, Commit, Go, Platform, CometBFT string }
	if err != nil || json.Unmarshal([]byte(out), &info) != nil || info.Binary != "custodynet" || info.Version == "" || info.Platform == "" {
		t.Fatalf("version --output json: %q %v", out, err)
	}
	var ue *usageError
	if _, err := exec("version", "-o", "yaml"); !errors.As(err, &ue) {
		t.Fatalf("-o yaml: %v, want a usage error", err)
	}
}
