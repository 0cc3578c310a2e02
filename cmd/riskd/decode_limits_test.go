package main

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDecodeCmd_AbsurdSnapLength is issue 14's 40-byte pcap: a header
// claiming a 4 GB snap length and a record claiming a gigabyte. riskd
// decode must exit non-zero with a message naming the problem, without
// allocating what the file claims (the child's peak RSS is checked).
func TestDecodeCmd_AbsurdSnapLength(t *testing.T) {
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 0xa1b2c3d4)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 4)
	b = le.AppendUint64(b, 0)
	b = le.AppendUint32(b, 0xFFFFFFF0) // snap length
	b = le.AppendUint32(b, 1)          // Ethernet
	b = le.AppendUint64(b, 0)          // record: time
	b = le.AppendUint32(b, 1<<30)      // captured length
	b = le.AppendUint32(b, 1<<30)      // original length
	if len(b) != 40 {
		t.Fatalf("file is %d bytes", len(b))
	}
	path := filepath.Join(t.TempDir(), "absurd.pcap")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "decode", "--pcap", path, "--szse", "127.0.0.1:9000")
	cmd.Env = append(os.Environ(), asMain+"=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("riskd decode exited 0 on %s:\n%s", path, out)
	}
	if _, ok := err.(*exec.ExitError); !ok {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "snap length of 4294967280 bytes") || !strings.Contains(string(out), "more than the 262144") {
		t.Fatalf("message does not say what is wrong:\n%s", out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if peak := ru.Maxrss << 10; peak > 256<<20 {
		t.Fatalf("riskd decode peaked at %d MiB of RSS on a 40-byte file", peak>>20)
	}
}
