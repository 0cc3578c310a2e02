package load

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// KVStore is the baseline workload: CometBFT's example kvstore application
// taking "key=value" txs, each a new key, padded to a given size (the
// custody mix's median tx size) so that both networks move the same bytes.
// Its signers only mirror the custody load's: as many, pinned to the nodes
// the same way; the kvstore checks no signature or sequence.
type KVStore struct {
	signers []*Signer
	size    int
}

// NewKVStore returns a kvstore load of n signers sending txs of size bytes.
func NewKVStore(n, size int) *KVStore {
	k := &KVStore{size: size}
	for i := 0; i < n; i++ {
		k.signers = append(k.signers, &Signer{Name: fmt.Sprintf("kv%03d", i)})
	}
	return k
}

// Name implements Workload.
func (k *KVStore) Name() string { return "kvstore" }

// Signers implements Workload.
func (k *KVStore) Signers() []*Signer { return k.signers }

// Setup implements Workload: the kvstore needs none.
func (k *KVStore) Setup(context.Context, *Runner) error { return nil }

// Next implements Workload.
func (k *KVStore) Next(r *Runner, rng *rand.Rand) *Action {
	s := r.Pick(k.signers, rng)
	if s == nil {
		return nil
	}
	return &Action{Kind: "kv set", Signer: s, Build: func(seq uint64) ([]byte, error) {
		return KVTx(s.Name, seq, k.size), nil
	}}
}

// KVTx is the kvstore tx "<name>.<seq>=xxx…", padded with x to size bytes
// (longer only if the key alone does not fit).
func KVTx(name string, seq uint64, size int) []byte {
	key := fmt.Appendf(nil, "%s.%d=", name, seq)
	pad := max(size-len(key), 1)
	return append(key, bytes.Repeat([]byte{'x'}, pad)...)
}

// NewKVStoreApp is the node.WithApplication constructor of the baseline:
// CometBFT's persistent kvstore in dir.
func NewKVStoreApp(dir string) (app abcitypes.Application, err error) {
	// NewPersistentApplication panics when it cannot open its database.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("load: kvstore in %s: %v", dir, r)
		}
	}()
	return kvstore.NewPersistentApplication(dir), nil
}
