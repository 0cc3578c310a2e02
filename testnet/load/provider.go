package load

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/custody-ledger/custody/node"
	"github.com/custody-ledger/custody/testnet"
)

// Processes runs each node as a child process, like testnet.Processes,
// with a command of choice (the benchmark's baseline runs "bench node
// --app kvstore") and each node's pid, for CPU and memory from /proc.
type Processes struct {
	// Binary is the custodyd executable.
	Binary string
	// Command is the subcommand and its flags, followed by "--home HOME".
	// Default "start".
	Command []string
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	// Default 20s.
	StopTimeout time.Duration

	mu   sync.Mutex
	pids map[string]int
}

// PID returns the pid of the named node's last start, or 0.
func (p *Processes) PID(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pids[name]
}

// Start implements testnet.Provider. Output goes to HOME/node.log.
func (p *Processes) Start(_ context.Context, t *testnet.Testnet, n *testnet.Node) (testnet.Running, error) {
	home := t.Home(n)
	logf, err := os.OpenFile(filepath.Join(home, "node.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	command := p.Command
	if len(command) == 0 {
		command = []string{"start"}
	}
	cmd := exec.Command(p.Binary, append(append([]string(nil), command...), "--home", home)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group: a Ctrl-C reaches the harness only, which stops
	// the nodes itself.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("load: start %s: %w", n.Name, err)
	}
	p.mu.Lock()
	if p.pids == nil {
		p.pids = map[string]int{}
	}
	p.pids[n.Name] = cmd.Process.Pid
	p.mu.Unlock()
	r := &process{cmd: cmd, done: make(chan struct{}), timeout: p.StopTimeout}
	if r.timeout == 0 {
		r.timeout = 20 * time.Second
	}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(r.done)
	}()
	return r, nil
}

type process struct {
	cmd     *exec.Cmd
	done    chan struct{}
	timeout time.Duration
}

func (r *process) Stop() error {
	select {
	case <-r.done:
		return nil
	default:
	}
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("load: %w", err)
	}
	select {
	case <-r.done:
		return nil
	case <-time.After(r.timeout):
		return errors.Join(fmt.Errorf("load: pid %d did not stop in %s", r.cmd.Process.Pid, r.timeout), r.Kill())
	}
}

// Kill is a real SIGKILL.
func (r *process) Kill() error {
	if err := r.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("load: %w", err)
	}
	<-r.done
	return nil
}

func (r *process) Done() <-chan struct{} { return r.done }

// InProcess runs each node in this process, like testnet.InProcess, with
// extra node options (the benchmark's node.WithApplication). CPU and
// memory can then only be read for the whole process.
type InProcess struct {
	Options []node.Option
}

// Start implements testnet.Provider. Logs go to HOME/node.log.
func (p *InProcess) Start(ctx context.Context, t *testnet.Testnet, n *testnet.Node) (testnet.Running, error) {
	home := t.Home(n)
	logf, err := os.OpenFile(filepath.Join(home, "node.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	// CometBFT's metrics use Prometheus' global registry: off in process.
	opts := append([]node.Option{
		node.WithLogOutput(logf),
		node.WithMetricsRegisterer(prometheus.NewRegistry()),
		node.WithCometConfig(func(c *cmtcfg.Config) { c.Instrumentation.Prometheus = false }),
	}, p.Options...)
	nd, err := node.New(home, opts...)
	if err == nil {
		err = nd.Start(ctx)
	}
	if err != nil {
		logf.Close()
		return nil, err
	}
	return &inProcess{node: nd, log: logf, done: make(chan struct{})}, nil
}

type inProcess struct {
	node *node.Node
	log  *os.File
	once sync.Once
	err  error
	done chan struct{}
}

func (r *inProcess) Stop() error {
	r.once.Do(func() {
		r.err = errors.Join(r.node.Stop(), r.log.Close())
		close(r.done)
	})
	return r.err
}

// Kill stops the node: a node in this process cannot be killed alone.
func (r *inProcess) Kill() error           { return r.Stop() }
func (r *inProcess) Done() <-chan struct{} { return r.done }
