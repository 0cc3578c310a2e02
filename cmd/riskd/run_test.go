package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunCmd_RefusesBadConfigs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run"}, `"config" not set`},
		{[]string{"run", "--config", filepath.Join(dir, "none.toml")}, "no such file"},
		{[]string{"run", "--config", write("typo.toml", "[capture]\nifac = \"lo\"\n")}, "capture.ifac"},
		{[]string{"run", "--config", write("both.toml", "[capture]\niface = \"lo\"\npcap = \"x.pcap\"\nszse = [\"127.0.0.1:1\"]\n")}, "capture.pcap"},
		{[]string{"run", "--config", write("noeps.toml", "[capture]\niface = \"lo\"\n")}, "capture.szse"},
		{[]string{"run", "--config", write("trust.toml", "[chain]\ntrust_height = 5\n")}, "chain.trust_hash"},
		{[]string{"start", "--config", write("backend.toml", "[chain]\nkeyring_backend = \"plain\"\n")}, "chain.keyring_backend"},
	} {
		var out, errb bytes.Buffer
		root := newRootCmd(&out, &errb)
		root.SetArgs(tc.args)
		err := root.Execute()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error naming %s", tc.args, err, tc.want)
		}
	}
}
