// Package proc starts the local testnet's child processes (nodes, the
// risk core) so that they end with the process that started them, however
// it ends: a clean exit, a panic, an os.Exit, a SIGKILL or an OOM kill.
// A developer who kills `custodynet testnet start` or `custodynet demo` must
// not find four nodes and a risk core still holding the ports and the
// data directories.
//
// On Linux the child is started with the parent-death signal
// (prctl PR_SET_PDEATHSIG, syscall.SysProcAttr.Pdeathsig) set to SIGKILL.
// The kernel sends it when the *thread* that forked the child exits, not
// the process: a Go program's goroutine can fork from a thread the runtime
// later retires, which would kill a healthy child early. So every child is
// started from one goroutine that locks its OS thread and never returns:
// that thread lives exactly as long as the process. SIGKILL rather than
// SIGTERM because the signal is for when the parent could not stop its
// children cleanly, and the nodes and riskd survive a kill (their stores
// are crash-safe: docs/operations.md, "Failures"); a clean stop is the
// parent's job while it is alive (Launcher.StopAll).
//
// Elsewhere there is no such signal; the launcher's run lock
// (testnet.RunLock) then reports children left behind by a dead parent
// when the directory is next started.
package proc

import "os/exec"

// Start starts cmd like cmd.Start, in a process group of its own (so a
// Ctrl-C at the terminal reaches the parent only, which then stops the
// children in order) and, where the platform allows, bound to die with
// this process. cmd.SysProcAttr may be nil; fields already set in it are
// kept.
func Start(cmd *exec.Cmd) error {
	return start(cmd)
}

// BoundToParent says whether children started by Start die with this
// process on this platform.
const BoundToParent = boundToParent
