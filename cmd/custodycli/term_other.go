//go:build !linux

package main

import "errors"

// echoOff is not implemented off Linux: the prompt echoes. Use
// --passphrase-file there.
func echoOff(int) (func(), error) { return nil, errors.New("echo control not supported") }
