// Package store is the risk core's off-chain store (下场): captured inputs,
// alerts, rule-state checkpoints, alert batches and rule-parameter versions
// in badger, behind the few methods the engine and the admin API need.
//
// Every record has a sequence number: inputs carry the Seq the runner gave
// them, alerts get one on first insert, batches and parameter versions are
// numbered from 1. Writes are idempotent: an input is keyed by its Seq, an
// alert by its derived id (a second insert of the same id is a no-op), a
// checkpoint replaces the previous one of its partition.
//
// Key layout (all integers big-endian, so ranges iterate in order):
//
//	i/<seq>            input: 8-byte event time (ns) + a format byte and the
//	                   binary input (codec.go), or JSON(risk.Input) (older)
//	a/<id>             JSON(risk.Alert)
//	s/<alert seq>      alert id
//	t/<time><id>       alert time index, for retention
//	c/<partition>      checkpoint: 8-byte applied seq + core state
//	b/<batch seq>      JSON(Batch)
//	p/<version>        JSON(risk.ParamVersion)
//	f/<seq>            freeze request (opaque JSON, numbered from 1)
//	m/alert-seq        last alert seq
//	n/<name>           a named counter of the daemon (8 bytes), e.g. the
//	                   last ledger height taken
//	e/<mark>           a captured event's identity (empty value), so that a
//	                   restarted capture does not feed a replayed report again
package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/custody-ledger/custody/risk"
)

// ErrNotFound is returned (wrapped) by GetAlert, UpdateAlert and Batch for
// a record that does not exist.
var ErrNotFound = errors.New("store: not found")

// Options configures Open. The zero value of a field means its default.
type Options struct {
	// InMemory keeps everything in memory (tests, tools); Dir is then ignored.
	InMemory bool
	// MemTableSize bounds each memtable (default 32 MiB; badger's own is
	// 64). NumMemtables of them may be held at once (default 3): writes
	// stall only when all are full and not yet flushed, and larger
	// memtables mean fewer level-0 tables to compact.
	MemTableSize int64
	NumMemtables int
	// BlockCacheSize and IndexCacheSize bound badger's caches (default 16
	// and 8 MiB: the store is written far more than it is read).
	BlockCacheSize, IndexCacheSize int64
}

// Store is the badger-backed store. It is safe for concurrent use.
type Store struct {
	db *badger.DB
	// alertMu serialises alert inserts, which read and bump the alert seq.
	alertMu sync.Mutex
}

// Open opens (creating if needed) the store in dir with memory limits: a
// risk core shares its machine, and badger's defaults take about 1 GB.
// With the defaults badger holds at most about 3 × 32 MiB of memtables
// plus 24 MiB of caches.
func Open(dir string, o Options) (*Store, error) {
	if o.MemTableSize == 0 {
		o.MemTableSize = 32 << 20
	}
	if o.NumMemtables == 0 {
		o.NumMemtables = 3
	}
	if o.BlockCacheSize == 0 {
		o.BlockCacheSize = 16 << 20
	}
	if o.IndexCacheSize == 0 {
		o.IndexCacheSize = 8 << 20
	}
	opts := badger.DefaultOptions(dir).
		WithInMemory(o.InMemory).
		WithMemTableSize(o.MemTableSize).
		WithNumMemtables(o.NumMemtables).
		WithBlockCacheSize(o.BlockCacheSize).
		WithIndexCacheSize(o.IndexCacheSize).
		WithValueLogFileSize(64 << 20).
		WithNumLevelZeroTables(4).
		WithNumLevelZeroTablesStall(12).
		WithNumCompactors(2).
		WithLogger(nil)
	if o.InMemory {
		opts.Dir, opts.ValueDir = "", ""
	}
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

func be(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func key(prefix string, rest ...[]byte) []byte {
	k := []byte(prefix)
	for _, r := range rest {
		k = append(k, r...)
	}
	return k
}

// PutInputs stores inputs by their Seq (which must be non-zero). Writing an
// input that is already there rewrites the same bytes: idempotent.
func (s *Store) PutInputs(ins []risk.Input) error {
	return s.PutInputsAndMarks(ins, nil)
}

// PutInputsAndMarks stores inputs as PutInputs does and, in the same write
// batch, the identities of the captured events among them (see HasMark).
func (s *Store) PutInputsAndMarks(ins []risk.Input, marks []string) error {
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	// One arena for the batch's keys and values: badger keeps the slices
	// until the batch is written, so they must not be reused before.
	arena := make([]byte, 0, len(ins)*160)
	for i := range ins {
		in := &ins[i]
		if in.Seq == 0 {
			return fmt.Errorf("store: input without seq")
		}
		start := len(arena)
		arena = binary.BigEndian.AppendUint64(append(arena, 'i', '/'), in.Seq)
		kEnd := len(arena)
		var err error
		if arena, err = encodeInput(arena, in); err != nil {
			return fmt.Errorf("store: encode input %d: %w", in.Seq, err)
		}
		// Appending may have moved the arena: slice it only now (a moved
		// arena leaves the earlier entries' slices on the old, intact array).
		k, v := arena[start:kEnd:kEnd], arena[kEnd:len(arena):len(arena)]
		if err := wb.Set(k, v); err != nil {
			return fmt.Errorf("store: put input %d: %w", in.Seq, err)
		}
	}
	for _, m := range marks {
		if err := wb.Set(key("e/", []byte(m)), nil); err != nil {
			return fmt.Errorf("store: put mark: %w", err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("store: flush inputs: %w", err)
	}
	return nil
}

// LastInputSeq returns the highest input Seq stored (0 when none).
func (s *Store) LastInputSeq() (uint64, error) {
	var last uint64
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Reverse: true, Prefix: []byte("i/")})
		defer it.Close()
		it.Seek(key("i/", be(^uint64(0))))
		if it.ValidForPrefix([]byte("i/")) {
			last = binary.BigEndian.Uint64(it.Item().Key()[2:])
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: last input: %w", err)
	}
	return last, nil
}

// InputsAfter calls fn for each stored input with Seq > after, in order.
func (s *Store) InputsAfter(after uint64, fn func(risk.Input) error) error {
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 256, Prefix: []byte("i/")})
		defer it.Close()
		for it.Seek(key("i/", be(after+1))); it.ValidForPrefix([]byte("i/")); it.Next() {
			var in risk.Input
			err := it.Item().Value(func(v []byte) error {
				return decodeInput(v, &in)
			})
			if err != nil {
				return fmt.Errorf("store: read input: %w", err)
			}
			if err := fn(in); err != nil {
				return err
			}
		}
		return nil
	})
}

// PutAlerts inserts the alerts not yet stored, giving each the next alert
// Seq, and returns those (with their Seq). An alert whose id is already
// stored is skipped whatever its status: replays never duplicate or reset one.
func (s *Store) PutAlerts(as []risk.Alert) ([]risk.Alert, error) {
	s.alertMu.Lock()
	defer s.alertMu.Unlock()
	var added []risk.Alert
	err := s.db.Update(func(txn *badger.Txn) error {
		seq, err := getU64(txn, []byte("m/alert-seq"))
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for i := range as {
			a := as[i]
			if seen[a.ID] {
				continue
			}
			seen[a.ID] = true
			_, err := txn.Get(key("a/", []byte(a.ID)))
			if err == nil {
				continue
			}
			if !errors.Is(err, badger.ErrKeyNotFound) {
				return fmt.Errorf("store: get alert %s: %w", a.ID, err)
			}
			seq++
			a.Seq = seq
			if a.Status == "" {
				a.Status = risk.StatusOpen
			}
			js, err := json.Marshal(&a)
			if err != nil {
				return fmt.Errorf("store: encode alert %s: %w", a.ID, err)
			}
			for _, kv := range [][2][]byte{
				{key("a/", []byte(a.ID)), js},
				{key("s/", be(seq)), []byte(a.ID)},
				{key("t/", be(uint64(a.Time.UnixNano())), []byte(a.ID)), nil},
			} {
				if err := txn.Set(kv[0], kv[1]); err != nil {
					return fmt.Errorf("store: put alert %s: %w", a.ID, err)
				}
			}
			added = append(added, a)
		}
		return txn.Set([]byte("m/alert-seq"), be(seq))
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

func getU64(txn *badger.Txn, k []byte) (uint64, error) {
	it, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: get %s: %w", k, err)
	}
	var n uint64
	err = it.Value(func(v []byte) error { n = binary.BigEndian.Uint64(v); return nil })
	return n, err
}

// GetAlert returns the alert with id; errors wrap ErrNotFound.
func (s *Store) GetAlert(id string) (risk.Alert, error) {
	var a risk.Alert
	err := s.db.View(func(txn *badger.Txn) error { return getJSON(txn, key("a/", []byte(id)), &a) })
	return a, err
}

func getJSON(txn *badger.Txn, k []byte, v any) error {
	it, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return fmt.Errorf("%w: %s", ErrNotFound, k)
	}
	if err != nil {
		return fmt.Errorf("store: get %s: %w", k, err)
	}
	return it.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

// UpdateAlert applies fn to the stored alert and saves the result; fn's
// error aborts the update and is returned as is. Only Status and History
// may change: the fields the anchored leaf commits to are kept.
func (s *Store) UpdateAlert(id string, fn func(*risk.Alert) error) (risk.Alert, error) {
	var out risk.Alert
	err := s.db.Update(func(txn *badger.Txn) error {
		var a risk.Alert
		if err := getJSON(txn, key("a/", []byte(id)), &a); err != nil {
			return err
		}
		before := a.Canonical()
		if err := fn(&a); err != nil {
			return err
		}
		if !bytes.Equal(before, a.Canonical()) {
			return fmt.Errorf("store: update of alert %s changed its anchored fields", id)
		}
		js, err := json.Marshal(&a)
		if err != nil {
			return fmt.Errorf("store: encode alert %s: %w", id, err)
		}
		out = a
		return txn.Set(key("a/", []byte(id)), js)
	})
	return out, err
}

// Filter selects alerts for ListAlerts; zero fields match everything.
type Filter struct {
	Rule     string
	Account  string
	Security string
	Status   risk.Status
	From, To time.Time // alert event time, [From, To)
	AfterSeq uint64    // alerts with Seq > AfterSeq (paging)
	Limit    int       // at most this many (0: no limit)
}

func (f *Filter) match(a *risk.Alert) bool {
	if f.Rule != "" && a.Rule != f.Rule || f.Security != "" && a.Security != f.Security ||
		f.Status != "" && a.Status != f.Status {
		return false
	}
	if !f.From.IsZero() && a.Time.Before(f.From) || !f.To.IsZero() && !a.Time.Before(f.To) {
		return false
	}
	if f.Account != "" {
		for _, acct := range a.Accounts {
			if acct == f.Account {
				return true
			}
		}
		return false
	}
	return true
}

// ListAlerts returns the alerts matching f in alert-Seq order.
func (s *Store) ListAlerts(f Filter) ([]risk.Alert, error) {
	var out []risk.Alert
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, Prefix: []byte("s/")})
		defer it.Close()
		for it.Seek(key("s/", be(f.AfterSeq+1))); it.ValidForPrefix([]byte("s/")); it.Next() {
			id, err := it.Item().ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("store: read alert index: %w", err)
			}
			var a risk.Alert
			if err := getJSON(txn, key("a/", id), &a); err != nil {
				if errors.Is(err, ErrNotFound) {
					continue // removed by retention
				}
				return err
			}
			if f.match(&a) {
				out = append(out, a)
				if f.Limit > 0 && len(out) >= f.Limit {
					return nil
				}
			}
		}
		return nil
	})
	return out, err
}

// SaveCheckpoint replaces partition's checkpoint: the core state after
// applying input applied.
func (s *Store) SaveCheckpoint(partition string, applied uint64, state []byte) error {
	err := s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(key("c/", []byte(partition)), append(be(applied), state...))
	})
	if err != nil {
		return fmt.Errorf("store: save checkpoint %s: %w", partition, err)
	}
	return nil
}

// LoadCheckpoint returns partition's checkpoint; found is false when none.
func (s *Store) LoadCheckpoint(partition string) (applied uint64, state []byte, found bool, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get(key("c/", []byte(partition)))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		v, err := it.ValueCopy(nil)
		if err != nil || len(v) < 8 {
			return fmt.Errorf("store: checkpoint %s: short record: %w", partition, err)
		}
		applied, state, found = binary.BigEndian.Uint64(v), v[8:], true
		return nil
	})
	if err != nil {
		return 0, nil, false, fmt.Errorf("store: load checkpoint %s: %w", partition, err)
	}
	return applied, state, found, nil
}

// Retain deletes inputs and alerts whose event time is before cutoff, and
// returns how many of each it removed. Inputs are scanned in Seq order and
// the scan stops at the first input at or after cutoff: Seq follows time
// closely enough that a straggler just kept is harmless.
func (s *Store) Retain(cutoff time.Time) (inputs, alerts int, err error) {
	c := cutoff.UnixNano()
	var del [][]byte
	err = s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, Prefix: []byte("i/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var ts int64
			if err := it.Item().Value(func(v []byte) error { ts = int64(binary.BigEndian.Uint64(v)); return nil }); err != nil {
				return err
			}
			if ts >= c {
				break
			}
			del = append(del, it.Item().KeyCopy(nil))
		}
		inputs = len(del)
		ti := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("t/")})
		defer ti.Close()
		for ti.Rewind(); ti.Valid(); ti.Next() {
			k := ti.Item().KeyCopy(nil)
			if int64(binary.BigEndian.Uint64(k[2:10])) >= c {
				break
			}
			id := k[10:]
			var a risk.Alert
			if err := getJSON(txn, key("a/", id), &a); err == nil {
				del = append(del, key("s/", be(a.Seq)))
			}
			del = append(del, k, key("a/", id))
			alerts++
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("store: retain: %w", err)
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range del {
		if err := wb.Delete(k); err != nil {
			return 0, 0, fmt.Errorf("store: retain: %w", err)
		}
	}
	if err := wb.Flush(); err != nil {
		return 0, 0, fmt.Errorf("store: retain: %w", err)
	}
	return inputs, alerts, nil
}

// PutParamVersion stores a parameter version; storing the same version
// twice keeps the first.
func (s *Store) PutParamVersion(v risk.ParamVersion) error {
	js, err := json.Marshal(&v)
	if err != nil {
		return fmt.Errorf("store: encode params: %w", err)
	}
	return s.db.Update(func(txn *badger.Txn) error {
		k := key("p/", be(uint64(v.Version)))
		if _, err := txn.Get(k); err == nil {
			return nil
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("store: get params: %w", err)
		}
		return txn.Set(k, js)
	})
}

// ParamVersions returns every stored parameter version, oldest first.
func (s *Store) ParamVersions() ([]risk.ParamVersion, error) {
	var out []risk.ParamVersion
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, Prefix: []byte("p/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var v risk.ParamVersion
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &v) }); err != nil {
				return fmt.Errorf("store: read params: %w", err)
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// PutBatchRecord stores an anchored-batch record (opaque JSON to the store)
// under its sequence number, replacing any previous record of that number.
func (s *Store) PutBatchRecord(seq uint64, v any) error {
	js, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode batch: %w", err)
	}
	return s.db.Update(func(txn *badger.Txn) error { return txn.Set(key("b/", be(seq)), js) })
}

// DeleteBatchRecord removes the batch record seq (one never anchored, that
// the chain's own batches replace).
func (s *Store) DeleteBatchRecord(seq uint64) error {
	err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete(key("b/", be(seq))) })
	if err != nil {
		return fmt.Errorf("store: delete batch %d: %w", seq, err)
	}
	return nil
}

// BatchRecord decodes the batch record seq into v; errors wrap ErrNotFound.
func (s *Store) BatchRecord(seq uint64, v any) error {
	return s.db.View(func(txn *badger.Txn) error { return getJSON(txn, key("b/", be(seq)), v) })
}

// LastBatchSeq returns the highest batch seq stored (0 when none).
func (s *Store) LastBatchSeq() (uint64, error) {
	var last uint64
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Reverse: true, Prefix: []byte("b/")})
		defer it.Close()
		it.Seek(key("b/", be(^uint64(0))))
		if it.ValidForPrefix([]byte("b/")) {
			last = binary.BigEndian.Uint64(it.Item().Key()[2:])
		}
		return nil
	})
	return last, err
}

// AppendFreezeRequest stores a freeze request the chain could not take
// (opaque JSON to the store) under the next number, and returns it.
func (s *Store) AppendFreezeRequest(v any) (uint64, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("store: encode freeze request: %w", err)
	}
	var seq uint64
	err = s.db.Update(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Reverse: true, Prefix: []byte("f/")})
		it.Seek(key("f/", be(^uint64(0))))
		if it.ValidForPrefix([]byte("f/")) {
			seq = binary.BigEndian.Uint64(it.Item().Key()[2:])
		}
		it.Close()
		seq++
		return txn.Set(key("f/", be(seq)), js)
	})
	if err != nil {
		return 0, fmt.Errorf("store: put freeze request: %w", err)
	}
	return seq, nil
}

// FreezeRequests calls fn with each stored freeze request, oldest first.
func (s *Store) FreezeRequests(fn func(seq uint64, raw []byte) error) error {
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, Prefix: []byte("f/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			raw, err := it.Item().ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("store: read freeze request: %w", err)
			}
			if err := fn(binary.BigEndian.Uint64(it.Item().Key()[2:]), raw); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetCounter records a named counter of the daemon (the last chain height
// its ledger feed took, ...).
func (s *Store) SetCounter(name string, v uint64) error {
	err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(key("n/", []byte(name)), be(v)) })
	if err != nil {
		return fmt.Errorf("store: set %s: %w", name, err)
	}
	return nil
}

// Counter returns a named counter (0 when never set).
func (s *Store) Counter(name string) (uint64, error) {
	var v uint64
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		v, err = getU64(txn, key("n/", []byte(name)))
		return err
	})
	return v, err
}

// LastInputOf returns the stored input of kind with the highest Seq, and
// whether there is one. It walks back from the newest input.
func (s *Store) LastInputOf(kind risk.InputKind) (risk.Input, bool, error) {
	var (
		in    risk.Input
		found bool
	)
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Reverse: true, Prefix: []byte("i/")})
		defer it.Close()
		for it.Seek(key("i/", be(^uint64(0)))); it.ValidForPrefix([]byte("i/")); it.Next() {
			var x risk.Input
			err := it.Item().Value(func(v []byte) error {
				return decodeInput(v, &x)
			})
			if err != nil {
				return fmt.Errorf("store: read input: %w", err)
			}
			if x.Kind == kind {
				in, found = x, true
				return nil
			}
		}
		return nil
	})
	return in, found, err
}

// LastAlertSeq returns the number of the newest stored alert (0 when none).
func (s *Store) LastAlertSeq() (uint64, error) {
	var v uint64
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		v, err = getU64(txn, []byte("m/alert-seq"))
		return err
	})
	return v, err
}

// HasMark reports whether an event identity was recorded.
func (s *Store) HasMark(mark string) (bool, error) {
	found := false
	err := s.db.View(func(txn *badger.Txn) error {
		_, err := txn.Get(key("e/", []byte(mark)))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		found = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: get mark: %w", err)
	}
	return found, nil
}
