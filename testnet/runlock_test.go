package testnet

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestRunLock_SecondLauncherIsTold(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	l, err := LockDir(dir, "custodynet testnet start")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add("bank-1", 4242); err != nil {
		t.Fatal(err)
	}
	if err := l.Add("broker-1", 4243); err != nil {
		t.Fatal(err)
	}
	if err := l.Remove(4243); err != nil {
		t.Fatal(err)
	}
	st, err := readRunState(l.Dir())
	if err != nil || st.PID != os.Getpid() || len(st.Children) != 1 || st.Children[0] != (RunChild{"bank-1", 4242}) {
		t.Fatalf("record %+v, %v", st, err)
	}

	_, err = LockDir(dir, "custodynet demo")
	var inUse *DirInUseError
	if !errors.As(err, &inUse) || !errors.Is(err, ErrDirInUse) || !inUse.Running || inUse.State.PID != os.Getpid() ||
		inUse.State.Command != "custodynet testnet start" {
		t.Fatalf("second LockDir: %v", err)
	}
	for _, want := range []string{"in use by \"custodynet testnet start\"", "kill " + itoa(os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %v", want, err)
		}
	}

	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, RunPIDsFile)); !os.IsNotExist(err) {
		t.Fatalf("record after Release: %v", err)
	}
	l2, err := LockDir(dir, "custodynet demo")
	if err != nil {
		t.Fatalf("LockDir after Release: %v", err)
	}
	if err := l2.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l2.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
}

// TestRunLock_LeftoversOfADeadLauncher: the lock dies with its launcher,
// but children still running from the record are named, until they exit.
func TestRunLock_LeftoversOfADeadLauncher(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	l, err := LockDir(dir, "custodynet demo")
	if err != nil {
		t.Fatal(err)
	}
	// A child whose command line names the directory, as a node's --home does.
	child := exec.Command("sh", "-c", "sleep 300; :", filepath.Join(l.Dir(), "bank-1"))
	if err := child.Start(); err != nil {
		t.Skipf("no sh: %v", err)
	}
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	if err := l.Add("bank-1", child.Process.Pid); err != nil {
		t.Fatal(err)
	}
	// A recorded pid since reused by a process of another directory does
	// not count: our own pid stands for one.
	if err := l.Add("broker-1", os.Getpid()); err != nil {
		t.Fatal(err)
	}
	// The launcher dies: its flock goes, its record stays.
	if err := l.f.Close(); err != nil {
		t.Fatal(err)
	}

	_, err = LockDir(dir, "custodynet demo")
	var inUse *DirInUseError
	if !errors.As(err, &inUse) || inUse.Running || len(inUse.Children) != 1 || inUse.Children[0].Name != "bank-1" {
		t.Fatalf("after the launcher died: %v", err)
	}
	if !strings.Contains(err.Error(), "is gone") || !strings.Contains(err.Error(), "kill "+itoa(child.Process.Pid)) {
		t.Fatalf("message: %v", err)
	}

	_ = child.Process.Signal(syscall.SIGKILL)
	_ = child.Wait()
	l2, err := LockDir(dir, "custodynet demo")
	if err != nil {
		t.Fatalf("once the leftover exited: %v", err)
	}
	if st, err := readRunState(l2.Dir()); err != nil || st.Command != "custodynet demo" || len(st.Children) != 0 {
		t.Fatalf("fresh record %+v %v", st, err)
	}
	if err := l2.Release(); err != nil {
		t.Fatal(err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
