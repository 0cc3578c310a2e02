package testnet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A multi-host network: each node listens on every interface, advertises
// its host, dials its peers at their hosts, and takes the standard ports
// (offset on a shared host).
func TestGenerateWithHosts(t *testing.T) {
	m := DefaultManifest()
	m.Hosts = []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}
	tn, err := Generate(t.TempDir(), m, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tn.Nodes) != 4 {
		t.Fatalf("%d nodes", len(tn.Nodes))
	}
	// Four nodes on three hosts: the fourth shares the first host, 10 ports up.
	first, fourth := tn.Nodes[0], tn.Nodes[3]
	if first.Host != "10.0.0.1" || fourth.Host != "10.0.0.1" || first.P2PPort != StdP2PPort || fourth.P2PPort != StdP2PPort+10 {
		t.Fatalf("placement %+v %+v", first, fourth)
	}
	if got := tn.Nodes[1].RPCURL(); got != "http://10.0.0.2:26657" {
		t.Fatalf("RPCURL %s", got)
	}
	cfg, err := os.ReadFile(filepath.Join(tn.Home(tn.Nodes[1]), "config", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`laddr = "tcp://0.0.0.0:26656"`, `laddr = "tcp://0.0.0.0:26657"`,
		`external_address = "10.0.0.2:26656"`,
		string(tn.Nodes[0].NodeID) + "@10.0.0.1:26656", string(tn.Nodes[3].NodeID) + "@10.0.0.1:26666",
		`prometheus_listen_addr = "0.0.0.0:26660"`,
	} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("config.toml lacks %s", want)
		}
	}
	app, err := os.ReadFile(filepath.Join(tn.Home(tn.Nodes[1]), "config", "app.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(app), `"tcp://0.0.0.0:1317"`) {
		t.Errorf("app.toml's API address: %s", app)
	}

	bad := DefaultManifest()
	bad.Hosts = []string{"10.0.0.1:80"}
	if err := bad.Validate(); err == nil {
		t.Fatal("a host with a port was accepted")
	}
}
