//go:build !linux

package demo

import "os"

// Terminal says whether f is a terminal; off Linux the demo assumes it is
// not, and prints plain lines.
func Terminal(f *os.File) (width int, ok bool) { return 0, false }
