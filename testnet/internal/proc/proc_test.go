package proc

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary plays three roles, chosen by PROC_TEST_ROLE: the test
// itself, a parent that starts children with Start, and a child that
// just lives.
const roleEnv = "PROC_TEST_ROLE"

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "parent":
		parentMain()
	case "child":
		time.Sleep(time.Hour) // until killed
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// parentMain starts two children, from two goroutines, prints their pids
// and waits to be killed.
func parentMain() {
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), roleEnv+"=child")
		return cmd
	}
	pids := make(chan int, 2)
	for range 2 {
		go func() {
			cmd := child()
			if err := Start(cmd); err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			pids <- cmd.Process.Pid
		}()
	}
	for range 2 {
		fmt.Println("child", <-pids)
	}
	fmt.Println("ready")
	time.Sleep(time.Hour)
	os.Exit(0)
}

// alive says whether pid is a running process (a zombie, dead but not yet
// reaped by whoever adopted it, counts as gone).
func alive(pid int) bool {
	if runtime.GOOS == "linux" {
		bz, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		// pid (comm) STATE ...; comm may hold spaces, so cut at the last ')'.
		s := string(bz)
		if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
			return s[i+2] != 'Z' && s[i+2] != 'X'
		}
		return true
	}
	return syscall.Kill(pid, 0) == nil
}

// TestChildrenDieWithKilledParent: SIGKILL the parent, and the children
// it started exit too.
func TestChildrenDieWithKilledParent(t *testing.T) {
	if !BoundToParent {
		t.Skip("no parent-death signal on " + runtime.GOOS)
	}
	parent := exec.Command(os.Args[0], "-test.run=^$")
	parent.Env = append(os.Environ(), roleEnv+"=parent")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	parent.Stderr = os.Stderr
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	var children []int
	t.Cleanup(func() {
		for _, p := range children {
			_ = syscall.Kill(p, syscall.SIGKILL) // only if the test failed
		}
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if line == "ready" {
			break
		}
		if p, ok := strings.CutPrefix(line, "child "); ok {
			pid, err := strconv.Atoi(p)
			if err != nil {
				t.Fatal(line)
			}
			children = append(children, pid)
			continue
		}
		t.Fatalf("parent: %s", line)
	}
	if len(children) != 2 {
		t.Fatalf("parent started %v", children)
	}
	// While the parent lives, so do its children.
	for _, p := range children {
		if !alive(p) {
			t.Fatalf("child %d died while its parent lives", p)
		}
	}

	if err := parent.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = parent.Wait()
	// The kernel delivers the signal as part of the parent's exit; allow
	// a slow machine time to schedule the children's deaths.
	deadline := time.Now().Add(30 * time.Second)
	for _, p := range children {
		for alive(p) {
			if time.Now().After(deadline) {
				t.Fatalf("child %d outlived its SIGKILLed parent", p)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestStartKeepsSysProcAttr: fields the caller set survive, and the child
// gets its own process group.
func TestStartKeepsSysProcAttr(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), roleEnv+"=child")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: false, Foreground: false}
	if err := Start(cmd); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pgid, err := syscall.Getpgid(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if pgid != cmd.Process.Pid {
		t.Fatalf("child's process group %d, want its own (%d)", pgid, cmd.Process.Pid)
	}
	if !cmd.SysProcAttr.Setpgid {
		t.Fatal("Setpgid not set")
	}
}
