package fault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/custody-ledger/custody/node"
	"github.com/custody-ledger/custody/testnet/internal/proc"
)

// killOne: SIGKILL one validator under load; the other three keep
// committing the load's txs; restarted, it catches up to the same app hash.
func (h *harness) killOne(ctx context.Context) (string, error) {
	const victim = "broker-1"
	h0, c0 := h.r.Height(), h.committed()
	pids, err := h.kill(victim)
	if err != nil {
		return "", err
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	err = h.r.WaitHeight(wctx, h0+5)
	cancel()
	if err != nil {
		return "", fmt.Errorf("with %s down the chain stopped: %w", victim, err)
	}
	h1, c1 := h.r.Height(), h.committed()
	if c1 <= c0 {
		return "", fmt.Errorf("heights %d..%d committed none of the load's txs with %s down", h0, h1, victim)
	}
	took, got, err := h.restart(ctx, victim)
	if err != nil {
		return "", err
	}
	at := min(got, h.r.Height())
	hash, ok, err := h.agreeAt(ctx, h.tn.Node(victim), at)
	if err != nil || !ok {
		return "", errors.Join(err, fmt.Errorf("%s disagrees at height %d: app hash %s", victim, at, hash))
	}
	return fmt.Sprintf("SIGKILL %s (pid %d) at height %d; without it the chain went %d→%d and committed %d of the load's txs; "+
		"restarted, it reached height %d in %s with app hash %s, as the others", victim, pids[victim], h0, h0, h1, c1-c0,
		got, took.Round(100*time.Millisecond), short(hash)), nil
}

// killEach: SIGKILL and restart every validator in turn, under load.
func (h *harness) killEach(ctx context.Context) (string, error) {
	var ev []string
	for _, v := range h.tn.Validators() {
		h0, c0 := h.r.Height(), h.committed()
		pids, err := h.kill(v.Name)
		if err != nil {
			return strings.Join(ev, "; "), err
		}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		err = h.r.WaitHeight(wctx, h0+3)
		cancel()
		if err != nil {
			return strings.Join(ev, "; "), fmt.Errorf("with %s down the chain stopped: %w", v.Name, err)
		}
		h1, c1 := h.r.Height(), h.committed()
		took, got, err := h.restart(ctx, v.Name)
		if err != nil {
			return strings.Join(ev, "; "), err
		}
		at := min(got, h.r.Height())
		hash, ok, err := h.agreeAt(ctx, v, at)
		if err != nil || !ok {
			return strings.Join(ev, "; "), errors.Join(err, fmt.Errorf("%s disagrees at height %d: app hash %s", v.Name, at, hash))
		}
		ev = append(ev, fmt.Sprintf("%s (pid %d) killed at %d, chain %d→%d (+%d txs) without it, back at %d in %s, app hash %s",
			v.Name, pids[v.Name], h0, h0, h1, c1-c0, got, took.Round(100*time.Millisecond), short(hash)))
	}
	return strings.Join(ev, "; "), nil
}

// killAll: SIGKILL every node at once, in the middle of a height, and
// start them again from their disks.
func (h *harness) killAll(ctx context.Context) (string, error) {
	var names, steps []string
	var top int64
	for _, n := range h.running() {
		names = append(names, n.Name)
		st := "unknown"
		if cs, err := h.r.Client(n).RPC().ConsensusState(ctx); err == nil {
			var rs struct {
				HRS string `json:"height/round/step"`
			}
			if json.Unmarshal(cs.RoundState, &rs) == nil {
				st = rs.HRS + " (" + stepName(rs.HRS) + ")"
			}
		}
		steps = append(steps, n.Name+" "+st)
	}
	top = h.r.Height()
	c0 := h.committed()
	pids, err := h.kill(names...)
	if err != nil {
		return "", err
	}
	sleep(ctx, time.Second)
	t0 := time.Now()
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	err = h.l.StartAll(sctx)
	cancel()
	if err != nil {
		return "", fmt.Errorf("restart from disk: %w", err)
	}
	for _, n := range h.tn.Nodes {
		if err := h.r.Redial(n); err != nil {
			return "", err
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	err = h.r.WaitHeight(wctx, top+3)
	cancel()
	if err != nil {
		return "", fmt.Errorf("the restarted network did not commit past %d: %w", top, err)
	}
	var pidList []string
	for _, n := range names {
		pidList = append(pidList, fmt.Sprint(pids[n]))
	}
	return fmt.Sprintf("SIGKILL all %d nodes at once (pids %s) at %s; the load had seen height %d and %d committed txs; "+
		"restarted from disk, the chain reached height %d in %s", len(names), strings.Join(pidList, ","), strings.Join(steps, ", "),
		top, c0, h.r.Height(), time.Since(t0).Round(100*time.Millisecond)), nil
}

// stepName names CometBFT's round step number in "height/round/step".
func stepName(hrs string) string {
	i := strings.LastIndexByte(hrs, '/')
	if i < 0 {
		return "?"
	}
	names := map[string]string{"1": "NewHeight", "2": "NewRound", "3": "Propose", "4": "Prevote", "5": "PrevoteWait",
		"6": "Precommit", "7": "PrecommitWait", "8": "Commit"}
	if s, ok := names[hrs[i+1:]]; ok {
		return s
	}
	return "step " + hrs[i+1:]
}

// stateSyncJoin: a fresh full node joins under load from a snapshot.
func (h *harness) stateSyncJoin(ctx context.Context) (string, error) {
	t0 := time.Now()
	n, err := h.l.AddNode(ctx, "full-1")
	if err != nil {
		return "", err
	}
	if err := h.r.AddNode(n); err != nil {
		return "", err
	}
	target := h.r.Height()
	got, err := waitNode(ctx, n, target, 2*time.Minute)
	if err != nil {
		return "", fmt.Errorf("full-1 did not catch up to %d: %w (see %s/node.log)", target, err, h.tn.Home(n))
	}
	st, err := h.r.Client(n).RPC().Status(ctx)
	if err != nil {
		return "", err
	}
	if st.SyncInfo.EarliestBlockHeight <= 1 {
		return "", fmt.Errorf("full-1's earliest block is %d: it replayed from genesis instead of restoring a snapshot", st.SyncInfo.EarliestBlockHeight)
	}
	at := min(got, h.r.Height())
	hash, ok, err := h.agreeAt(ctx, n, at)
	if err != nil || !ok {
		return "", errors.Join(err, fmt.Errorf("full-1 disagrees at height %d: app hash %s", at, hash))
	}
	return fmt.Sprintf("full-1 restored a snapshot (earliest block %d) and reached height %d in %s, app hash %s as the others",
		st.SyncInfo.EarliestBlockHeight, got, time.Since(t0).Round(100*time.Millisecond), short(hash)), nil
}

// diskFull: a validator's home on a full disk (a tmpfs exactly as big as
// what the home holds) must refuse to start, saying why; the chain goes on
// without it, and it comes back from its own disk.
func (h *harness) diskFull(ctx context.Context) (string, error) {
	const victim = "clearing-house-1"
	n := h.tn.Node(victim)
	home := h.tn.Home(n)
	if err := h.l.StopNode(victim); err != nil {
		return "", err
	}
	size, err := dirSize(home)
	if err != nil {
		return "", err
	}
	mnt := filepath.Join(h.cfg.Dir, "full-disk")
	if err := os.MkdirAll(mnt, 0o700); err != nil {
		return "", err
	}
	mb := size>>20 + 2
	if out, err := exec.CommandContext(ctx, "mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm", mb), "tmpfs", mnt).CombinedOutput(); err != nil {
		return "", fmt.Errorf("mount a %d MB tmpfs: %v: %s", mb, err, out)
	}
	defer func() { _ = exec.Command("umount", mnt).Run() }()
	if out, err := exec.CommandContext(ctx, "cp", "-a", home+"/.", mnt).CombinedOutput(); err != nil {
		return "", fmt.Errorf("copy the home: %v: %s", err, out)
	}
	if err := fill(filepath.Join(mnt, "filler")); err != nil {
		return "", err
	}
	var sfs syscall.Statfs_t
	if err := syscall.Statfs(mnt, &sfs); err != nil {
		return "", err
	}
	free := int64(sfs.Bavail) * int64(sfs.Bsize)
	h0 := h.r.Height()
	a, err := h.attempt(mnt, "disk-full")
	if err != nil {
		return "", err
	}
	exited, code := a.wait(ctx, time.Minute)
	if !exited {
		a.kill()
		return "", fmt.Errorf("%s kept running on a full disk (output: %s)", victim, a.tail())
	}
	line := a.find("no space left on device")
	if code == 0 || line == "" {
		return "", fmt.Errorf("%s exited with status %d without saying the disk is full: %s", victim, code, a.tail())
	}
	h1 := h.r.Height()
	if err := exec.Command("umount", mnt).Run(); err != nil {
		return "", fmt.Errorf("umount %s: %w", mnt, err)
	}
	took, got, err := h.restart(ctx, victim)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s's home (%.1f MB) on a %d MB tmpfs with %d bytes free: `custodyd start` exited with status %d in %s: %q; "+
		"the chain went %d→%d meanwhile; back on its own disk it reached height %d in %s",
		victim, float64(size)/(1<<20), mb, free, code, a.took().Round(100*time.Millisecond), line, h0, h1, got, took.Round(100*time.Millisecond)), nil
}

// corrupt: stop a validator, flip a byte in every 4 KiB of its store's
// data files (ext "": the tables, *.ldb, and the journal, *.log; or only
// those named *ext), and start it. Table blocks are checksummed: a node
// reading one must refuse to start, with its reason (a checksum error, or
// the stores' heights that no longer fit together). A damaged
// journal is different: goleveldb drops the damaged records (logging
// "journal@drop" in the database's LOG), so a node whose only damage is
// there may come up at an older height and replay the missing blocks
// from its block store; that passes only if it then agrees with the others
// on every hash. Either way it must never serve a different app hash. The
// store is then restored from a copy (when refused) and the node
// restarted.
func (h *harness) corrupt(ctx context.Context, victim, dbRel, ext string) (string, error) {
	n := h.tn.Node(victim)
	home := h.tn.Home(n)
	db := filepath.Join(home, dbRel)
	if err := h.l.StopNode(victim); err != nil {
		return "", err
	}
	files, err := storeFiles(db, ext)
	if err != nil {
		return "", err
	}
	if !slices.ContainsFunc(files, func(f string) bool { return ext != "" || filepath.Ext(f) == ".ldb" }) {
		// A fresh store keeps everything in its journal; goleveldb turns the
		// journal into a table when it opens the store. Cycle the node once.
		if err := h.l.StartNode(ctx, victim); err != nil {
			return "", err
		}
		sleep(ctx, 3*time.Second)
		if err := h.l.StopNode(victim); err != nil {
			return "", err
		}
		if files, err = storeFiles(db, ext); err != nil || len(files) == 0 {
			return "", errors.Join(err, fmt.Errorf("%s has no data file (%q) to corrupt", db, ext))
		}
	}
	backup := db + ".bak"
	_ = os.RemoveAll(backup)
	if out, err := exec.CommandContext(ctx, "cp", "-a", db, backup).CombinedOutput(); err != nil {
		return "", fmt.Errorf("back up %s: %v: %s", db, err, out)
	}
	flipped := 0
	for _, f := range files {
		k, err := flipBytes(f, 4096)
		if err != nil {
			return "", err
		}
		flipped += k
	}
	// Info-level logs for this start, so that a recovery shows its replay.
	if err := setLogLevel(home, "info"); err != nil {
		return "", err
	}
	defer func() { _ = setLogLevel(home, h.tn.Manifest.LogLevel) }()
	target := h.r.Height()
	a, err := h.attempt(home, "corrupt-"+filepath.Base(db)+ext)
	if err != nil {
		return "", err
	}
	kinds := "data"
	if ext != "" {
		kinds = ext
	}
	what := fmt.Sprintf("flipped %d bytes in %d %s file(s) of %s's %s", flipped, len(files), kinds, victim, dbRel)
	// It must either exit (a refusal) or come up and serve the tip.
	exited, code, serving := false, 0, false
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && ctx.Err() == nil; {
		if exited, code = a.wait(ctx, 200*time.Millisecond); exited {
			break
		}
		if st, err := h.r.Client(n).RPC().Status(ctx); err == nil && st.SyncInfo.LatestBlockHeight >= target {
			serving = true
			break
		}
	}
	var outcome string
	switch {
	case exited && code != 0:
		// The reason: CometBFT panics with it, custodyd prints it.
		line := a.findAny("panic:", "custodyd:")
		if line == "" {
			return "", fmt.Errorf("%s: exited with status %d without a reason: %s", what, code, a.tail())
		}
		outcome = fmt.Sprintf("`custodyd start` refused in %s, status %d: %q", a.took().Round(100*time.Millisecond), code, line)
		if err := os.RemoveAll(db); err != nil {
			return "", err
		}
		if err := os.Rename(backup, db); err != nil {
			return "", err
		}
	case exited:
		return "", fmt.Errorf("%s: the node exited with status 0: %s", what, a.tail())
	case !serving:
		a.kill()
		return "", fmt.Errorf("%s: the node neither refused nor reached height %d in a minute: %s", what, target, a.tail())
	default:
		got, err := waitNode(ctx, n, h.r.Height(), time.Minute)
		if err != nil {
			a.kill()
			return "", fmt.Errorf("%s: the node runs but does not keep up: %w", what, err)
		}
		at := min(got, h.r.Height())
		hash, ok, err := h.agreeAt(ctx, n, at)
		replay := a.find("ABCI Replay Blocks")
		if i := strings.Index(replay, "appHeight"); i >= 0 {
			replay = replay[i:]
		}
		a.kill()
		if err != nil || !ok {
			return "", errors.Join(err, fmt.Errorf("%s: the node came up with app hash %s at height %d, not the network's", what, hash, at))
		}
		outcome = fmt.Sprintf("the node did not refuse: goleveldb dropped %d damaged journal chunk(s) (journal@drop in the store's LOG); "+
			"at start-up the node had %s; it reached height %d with app hash %s as the others",
			countInFile(filepath.Join(db, "LOG"), "journal@drop"), replay, got, short(hash))
		_ = os.RemoveAll(backup)
	}
	took, got, err := h.restart(ctx, victim)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s; %s; restarted with its store restored: height %d in %s", what, outcome, got, took.Round(100*time.Millisecond)), nil
}

// setLogLevel rewrites log_level in home's config.toml.
func setLogLevel(home, level string) error {
	c, err := node.LoadCometConfig(home)
	if err != nil {
		return err
	}
	c.LogLevel = level
	return node.WriteCometConfig(home, c)
}

// countInFile counts the lines of a file that contain s.
func countInFile(path, s string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), s)
}

// storeFiles lists the non-empty data files of a goleveldb directory:
// those named *ext, or with ext "" its tables (*.ldb) and journal (*.log).
func storeFiles(dir, ext string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if x := filepath.Ext(p); (ext != "" && x != ext) || (ext == "" && x != ".ldb" && x != ".log") {
			return nil
		}
		if info, err := d.Info(); err == nil && info.Size() > 0 {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// flipBytes inverts one byte in every stride bytes of the file (at least
// one), starting 64 bytes in, and returns how many.
func flipBytes(path string, stride int) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	n := 0
	for off := min(64, len(b)/2); off < len(b); off += stride {
		b[off] ^= 0xff
		n++
	}
	return n, os.WriteFile(path, b, 0o644)
}

// fill writes zeros to path until the file system is full.
func fill(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				// Fill the last partial block too.
				for len(buf) > 1 {
					buf = buf[:len(buf)/2]
					for {
						if _, err := f.Write(buf); err != nil {
							break
						}
					}
				}
				return nil
			}
			return err
		}
	}
}

func dirSize(dir string) (int64, error) {
	var size int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			size += info.Size()
		}
		return err
	})
	return size, err
}

// attempt is one `custodyd start` outside the launcher, whose output is
// kept (and written to Dir/<label>.log) to read why it stopped.
type attempt struct {
	cmd     *exec.Cmd
	start   time.Time
	end     time.Time
	mu      sync.Mutex
	out     bytes.Buffer
	done    chan struct{}
	exitErr error
}

func (a *attempt) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.out.Len() < 4<<20 {
		a.out.Write(p)
	}
	return len(p), nil
}

func (h *harness) attempt(home, label string) (*attempt, error) {
	logf, err := os.Create(filepath.Join(h.cfg.Dir, label+".log"))
	if err != nil {
		return nil, err
	}
	a := &attempt{done: make(chan struct{}), start: time.Now()}
	a.cmd = exec.Command(h.cfg.Binary, "start", "--home", home)
	a.cmd.Stdout = io.MultiWriter(a, logf)
	a.cmd.Stderr = a.cmd.Stdout
	// Own process group, and bound to die with the harness (a killed
	// `custodynet faults` leaves no node behind).
	if err := proc.Start(a.cmd); err != nil {
		logf.Close()
		return nil, err
	}
	go func() {
		a.exitErr = a.cmd.Wait()
		a.end = time.Now()
		logf.Close()
		close(a.done)
	}()
	return a, nil
}

// wait waits up to d for the process to exit and returns its status.
func (a *attempt) wait(ctx context.Context, d time.Duration) (bool, int) {
	select {
	case <-a.done:
		var ee *exec.ExitError
		if errors.As(a.exitErr, &ee) {
			return true, ee.ExitCode()
		}
		if a.exitErr != nil {
			return true, -1
		}
		return true, 0
	case <-time.After(d):
	case <-ctx.Done():
	}
	return false, 0
}

func (a *attempt) kill() {
	_ = a.cmd.Process.Kill()
	<-a.done
}

func (a *attempt) took() time.Duration { return a.end.Sub(a.start) }

func (a *attempt) text() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.out.String()
}

// find returns the first output line containing s (case-insensitive),
// shortened.
func (a *attempt) find(s string) string { return a.findAny(s) }

func (a *attempt) findAny(subs ...string) string {
	for _, line := range strings.Split(a.text(), "\n") {
		low := strings.ToLower(line)
		for _, s := range subs {
			if strings.Contains(low, strings.ToLower(s)) {
				line = strings.TrimSpace(line)
				if len(line) > 240 {
					line = line[:240] + "…"
				}
				return line
			}
		}
	}
	return ""
}

// tail is the last lines of the output.
func (a *attempt) tail() string {
	lines := strings.Split(strings.TrimSpace(a.text()), "\n")
	return strings.Join(lines[max(0, len(lines)-5):], " | ")
}
