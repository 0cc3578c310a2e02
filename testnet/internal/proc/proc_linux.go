package proc

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

const boundToParent = true

// startReq is one cmd.Start to run on the forking thread.
type startReq struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	forkerOnce sync.Once
	forkReqs   chan startReq
)

// forker runs every child's fork on one locked OS thread that lives as
// long as the process (it never unlocks and never returns), so that the
// parent-death signal fires only when the process dies.
func forker() {
	runtime.LockOSThread()
	for req := range forkReqs {
		req.done <- req.cmd.Start()
	}
}

func start(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	forkerOnce.Do(func() {
		forkReqs = make(chan startReq)
		go forker()
	})
	req := startReq{cmd: cmd, done: make(chan error, 1)}
	forkReqs <- req
	return <-req.done
}
