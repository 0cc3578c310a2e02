package node

import (
	"fmt"
	"os"
	"time"

	dbm "github.com/cometbft/cometbft-db"
)

// EnvSyncDelay, set in custodyd's environment to a duration ("300ms"), is
// WithSyncDelay's delay. Only the fault harness sets it.
const EnvSyncDelay = "CUSTODYD_FAULT_SYNC_DELAY"

// WithSyncDelay makes every synced write to CometBFT's stores (block
// store, state store, evidence, tx index: SetSync, DeleteSync and a
// batch's WriteSync) wait d first, as on a disk whose fsync takes d. It
// shows what a slow-disk validator does to the chain. A production node
// never sets it; the fault harness does, through EnvSyncDelay. The
// consensus WAL (CometBFT's autofile, not a database) is not delayed.
func WithSyncDelay(d time.Duration) Option { return func(o *options) { o.syncDelay = d } }

func syncDelayFromEnv() (time.Duration, error) {
	v := os.Getenv(EnvSyncDelay)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("node: %s=%q: want a duration such as 300ms", EnvSyncDelay, v)
	}
	return d, nil
}

// slowSyncDB delays the synced writes of a database (WithSyncDelay).
type slowSyncDB struct {
	dbm.DB
	delay time.Duration
}

func (s *slowSyncDB) SetSync(k, v []byte) error { time.Sleep(s.delay); return s.DB.SetSync(k, v) }
func (s *slowSyncDB) DeleteSync(k []byte) error { time.Sleep(s.delay); return s.DB.DeleteSync(k) }
func (s *slowSyncDB) NewBatch() dbm.Batch {
	return &slowSyncBatch{Batch: s.DB.NewBatch(), delay: s.delay}
}

type slowSyncBatch struct {
	dbm.Batch
	delay time.Duration
}

func (b *slowSyncBatch) WriteSync() error { time.Sleep(b.delay); return b.Batch.WriteSync() }
