package netns

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// testName is unique per test process, so concurrent runs do not meet.
func testName() string { return fmt.Sprintf("t%d", os.Getpid()%100000) }

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{Name: "", Hosts: 2}, {Name: "toolongname", Hosts: 2}, {Name: "Bad", Hosts: 2},
		{Name: "ok", Hosts: 0}, {Name: "ok", Hosts: 2, Subnet: netip.MustParsePrefix("8.8.8.0/24")},
		{Name: "ok", Hosts: 2, Subnet: netip.MustParsePrefix("10.1.0.0/16")},
	} {
		if err := c.validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	c := Config{Name: "ok", Hosts: 2}
	if err := c.validate(); err != nil || c.addr(1).String() != "10.213.0.1" {
		t.Fatalf("default subnet: %v %s", err, c.addr(1))
	}
}

// The helper process: run by TestNamespacesTalkTCP inside a namespace, it
// either serves one line on NETNS_LISTEN or dials NETNS_DIAL and prints
// what it read.
func TestHelperProcess(t *testing.T) {
	switch {
	case os.Getenv("NETNS_LISTEN") != "":
		ln, err := net.Listen("tcp", os.Getenv("NETNS_LISTEN"))
		if err != nil {
			fmt.Println("listen:", err)
			os.Exit(1)
		}
		fmt.Println("listening")
		for i := 0; i < 2; i++ {
			c, err := ln.Accept()
			if err != nil {
				os.Exit(1)
			}
			fmt.Fprintf(c, "hello from %s\n", os.Getenv("NETNS_NAME"))
			c.Close()
		}
		os.Exit(0)
	case os.Getenv("NETNS_DIAL") != "":
		line, err := readLine(os.Getenv("NETNS_DIAL"))
		if err != nil {
			fmt.Println("dial:", err)
			os.Exit(1)
		}
		fmt.Print(line)
		os.Exit(0)
	}
}

func readLine(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	return bufio.NewReader(c).ReadString('\n')
}

// Two namespaces talk TCP at their own addresses, and the root namespace
// reaches them over the bridge; with host 1's link down nobody reaches it.
func TestNamespacesTalkTCP(t *testing.T) {
	if err := Check(); err != nil {
		t.Skipf("%v", err)
	}
	n, err := Create(Config{Name: testName(), Hosts: 2, Subnet: netip.MustParsePrefix("10.214.0.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	hs := n.Hosts()
	addr := net.JoinHostPort(hs[0].Addr.String(), "7001")
	srv := hs[0].Command(os.Args[0], "-test.run=^TestHelperProcess$")
	srv.Env = append(os.Environ(), "NETNS_LISTEN="+addr, "NETNS_NAME="+hs[0].Namespace)
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "listening\n" {
		t.Fatalf("listener: %q", line)
	}
	// From host 2's namespace.
	dial := hs[1].Command(os.Args[0], "-test.run=^TestHelperProcess$")
	dial.Env = append(os.Environ(), "NETNS_DIAL="+addr)
	got, err := dial.Output()
	if err != nil || !strings.HasPrefix(string(got), "hello from "+hs[0].Namespace) {
		t.Fatalf("host 2 → host 1: %v %q", err, got)
	}
	// From the root namespace, over the bridge.
	if line, err := readLine(addr); err != nil || !strings.HasPrefix(line, "hello from") {
		t.Fatalf("root → host 1: %v %q", err, line)
	}
	// Cut host 1 off: nobody reaches it.
	if err := n.SetLink(0, false); err != nil {
		t.Fatal(err)
	}
	if _, err := readLine(addr); err == nil {
		t.Fatal("host 1 reachable with its link down")
	}
}
