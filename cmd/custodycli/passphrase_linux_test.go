package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the master end the test types into and
// reads the echo from, and the slave end the command reads as its stdin.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	// Through the raw conn, not Fd: Fd would put the master into blocking
	// mode, and the test reads it with a deadline.
	rc, err := master.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var ioErr error
	if err := rc.Control(func(fd uintptr) {
		if ioErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioErr == nil {
			n, ioErr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
		}
	}); err != nil || ioErr != nil {
		t.Fatal(err, ioErr)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

// syncBuffer is a bytes.Buffer safe to read while the command writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// typeAtPrompt types line into the terminal once the command has printed
// its n-th prompt and turned echo off for it (the termios says so): the
// test waits on state, not on time. A prompt is printed before its read
// turns echo off, and the next prompt only after that read, so "n prompts
// and echo off" is the n-th read waiting.
func typeAtPrompt(ctx context.Context, master, slave *os.File, stderr *syncBuffer, n int, line string) error {
	for {
		tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
		if err != nil {
			return err
		}
		if strings.Count(stderr.String(), "passphrase for alice: ") >= n && tio.Lflag&unix.ECHO == 0 {
			_, err := master.WriteString(line)
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("prompt %d with echo off never came: %w (stderr %q)", n, ctx.Err(), stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// TestPromptOnTerminalDoesNotEcho: on a real (pseudo) terminal the
// passphrase is read with echo off, asked twice for a new key, and the
// terminal's echo is back on afterwards.
func TestPromptOnTerminalDoesNotEcho(t *testing.T) {
	master, slave := openPTY(t)
	home := t.TempDir()
	var out bytes.Buffer
	var errOut syncBuffer
	e := newEnv(slave, &out, &errOut, func(k string) string {
		if k == "CUSTODYCLI_HOME" {
			return home
		}
		return ""
	})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	typed := make(chan error, 1)
	go func() {
		// "passphrase for alice: " and "repeat passphrase for alice: ".
		for n := 1; n <= 2; n++ {
			if err := typeAtPrompt(ctx, master, slave, &errOut, n, "pty-s3cret\n"); err != nil {
				typed <- err
				return
			}
		}
		typed <- nil
	}()
	cmd := newRootCmd(e)
	cmd.SetArgs([]string{"keys", "add", "alice"})
	if err := cmd.ExecuteContext(ctx); err != nil {
		cancel()
		t.Fatalf("keys add on a terminal: %v; stderr: %s; typing: %v", err, errOut.String(), <-typed)
	}
	if err := <-typed; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "repeat passphrase for alice") {
		t.Fatalf("not asked twice: %q", errOut.String())
	}
	// What the terminal showed: nothing of the passphrase.
	if err := master.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Skipf("cannot read the terminal with a deadline: %v", err)
	}
	shown := make([]byte, 4096)
	n, _ := master.Read(shown)
	if bytes.Contains(shown[:n], []byte("pty-s3cret")) {
		t.Fatalf("the terminal echoed the passphrase: %q", shown[:n])
	}
	tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil || tio.Lflag&unix.ECHO == 0 {
		t.Fatalf("echo not restored: %v", err)
	}
	// The key opens with what was typed.
	kr, err := e.openKeyring()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Key("alice", []byte("pty-s3cret")); err != nil {
		t.Fatalf("the key does not open with the typed passphrase: %v", err)
	}
}
