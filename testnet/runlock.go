package testnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// RunLock marks a directory as in use by one launcher (`custodynet testnet
// start`, `custodynet demo`) for as long as that process lives, and lists
// the processes it started, so that a second launcher in the same
// directory says what is running there instead of failing on busy ports
// or, worse, replacing the files under running nodes.
//
// Two files in the directory: RunLockFile, on which the launcher holds an
// exclusive flock (the kernel drops it when the process dies, however it
// dies, so a stale lock cannot exist), and RunPIDsFile, a JSON record of
// the launcher's pid and each child's name and pid, rewritten as children
// start and exit. The record outlives a killed launcher; LockDir uses it
// to name children that survived their parent (possible only where the
// parent-death signal does not exist: see testnet/internal/proc).
type RunLock struct {
	dir string
	f   *os.File

	mu    sync.Mutex
	state RunState // guarded by mu
}

// Files of a RunLock, in the locked directory.
const (
	RunLockFile = ".launcher.lock"
	RunPIDsFile = "launcher.pids.json"
)

// RunState is what RunPIDsFile records.
type RunState struct {
	// PID is the launcher's, Command what it runs ("custodynet demo").
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Started time.Time `json:"started"`
	// Children are the processes it started and that have not exited,
	// in start order.
	Children []RunChild `json:"children"`
}

// RunChild is one child process of a launcher.
type RunChild struct {
	// Name is the node's name, or "riskd" for the risk core.
	Name string `json:"name"`
	PID  int    `json:"pid"`
}

// ErrDirInUse is wrapped by LockDir's *DirInUseError.
var ErrDirInUse = errors.New("testnet: directory in use")

// DirInUseError is LockDir's answer when the directory is taken: by a
// live launcher (Running), or by children a dead launcher left behind
// (Running false, Children the survivors).
type DirInUseError struct {
	Dir     string
	Running bool
	State   RunState
	// Children are the recorded children still alive.
	Children []RunChild
}

func (e *DirInUseError) Error() string {
	var b strings.Builder
	if e.Running {
		fmt.Fprintf(&b, "testnet: %s is in use by %q, pid %d, started %s", e.Dir, e.State.Command, e.State.PID,
			e.State.Started.Local().Format(time.DateTime))
	} else {
		fmt.Fprintf(&b, "testnet: %s: %q (pid %d) is gone, but processes it started are still running", e.Dir, e.State.Command, e.State.PID)
	}
	if len(e.Children) > 0 {
		b.WriteString("; its processes:")
		for _, c := range e.Children {
			fmt.Fprintf(&b, " %s (pid %d)", c.Name, c.PID)
		}
	}
	if e.Running {
		fmt.Fprintf(&b, ". Stop it with Ctrl-C in its terminal or `kill %d`", e.State.PID)
	} else {
		pids := make([]string, len(e.Children))
		for i, c := range e.Children {
			pids[i] = fmt.Sprint(c.PID)
		}
		fmt.Fprintf(&b, ". Stop them with `kill %s`", strings.Join(pids, " "))
	}
	return b.String()
}

func (e *DirInUseError) Unwrap() error { return ErrDirInUse }

// LockDir takes dir (creating it) for command, the launcher about to run
// there. It fails with a *DirInUseError when another live launcher holds
// it, or when processes recorded by an earlier launcher are still alive.
// Release gives it back; the process's death does too.
func LockDir(dir, command string) (*RunLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(abs, RunLockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("testnet: lock %s: %w", abs, err)
		}
		st, _ := readRunState(abs)
		return nil, &DirInUseError{Dir: abs, Running: true, State: st, Children: liveChildren(abs, st)}
	}
	// Ours now. A record left by a launcher that died: are its children
	// still there?
	if st, err := readRunState(abs); err == nil {
		if alive := liveChildren(abs, st); len(alive) > 0 {
			_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			f.Close()
			return nil, &DirInUseError{Dir: abs, State: st, Children: alive}
		}
	}
	l := &RunLock{dir: abs, f: f, state: RunState{PID: os.Getpid(), Command: command, Started: time.Now().UTC()}}
	if err := l.saveLocked(); err != nil {
		l.Release()
		return nil, err
	}
	return l, nil
}

// Dir is the locked directory (absolute).
func (l *RunLock) Dir() string { return l.dir }

// Add records a child the launcher started.
func (l *RunLock) Add(name string, pid int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state.Children = append(l.state.Children, RunChild{Name: name, PID: pid})
	return l.saveLocked()
}

// Remove forgets a child that exited.
func (l *RunLock) Remove(pid int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state.Children = slices.DeleteFunc(l.state.Children, func(c RunChild) bool { return c.PID == pid })
	return l.saveLocked()
}

// Release deletes the record and drops the lock. The launcher calls it
// after its children have stopped.
func (l *RunLock) Release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := os.Remove(filepath.Join(l.dir, RunPIDsFile))
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	// Unlocking and closing: whoever waits next finds no record.
	err = errors.Join(err, syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN), l.f.Close())
	l.f = nil
	if err != nil {
		return fmt.Errorf("testnet: release %s: %w", l.dir, err)
	}
	return nil
}

// saveLocked writes the record atomically (rename). l.mu is held.
func (l *RunLock) saveLocked() error {
	bz, err := json.MarshalIndent(l.state, "", "  ")
	if err != nil {
		return fmt.Errorf("testnet: %w", err)
	}
	tmp := filepath.Join(l.dir, RunPIDsFile+".tmp")
	if err := os.WriteFile(tmp, append(bz, '\n'), 0o600); err != nil {
		return fmt.Errorf("testnet: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(l.dir, RunPIDsFile)); err != nil {
		return fmt.Errorf("testnet: %w", err)
	}
	return nil
}

func readRunState(dir string) (RunState, error) {
	var st RunState
	bz, err := os.ReadFile(filepath.Join(dir, RunPIDsFile))
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(bz, &st); err != nil {
		return st, fmt.Errorf("testnet: %s: %w", RunPIDsFile, err)
	}
	return st, nil
}

// liveChildren returns the recorded children that are still running and,
// where the process table can be read (Linux), still this directory's: a
// pid reused by an unrelated process since does not count.
func liveChildren(dir string, st RunState) []RunChild {
	var out []RunChild
	for _, c := range st.Children {
		if c.PID > 0 && processOf(c.PID, dir) {
			out = append(out, c)
		}
	}
	return out
}

// processOf says whether pid runs and, on Linux, whether its command line
// names dir (every child's does: --home DIR/..., --config DIR/...).
func processOf(pid int, dir string) bool {
	if runtime.GOOS != "linux" {
		return syscall.Kill(pid, 0) == nil
	}
	bz, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(bz) == 0 { // gone, or a zombie (empty cmdline)
		return false
	}
	return strings.Contains(string(bz), dir)
}
