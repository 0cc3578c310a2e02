package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/custody-ledger/custody/client/keys"
)

// passphraseEnv names the environment variable read when --passphrase-file
// is not given.
const passphraseEnv = "CUSTODY_PASSPHRASE"

// openKeyring opens the keyring of the flags. The unencrypted test backend
// is used only when --keyring-backend test says so.
func (e *env) openKeyring() (*keys.Keyring, error) {
	kr, err := keys.Open(e.keyringDir, keys.Backend(e.keyringBackend))
	if errors.Is(err, keys.ErrBadBackend) {
		return nil, usagef(err)
	}
	return kr, err
}

// stdinReader is a line reader over stdin, shared by every prompt of one
// command so buffered input is not lost between prompts.
func (e *env) lineReader() *bufio.Reader {
	if br, ok := e.stdin.(*bufio.Reader); ok {
		return br
	}
	br := bufio.NewReader(e.stdin)
	e.stdin = br
	return br
}

// passphrase returns the keyring passphrase: from --passphrase-file, else
// $CUSTODY_PASSPHRASE, else a prompt on stdin (echo off on a terminal).
// The test backend needs none. confirm asks twice on a terminal.
func (e *env) passphrase(prompt string, confirm bool) ([]byte, error) {
	if keys.Backend(e.keyringBackend) == keys.BackendTest {
		return nil, nil
	}
	if e.passphraseFile != "" {
		bz, err := os.ReadFile(e.passphraseFile)
		if err != nil {
			return nil, fmt.Errorf("passphrase file: %w", err)
		}
		return bytes.TrimRight(bz, "\r\n"), nil
	}
	if p := e.getenv(passphraseEnv); p != "" {
		return []byte(p), nil
	}
	return e.prompt(prompt, confirm)
}

// prompt reads a secret line from stdin.
func (e *env) prompt(prompt string, confirm bool) ([]byte, error) {
	fmt.Fprint(e.stderr, prompt+": ")
	tty := false
	if f, ok := e.stdin.(*os.File); ok {
		if restore, err := echoOff(int(f.Fd())); err == nil {
			tty = true
			defer restore()
		}
	}
	p, err := readLine(e.lineReader())
	if tty {
		fmt.Fprintln(e.stderr)
	}
	if err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	if confirm && tty {
		fmt.Fprint(e.stderr, "repeat "+prompt+": ")
		again, err := readLine(e.lineReader())
		fmt.Fprintln(e.stderr)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		if !bytes.Equal(p, again) {
			return nil, usagef(errors.New("the passphrases differ"))
		}
	}
	return p, nil
}

func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadBytes('\n')
	if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}
