package abci

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// FuzzDecodeTx: no input panics the decoder, and what it accepts is
// canonical: decoding, re-encoding and decoding again gives the same bytes.
// Seeds: testdata/fuzz/FuzzDecodeTx, plus the signed txs of the script.
func FuzzDecodeTx(f *testing.F) {
	net := newTestNet()
	for _, txs := range script(f, net) {
		for _, tx := range txs {
			f.Add(tx)
		}
	}
	router := testRouter()
	f.Fuzz(func(t *testing.T, raw []byte) {
		dtx, err := decodeTx(raw, testChainID, 0, router)
		if err != nil {
			var e *contracts.Error
			require.ErrorAs(t, err, &e, "every refusal is a registered code")
			return
		}
		again, err := proto.MarshalOptions{Deterministic: true}.Marshal(&custodyv1.TxRaw{BodyBytes: dtx.bodyBytes, Signature: dtx.signature})
		require.NoError(t, err)
		require.Equal(t, raw, again)
		require.Equal(t, testChainID, dtx.body.ChainId)
		require.LessOrEqual(t, len(dtx.body.Memo), MaxMemoBytes)
	})
}

// FuzzVerifyProof: no proof from an untrusted node panics the verifier.
func FuzzVerifyProof(f *testing.F) {
	f.Add([]byte{1}, []byte{0x0a, 0x02, 0x01, 0x02}, []byte{1})
	f.Fuzz(func(t *testing.T, key, proof, value []byte) {
		ops := opsOf(key, proof)
		_ = VerifyProof(make([]byte, 32), key, value, ops)
		_ = VerifyProof(make([]byte, 32), key, nil, ops)
	})
}
