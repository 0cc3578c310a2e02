package proof_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/custody-ledger/custody/proof"
)

func TestCredentialEnvelope(t *testing.T) {
	for _, tc := range []struct {
		token string
		data  []byte
	}{
		{"", nil},
		{"", []byte{0x10, 'A'}},
		{"eyJ.abc.def", nil},
		{"eyJ.abc.def", []byte{0x10, 'A', 'C', 'C'}},
	} {
		framed := proof.WithCredential(tc.token, tc.data)
		tok, rest, err := proof.SplitCredential(framed)
		if err != nil || tok != tc.token || !bytes.Equal(rest, tc.data) {
			t.Errorf("%q %x: got %q %x %v", tc.token, tc.data, tok, rest, err)
		}
	}
	// A raw key is never read as a credential: no state key starts 0xFF.
	if tok, rest, err := proof.SplitCredential([]byte{0x02, 0xFF}); tok != "" || err != nil || len(rest) != 2 {
		t.Errorf("raw key: %q %x %v", tok, rest, err)
	}
	for _, bad := range [][]byte{
		{0xFF, 'c', 'r', '1'},
		{0xFF, 'c', 'r', '1', 0x00},
		{0xFF, 'c', 'r', '1', 0x05, 'a'},
		{0xFF, 'c', 'r', '1', 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01},
	} {
		if _, _, err := proof.SplitCredential(bad); !errors.Is(err, proof.ErrBadEnvelope) {
			t.Errorf("%x: err = %v", bad, err)
		}
	}
}

func TestVerifyProofMalformed(t *testing.T) {
	key := []byte{0x10, 'A'}
	if err := proof.VerifyProof([]byte{1}, key, []byte{1}, nil); !errors.Is(err, proof.ErrProofMalformed) {
		t.Errorf("nil ops: %v", err)
	}
}
