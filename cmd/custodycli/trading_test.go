package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestParsePrice(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"10.00", 100_000, true}, {"10", 100_000, true}, {"0.105", 1_050, true}, {"1.0001", 10_001, true},
		{"0.01", 100, true}, {"100000", 1_000_000_000, true},
		{"1.00001", 0, false}, {"-1", 0, false}, {"+1", 0, false}, {"", 0, false}, {".5", 0, false},
		{"1.-5", 0, false}, {"abc", 0, false}, {"100001", 0, false},
	} {
		got, err := parsePrice(c.in)
		var u usageError
		if c.ok != (err == nil) || got != c.want || (err != nil && !errors.As(err, &u)) {
			t.Errorf("parsePrice(%q) = %d, %v; want %d ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestReadBalances(t *testing.T) {
	f := filepath.Join(t.TempDir(), "bal.csv")
	if err := os.WriteFile(f, []byte("# account,balance\nC2, 500\n\nC1,999436\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	total, n, h, err := readBalances(f)
	want := sha256.Sum256([]byte("C1,999436\nC2,500\n"))
	if err != nil || total != 999_936 || n != 2 || !bytes.Equal(h, want[:]) {
		t.Fatalf("readBalances = %d, %d, %x, %v", total, n, h, err)
	}
	if err := os.WriteFile(f, []byte("C1;5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := readBalances(f); err == nil {
		t.Fatal("a malformed line was read")
	}
}
