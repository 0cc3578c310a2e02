package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/custody-ledger/custody/client/keys"
)

// Passphrases never come from the command line: argv is readable by every
// user of the machine (ps, /proc/PID/cmdline) and stays in shell history.
// Each one is read, in order, from a file named by a flag, from an
// environment variable (for automation: a supervisor's secret store, a CI
// secret), or from a prompt, with echo off when stdin is a terminal on any
// platform (golang.org/x/term) and as one line of stdin when it is a pipe.
const (
	// passphraseEnv is read when --passphrase-file is not given.
	passphraseEnv = "CUSTODY_PASSPHRASE"
	// armorPassphraseEnv is read when --armor-passphrase-file is not given.
	armorPassphraseEnv = "CUSTODY_ARMOR_PASSPHRASE"
)

// errPassphraseInArgv is the answer to a flag that carried a passphrase.
var errPassphraseInArgv = errors.New("a passphrase on the command line is visible to every user of this machine and kept in shell history")

// openKeyring opens the keyring of the flags. The unencrypted test backend
// is used only when --keyring-backend test says so.
func (e *env) openKeyring() (*keys.Keyring, error) {
	kr, err := keys.Open(e.keyringDir, keys.Backend(e.keyringBackend))
	if errors.Is(err, keys.ErrBadBackend) {
		return nil, usagef(err)
	}
	return kr, err
}

// lineReader is a line reader over stdin, shared by every prompt of one
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
// $CUSTODY_PASSPHRASE, else a prompt. The test backend needs none. confirm
// asks twice on a terminal.
func (e *env) passphrase(prompt string, confirm bool) ([]byte, error) {
	if keys.Backend(e.keyringBackend) == keys.BackendTest {
		return nil, nil
	}
	return e.secret(prompt, confirm, e.passphraseFile, passphraseEnv)
}

// armorPassphrase returns the passphrase of an exported key (an armor):
// from file (--armor-passphrase-file), else $CUSTODY_ARMOR_PASSPHRASE,
// else a prompt. The test backend does not change that: an armor is always
// encrypted.
func (e *env) armorPassphrase(prompt string, confirm bool, file string) ([]byte, error) {
	return e.secret(prompt, confirm, file, armorPassphraseEnv)
}

// secret reads a passphrase from file, else the environment variable
// envName, else a prompt.
func (e *env) secret(prompt string, confirm bool, file, envName string) ([]byte, error) {
	if file != "" {
		bz, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("passphrase file: %w", err)
		}
		return bytes.TrimRight(bz, "\r\n"), nil
	}
	if p := e.getenv(envName); p != "" {
		return []byte(p), nil
	}
	return e.prompt(prompt, confirm)
}

// prompt reads a secret: with echo off when stdin is a terminal, else one
// line of stdin.
func (e *env) prompt(prompt string, confirm bool) ([]byte, error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return e.promptTerminal(int(f.Fd()), prompt, confirm)
	}
	fmt.Fprint(e.stderr, prompt+": ")
	p, err := readLine(e.lineReader())
	if err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	return p, nil
}

// promptTerminal reads a secret from the terminal fd without echo, twice
// when confirm is set.
func (e *env) promptTerminal(fd int, prompt string, confirm bool) ([]byte, error) {
	read := func(prompt string) ([]byte, error) {
		fmt.Fprint(e.stderr, prompt+": ")
		p, err := term.ReadPassword(fd)
		fmt.Fprintln(e.stderr) // the user's Enter was not echoed either
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		return p, nil
	}
	p, err := read(prompt)
	if err != nil || !confirm {
		return p, err
	}
	again, err := read("repeat " + prompt)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(p, again) {
		return nil, usagef(errors.New("the passphrases differ"))
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
