package abci

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// A chain started from an export holds every record of the exported
// height; an export whose ledger no longer adds up is refused at InitChain.
func TestExport_NewChainStartsFromTheState(t *testing.T) {
	dir := t.TempDir()
	n := newTestNet()
	c := newChain(t, Config{Dir: dir}, n)
	c.block(n.bank.sign(t, credit("t1", "acc-1", 10_000)), n.bank.sign(t, credit("t2", "acc-2", 500)))
	c.block(n.bank.sign(t, credit("t3", "acc-1", 250)))
	c.block(n.bank.sign(t, credit("t4", "acc-3", 7)))
	require.NoError(t, c.app.Close())

	entries, version, err := Export(dir, 2)
	require.NoError(t, err)
	require.Equal(t, int64(2), version)
	for _, e := range entries {
		require.False(t, bytes.Equal(e.Key, chainIDKey), "the chain id is exported")
	}
	_, _, err = Export(dir, 9)
	require.Error(t, err, "a height past the latest exported")

	start := func(gen *custodyv1.GenesisState) (*App, error) {
		bz, err := protojson.Marshal(gen)
		require.NoError(t, err)
		app := newTestApp(t, Config{Dir: t.TempDir()})
		_, err = app.InitChain(context.Background(), &abcitypes.RequestInitChain{
			ChainId: "custody-test-2", InitialHeight: 1, Time: genesisTime, AppStateBytes: bz,
		})
		return app, err
	}
	app, err := start(&custodyv1.GenesisState{State: entries})
	require.NoError(t, err)
	st := app.checkState
	require.Equal(t, int64(10_250), getInt(st, testKey("balance", "acc-1")), "acc-1 at height 2")
	require.Equal(t, int64(0), getInt(st, testKey("balance", "acc-3")), "acc-3 was credited after height 2")
	require.Equal(t, "custody-test-2", app.chainID)

	// Tampered: one balance raised, so the balances no longer add up.
	bad := make([]*custodyv1.StateEntry, len(entries))
	for i, e := range entries {
		bad[i] = &custodyv1.StateEntry{Key: e.Key, Value: e.Value}
		if bytes.Equal(e.Key, testKey("balance", "acc-2")) {
			bad[i].Value = binary.BigEndian.AppendUint64(nil, 999_999)
		}
	}
	_, err = start(&custodyv1.GenesisState{State: bad})
	require.ErrorIs(t, err, ErrImport)
	require.Contains(t, err.Error(), "test/total")

	// Out of order, or with participants listed again: refused.
	swapped := append([]*custodyv1.StateEntry{entries[1], entries[0]}, entries[2:]...)
	_, err = start(&custodyv1.GenesisState{State: swapped})
	require.ErrorIs(t, err, ErrImport)
	_, err = start(&custodyv1.GenesisState{State: entries, Participants: []*custodyv1.Participant{{Id: "x"}}})
	require.ErrorIs(t, err, ErrImport)
}
