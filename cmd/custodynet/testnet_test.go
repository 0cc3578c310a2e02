package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/custody-ledger/custody/testnet"
)

// TestTestnetStart_KilledLauncherLeavesNoNodes runs the real thing: a
// built custodynet and custodyd, `testnet start` on a four-node network, a second start
// in the same directory (refused, naming each node's pid), then a SIGKILL
// of the launcher, after which no node may remain.
func TestTestnetStart_KilledLauncherLeavesNoNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds custodynet and custodyd and runs four node processes")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "custodynet")
	// custodynet finds the custodyd next to it.
	for pkg, out := range map[string]string{".": bin, "../custodyd": filepath.Join(tmp, "custodyd")} {
		if msg, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, msg)
		}
	}
	dir := filepath.Join(tmp, "net")
	if out, err := exec.Command(bin, "testnet", "init", "--dir", dir).CombinedOutput(); err != nil {
		t.Fatalf("testnet init: %v\n%s", err, out)
	}

	launcher := exec.Command(bin, "testnet", "start", "--dir", dir)
	stdout, err := launcher.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	launcher.Stderr = &stderr
	if err := launcher.Start(); err != nil {
		t.Fatal(err)
	}
	var nodes []testnet.RunChild
	t.Cleanup(func() {
		// Only if the test failed half-way: no process outlives it.
		_ = launcher.Process.Kill()
		for _, c := range nodes {
			_ = syscall.Kill(c.PID, syscall.SIGKILL)
		}
	})
	running := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "running;") {
				running <- nil
				for sc.Scan() { // drain
				}
				return
			}
		}
		running <- fmt.Errorf("testnet start ended before running: %s", stderr.String())
	}()
	select {
	case err := <-running:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(4 * time.Minute):
		t.Fatalf("testnet start did not come up; stderr: %s", stderr.String())
	}

	bz, err := os.ReadFile(filepath.Join(dir, testnet.RunPIDsFile))
	if err != nil {
		t.Fatal(err)
	}
	var st testnet.RunState
	if err := json.Unmarshal(bz, &st); err != nil {
		t.Fatal(err)
	}
	nodes = st.Children
	if st.PID != launcher.Process.Pid || len(nodes) != 4 {
		t.Fatalf("record %+v, launcher pid %d", st, launcher.Process.Pid)
	}
	for _, c := range nodes {
		if !alive(c.PID) {
			t.Fatalf("node %s (pid %d) is not running", c.Name, c.PID)
		}
	}

	// A second start says what runs there.
	out, err := exec.Command(bin, "testnet", "start", "--dir", dir).CombinedOutput()
	if err == nil {
		t.Fatalf("a second testnet start succeeded: %s", out)
	}
	for _, c := range nodes {
		if want := fmt.Sprintf("%s (pid %d)", c.Name, c.PID); !strings.Contains(string(out), want) {
			t.Errorf("second start does not name %s: %s", want, out)
		}
	}
	if !strings.Contains(string(out), fmt.Sprintf("pid %d", launcher.Process.Pid)) {
		t.Errorf("second start does not name the launcher: %s", out)
	}

	// Kill the launcher as a crash or an OOM kill would: no clean stop.
	if err := launcher.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = launcher.Wait()
	deadline := time.Now().Add(time.Minute)
	for _, c := range nodes {
		for alive(c.PID) {
			if time.Now().After(deadline) {
				t.Fatalf("node %s (pid %d) outlived its SIGKILLed launcher", c.Name, c.PID)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// alive says whether pid is a live process (not a zombie).
func alive(pid int) bool {
	bz, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(bz)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z' && s[i+2] != 'X'
	}
	return true
}
