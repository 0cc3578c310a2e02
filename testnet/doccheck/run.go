package doccheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/custody-ledger/custody/testnet"
)

// Binaries the walk-throughs call as build/NAME.
var Binaries = []string{"custodyd", "custodynet", "custodycli", "riskd"}

// Options says where the checker finds things.
type Options struct {
	// Repo is the repository root (the docs and the source folders).
	Repo string
	// Bin is a directory holding the built Binaries.
	Bin string
	// Work is an empty scratch directory for this doc.
	Work string
	// Log receives the script's output and the network's progress.
	Log io.Writer
}

// Run executes one doc: it lays out Work like the repository, starts the
// network the doc asks for (a fresh one, so each walk-through stands
// alone), runs the script and stops the network. The error names the doc
// line of the first command that failed its checks.
func Run(ctx context.Context, d *Doc, opt Options) error {
	if d.Off != "" || len(d.Blocks) == 0 {
		return nil
	}
	if err := d.Validate(); err != nil {
		return err
	}
	if err := layout(opt); err != nil {
		return err
	}
	ph := Placeholders{}
	env := []string{"export T=build/testnet"}
	if d.Network == "testnet" {
		net, stop, err := startTestnet(ctx, d, opt)
		if err != nil {
			return err
		}
		defer stop()
		for i, n := range net.Nodes {
			ph["API_PORT_OF_"+n.Name] = strconv.Itoa(n.APIPort)
			ph["PORT_OF_"+n.Name] = strconv.Itoa(n.RPCPort)
			env = append(env,
				fmt.Sprintf("export N%d=%s", i, ShellQuote(n.RPCURL())),
				fmt.Sprintf("export A%d=%s", i, ShellQuote("http://127.0.0.1:"+strconv.Itoa(n.APIPort))))
		}
		if len(net.Nodes) > 1 {
			ph["OTHER_RPC_PORT"] = strconv.Itoa(net.Nodes[1].RPCPort)
		}
		ph["RPC_PORT"] = strconv.Itoa(net.Nodes[0].RPCPort)
	}
	script := Script(d, ph, env)
	if err := os.WriteFile(filepath.Join(opt.Work, "doccheck.sh"), []byte(script), 0o644); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "bash", "doccheck.sh")
	cmd.Dir = opt.Work
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "HOME="+filepath.Join(opt.Work, "home"))
	cmd.Stdout, cmd.Stderr = opt.Log, opt.Log
	// The script runs in a process group of its own, so whatever a doc
	// starts in the background (nodes of a rehearsal) is stopped when the
	// script ends, however it ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil {
		return fmt.Errorf("%s: the walk-through failed (%v); its commands and output are above, the failing one is the last \"DOCCHECK FAIL\"", d.Name, err)
	}
	return nil
}

// layout makes Work look like a checkout: each top-level entry of the
// repository linked in (but build/ and .git), and build/ holding links to
// the binaries under test.
func layout(opt Options) error {
	entries, err := os.ReadDir(opt.Repo)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == "build" || e.Name() == ".git" {
			continue
		}
		if err := os.Symlink(filepath.Join(opt.Repo, e.Name()), filepath.Join(opt.Work, e.Name())); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(opt.Work, "build"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(opt.Work, "home"), 0o700); err != nil {
		return err
	}
	for _, b := range Binaries {
		src := filepath.Join(opt.Bin, b)
		if _, err := os.Stat(src); err != nil {
			return fmt.Errorf("doccheck: binary %s: %w (build with make build)", b, err)
		}
		if err := os.Symlink(src, filepath.Join(opt.Work, "build", b)); err != nil {
			return err
		}
	}
	return nil
}

// startTestnet writes a fresh network with `custodynet testnet init` (the
// command a reader runs, with the doc's flags) and runs its nodes as child
// processes, as `custodynet testnet start` does.
func startTestnet(ctx context.Context, d *Doc, opt Options) (*testnet.Testnet, func(), error) {
	custodyd := filepath.Join(opt.Bin, "custodyd")
	args := append([]string{"testnet", "init", "--dir", "build/testnet"}, d.InitFlags...)
	cmd := exec.CommandContext(ctx, filepath.Join(opt.Bin, "custodynet"), args...)
	cmd.Dir = opt.Work
	cmd.Stdout, cmd.Stderr = opt.Log, opt.Log
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("%s: custodynet %v: %w", d.Name, args, err)
	}
	net, err := testnet.Load(filepath.Join(opt.Work, "build", "testnet"))
	if err != nil {
		return nil, nil, err
	}
	l := testnet.NewLauncher(net, &testnet.Processes{Binary: custodyd})
	startCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := l.StartAll(startCtx); err != nil {
		return nil, nil, errors.Join(fmt.Errorf("%s: start the testnet: %w", d.Name, err), l.StopAll())
	}
	fmt.Fprintf(opt.Log, "doccheck: %s: %d nodes running under %s\n", d.Name, len(net.Nodes), net.Dir)
	return net, func() { _ = l.StopAll() }, nil
}
