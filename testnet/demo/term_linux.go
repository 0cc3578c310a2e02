//go:build linux

package demo

import (
	"os"

	"golang.org/x/sys/unix"
)

// Terminal says whether f is a terminal (and TERM is not "dumb"), and its
// width in columns: the progress display then redraws one status line in
// place, kept narrower than the terminal so that it never wraps.
func Terminal(f *os.File) (width int, ok bool) {
	if os.Getenv("TERM") == "dumb" {
		return 0, false
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, false
	}
	if ws.Col == 0 {
		return 80, true
	}
	return int(ws.Col), true
}
