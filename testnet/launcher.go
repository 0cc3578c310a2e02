package testnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/custody-ledger/custody/node"
	"github.com/custody-ledger/custody/testnet/internal/proc"
)

// Provider runs nodes: in this process (tests) or as child processes
// (custodynet testnet start). It is the seam where containers or remote hosts
// would plug in, as in CometBFT's e2e runner.
type Provider interface {
	// Start starts node n of t and returns once it is running (its RPC may
	// still be coming up).
	Start(ctx context.Context, t *Testnet, n *Node) (Running, error)
}

// Running is a started node.
type Running interface {
	// Stop shuts the node down cleanly and waits for it.
	Stop() error
	// Kill stops the node abruptly (SIGKILL for a process). In-process, a
	// node cannot be killed without killing the test, so Kill stops it
	// without waiting for in-flight RPC requests; the node's stores are
	// still closed.
	Kill() error
	// Done is closed when the node has exited.
	Done() <-chan struct{}
}

// InProcess runs each node in this process through node.New. CometBFT's
// metrics register in Prometheus' global registry, so in-process nodes run
// with instrumentation.prometheus off and the app metrics of each node in
// its own registry (Registry).
type InProcess struct {
	// Options are added after the provider's own node options (the load
	// benchmark's baseline passes node.WithApplication).
	Options []node.Option

	mu   sync.Mutex
	regs map[string]*prometheus.Registry
}

// Registry returns the app-metrics registry of the named node, or nil.
func (p *InProcess) Registry(name string) *prometheus.Registry {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.regs[name]
}

// Start implements Provider. Logs go to home/node.log.
func (p *InProcess) Start(ctx context.Context, t *Testnet, n *Node) (Running, error) {
	home := t.Home(n)
	logf, err := os.OpenFile(filepath.Join(home, "node.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	reg := prometheus.NewRegistry()
	opts := append([]node.Option{
		node.WithLogOutput(logf),
		node.WithMetricsRegisterer(reg),
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
	p.mu.Lock()
	if p.regs == nil {
		p.regs = map[string]*prometheus.Registry{}
	}
	p.regs[n.Name] = reg
	p.mu.Unlock()
	return &inProcessNode{node: nd, log: logf, done: make(chan struct{})}, nil
}

type inProcessNode struct {
	node *node.Node
	log  *os.File
	once sync.Once
	err  error
	done chan struct{}
}

func (r *inProcessNode) Stop() error {
	r.once.Do(func() {
		r.err = errors.Join(r.node.Stop(), r.log.Close())
		close(r.done)
	})
	return r.err
}

func (r *inProcessNode) Kill() error           { return r.Stop() }
func (r *inProcessNode) Done() <-chan struct{} { return r.done }

// Processes runs each node as a child process: Binary start --home HOME
// (or Binary COMMAND... --home HOME), with its output appended to
// HOME/node.log. Kill is a real SIGKILL. The children die with this
// process however it ends (testnet/internal/proc: the Linux parent-death
// signal), so a killed or crashed launcher leaves no node behind.
type Processes struct {
	// Binary is the custodyd executable.
	Binary string
	// Command is the subcommand and its flags, before "--home HOME".
	// Default "start" (the load benchmark's baseline runs "bench node
	// --app kvstore").
	Command []string
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	// Default 20s.
	StopTimeout time.Duration
	// Lock, when set, records each node's pid while it runs, so that a
	// second launcher in the directory can say what is running there.
	Lock *RunLock
	// Wrap, if set, rewrites each node's command line, e.g. to run it in
	// its host's network namespace (netns.Host.Wrap). The wrapper must exec
	// the command, so that signals reach the node itself.
	Wrap func(n *Node, argv []string) []string
	// Env, when set, returns variables added to node n's environment (the
	// fault harness sets its fault switches this way).
	Env func(n *Node) []string

	mu   sync.Mutex
	pids map[string]int
}

// PID returns the pid of the named node's last start, or 0 (for CPU and
// memory read from /proc).
func (p *Processes) PID(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pids[name]
}

// Start implements Provider.
func (p *Processes) Start(ctx context.Context, t *Testnet, n *Node) (Running, error) {
	home := t.Home(n)
	logf, err := os.OpenFile(filepath.Join(home, "node.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	// Not CommandContext: the launcher, not ctx, decides when a node stops,
	// so that Ctrl-C gets a clean SIGTERM rather than a kill.
	command := p.Command
	if len(command) == 0 {
		command = []string{"start"}
	}
	argv := append([]string{p.Binary}, append(slices.Clone(command), "--home", home)...)
	if p.Wrap != nil {
		argv = p.Wrap(n, argv)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	if p.Env != nil {
		if env := p.Env(n); len(env) > 0 {
			cmd.Env = append(os.Environ(), env...)
		}
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group (a Ctrl-C at the terminal reaches the launcher
	// only, which then stops the nodes in order), and bound to die with
	// the launcher.
	if err := proc.Start(cmd); err != nil {
		logf.Close()
		return nil, fmt.Errorf("testnet: start %s: %w", n.Name, err)
	}
	pid := cmd.Process.Pid
	if p.Lock != nil {
		if err := p.Lock.Add(n.Name, pid); err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			logf.Close()
			return nil, err
		}
	}
	p.mu.Lock()
	if p.pids == nil {
		p.pids = map[string]int{}
	}
	p.pids[n.Name] = cmd.Process.Pid
	p.mu.Unlock()
	r := &processNode{cmd: cmd, log: logf, done: make(chan struct{}), timeout: p.StopTimeout}
	if r.timeout == 0 {
		r.timeout = 20 * time.Second
	}
	go func() {
		r.waitErr = cmd.Wait()
		logf.Close()
		if p.Lock != nil {
			_ = p.Lock.Remove(pid) // the record is advisory; a stale line is re-checked by pid
		}
		close(r.done)
	}()
	return r, nil
}

type processNode struct {
	cmd     *exec.Cmd
	log     *os.File
	done    chan struct{}
	waitErr error
	timeout time.Duration
}

func (r *processNode) Stop() error {
	select {
	case <-r.done:
		return nil
	default:
	}
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("testnet: %w", err)
	}
	select {
	case <-r.done:
		return nil
	case <-time.After(r.timeout):
		return errors.Join(fmt.Errorf("testnet: pid %d did not stop in %s", r.cmd.Process.Pid, r.timeout), r.Kill())
	}
}

func (r *processNode) Kill() error {
	if err := r.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("testnet: %w", err)
	}
	<-r.done
	return nil
}

func (r *processNode) Done() <-chan struct{} { return r.done }

// Launcher starts and stops the nodes of a testnet and injects faults.
type Launcher struct {
	Testnet  *Testnet
	Provider Provider

	mu      sync.Mutex
	running map[string]Running // guarded by mu
}

// NewLauncher returns a launcher of t's nodes through p.
func NewLauncher(t *Testnet, p Provider) *Launcher {
	return &Launcher{Testnet: t, Provider: p, running: map[string]Running{}}
}

// StartAll starts every node that is not running, genesis nodes first, and
// waits until each has committed a block. A node added for state sync is
// given a fresh trust root first.
func (l *Launcher) StartAll(ctx context.Context) error {
	for _, n := range l.Testnet.Nodes {
		if l.IsRunning(n.Name) {
			continue
		}
		if err := l.StartNode(ctx, n.Name); err != nil {
			return errors.Join(err, l.StopAll())
		}
	}
	for _, n := range l.Testnet.Nodes {
		if _, err := WaitForHeight(ctx, n, 1); err != nil {
			return errors.Join(err, l.StopAll())
		}
	}
	return nil
}

// StartNode starts one node. Its ports must be free.
func (l *Launcher) StartNode(ctx context.Context, name string) error {
	n := l.Testnet.Node(name)
	if n == nil {
		return fmt.Errorf("testnet: no node %q", name)
	}
	if l.IsRunning(name) {
		return fmt.Errorf("testnet: node %q is already running", name)
	}
	if err := CheckPortsFree(n); err != nil {
		return err
	}
	if n.StateSync && !hasState(l.Testnet.Home(n)) {
		if err := l.Testnet.setTrustRoot(ctx, n); err != nil {
			return err
		}
	}
	r, err := l.Provider.Start(ctx, l.Testnet, n)
	if err != nil {
		return fmt.Errorf("testnet: start %s: %w", name, err)
	}
	l.mu.Lock()
	l.running[name] = r
	l.mu.Unlock()
	return nil
}

// IsRunning says whether the launcher has the node running.
func (l *Launcher) IsRunning(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.running[name]
	if !ok {
		return false
	}
	select {
	case <-r.Done():
		return false
	default:
		return true
	}
}

func (l *Launcher) take(name string) (Running, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.running[name]
	if !ok {
		return nil, fmt.Errorf("testnet: node %q is not running", name)
	}
	delete(l.running, name)
	return r, nil
}

// StopNode stops one node cleanly.
func (l *Launcher) StopNode(name string) error {
	r, err := l.take(name)
	if err != nil {
		return err
	}
	return r.Stop()
}

// KillNode stops one node abruptly (see Running.Kill).
func (l *Launcher) KillNode(name string) error {
	r, err := l.take(name)
	if err != nil {
		return err
	}
	return r.Kill()
}

// RestartNode stops a node cleanly and starts it again on the same home.
func (l *Launcher) RestartNode(ctx context.Context, name string) error {
	if err := l.StopNode(name); err != nil {
		return err
	}
	return l.StartNode(ctx, name)
}

// StopAll stops every running node, in the reverse order of the testnet's
// node list, and reports every failure.
func (l *Launcher) StopAll() error {
	var errs []error
	for i := len(l.Testnet.Nodes) - 1; i >= 0; i-- {
		name := l.Testnet.Nodes[i].Name
		l.mu.Lock()
		_, ok := l.running[name]
		l.mu.Unlock()
		if ok {
			errs = append(errs, l.StopNode(name))
		}
	}
	return errors.Join(errs...)
}

// AddNode writes a fresh full node that joins by state sync, and starts it.
func (l *Launcher) AddNode(ctx context.Context, name string) (*Node, error) {
	n, err := l.Testnet.AddNode(name)
	if err != nil {
		return nil, err
	}
	return n, l.StartNode(ctx, name)
}

// Done returns a channel closed when the named node exits, or nil.
func (l *Launcher) Done(name string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r, ok := l.running[name]; ok {
		return r.Done()
	}
	return nil
}

// hasState says whether the home has CometBFT state already (a restart,
// not a first join).
func hasState(home string) bool {
	_, err := os.Stat(filepath.Join(home, "data", "state.db"))
	return err == nil
}

// NewRPC returns an RPC client of node n.
func NewRPC(n *Node) (*rpchttp.HTTP, error) {
	c, err := rpchttp.New(n.RPCURL(), "/websocket")
	if err != nil {
		return nil, fmt.Errorf("testnet: rpc %s: %w", n.Name, err)
	}
	return c, nil
}

// WaitForHeight polls n's status until its latest block height reaches h, and
// returns that height.
func WaitForHeight(ctx context.Context, n *Node, h int64) (int64, error) {
	c, err := NewRPC(n)
	if err != nil {
		return 0, err
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		st, err := c.Status(ctx)
		if err == nil && st.SyncInfo.LatestBlockHeight >= h {
			return st.SyncInfo.LatestBlockHeight, nil
		}
		if err != nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("testnet: %s did not reach height %d: %w (last rpc error: %v)", n.Name, h, ctx.Err(), lastErr)
		case <-tick.C:
		}
	}
}
