// Package snapshot keeps the state sync snapshots of the ABCI application:
// it exports a saved IAVL version into hashed chunks on disk, lists and
// serves them, prunes old ones, and restores a snapshot into an empty tree.
//
// It lives apart from package abci because it does file I/O and runs the
// export in a goroutine, both forbidden on the state path. The export only
// reads a saved, immutable version, which IAVL allows concurrently with the
// working tree's writes (ImmutableTree is safe for concurrent reads while its
// version exists, and the exporter registers itself as a reader of that
// version, so pruning cannot delete it underneath).
//
// # Format 1
//
// The IAVL export stream (nodes in depth-first post-order, as
// iavl.Exporter yields them and iavl.Importer takes them) is encoded node by
// node:
//
//	height  1 byte (the subtree height, 0 for a leaf)
//	version uvarint
//	key     uvarint length, bytes
//	value   uvarint length, bytes (leaves only)
//
// and cut into chunks at node boundaries once a chunk reaches the target
// size, so each chunk decodes on its own. A snapshot's Metadata is the
// SHA-256 of each chunk, concatenated (32 bytes per chunk), and its Hash is
// the SHA-256 of the Metadata. Neither is trusted by a restoring node: the
// restored tree's root must equal the app hash its light client verified.
package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cosmos/iavl"
)

// Format is the only snapshot format this package writes and reads.
const Format uint32 = 1

// maxChunks bounds a snapshot offered by a peer (~16 TB at 4 MB chunks).
const maxChunks = 1 << 22

// Errors.
var (
	// ErrNotFound is returned by LoadChunk for a snapshot or chunk not kept.
	ErrNotFound = errors.New("snapshot: not found")
	// ErrBusy is returned by Take while another export runs.
	ErrBusy = errors.New("snapshot: an export is already running")
)

// Store is a directory of snapshots, one subdirectory per height:
// <dir>/<height>-<format>/{meta.json, chunk-000000, ...}. A snapshot appears
// in the directory only once complete (written under a temporary name, then
// renamed).
type Store struct {
	dir        string
	keepRecent uint32
	logger     log.Logger

	mu      sync.Mutex // guards running and lastErr
	running bool
	lastErr error
	wg      sync.WaitGroup
}

// NewStore opens (creating if needed) a snapshot directory. keepRecent is
// how many snapshots to keep after each new one; 0 keeps all.
func NewStore(dir string, keepRecent uint32, logger log.Logger) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	// Leftovers of an export interrupted by a crash.
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "tmp-") {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
	if logger == nil {
		logger = log.NewNopLogger()
	}
	return &Store{dir: dir, keepRecent: keepRecent, logger: logger}, nil
}

// Take starts exporting tree (a saved version) as the snapshot of height.
// The exporter is created before Take returns, so the version is protected
// from pruning from then on; the chunks are written in the background. It
// returns ErrBusy when an export is still running (that height is skipped).
func (s *Store) Take(tree *iavl.ImmutableTree, height uint64, chunkBytes int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return ErrBusy
	}
	exp, err := tree.Export()
	if err != nil {
		return fmt.Errorf("snapshot: export height %d: %w", height, err)
	}
	s.running = true
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := s.write(exp, height, chunkBytes)
		exp.Close()
		if err == nil {
			err = s.prune()
		}
		s.mu.Lock()
		s.running, s.lastErr = false, err
		s.mu.Unlock()
		if err != nil {
			s.logger.Error("snapshot failed", "height", height, "err", err)
		} else {
			s.logger.Info("snapshot taken", "height", height)
		}
	}()
	return nil
}

// Wait blocks until the running export, if any, ends, and returns its error.
func (s *Store) Wait() error {
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// Close waits for a running export.
func (s *Store) Close() error {
	s.wg.Wait()
	return nil
}

func (s *Store) write(exp *iavl.Exporter, height uint64, chunkBytes int) error {
	tmp := filepath.Join(s.dir, fmt.Sprintf("tmp-%d-%d", height, Format))
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	var (
		hashes []byte
		chunk  bytes.Buffer
		n      uint32
	)
	flush := func() error {
		sum := sha256.Sum256(chunk.Bytes())
		hashes = append(hashes, sum[:]...)
		if err := os.WriteFile(filepath.Join(tmp, chunkName(n)), chunk.Bytes(), 0o644); err != nil {
			return err
		}
		n++
		chunk.Reset()
		return nil
	}
	for {
		node, err := exp.Next()
		if errors.Is(err, iavl.ErrorExportDone) {
			break
		}
		if err != nil {
			_ = os.RemoveAll(tmp)
			return err
		}
		AppendNode(&chunk, node)
		if chunk.Len() >= chunkBytes {
			if err := flush(); err != nil {
				_ = os.RemoveAll(tmp)
				return err
			}
		}
	}
	if chunk.Len() > 0 || n == 0 {
		if err := flush(); err != nil {
			_ = os.RemoveAll(tmp)
			return err
		}
	}
	sum := sha256.Sum256(hashes)
	meta := &abcitypes.Snapshot{Height: height, Format: Format, Chunks: n, Hash: sum[:], Metadata: hashes}
	bz, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "meta.json"), bz, 0o644); err != nil {
		_ = os.RemoveAll(tmp)
		return err
	}
	final := filepath.Join(s.dir, dirName(height, Format))
	_ = os.RemoveAll(final)
	return os.Rename(tmp, final)
}

func dirName(height uint64, format uint32) string { return fmt.Sprintf("%d-%d", height, format) }
func chunkName(i uint32) string                   { return fmt.Sprintf("chunk-%06d", i) }

// List returns the complete snapshots, newest first.
func (s *Store) List() ([]*abcitypes.Snapshot, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	var out []*abcitypes.Snapshot
	for _, e := range entries {
		h, f, ok := parseDirName(e.Name())
		if !ok || !e.IsDir() {
			continue
		}
		bz, err := os.ReadFile(filepath.Join(s.dir, e.Name(), "meta.json"))
		if err != nil {
			continue
		}
		var meta abcitypes.Snapshot
		if err := json.Unmarshal(bz, &meta); err != nil || meta.Height != h || meta.Format != f {
			s.logger.Error("skipping unreadable snapshot", "dir", e.Name())
			continue
		}
		out = append(out, &meta)
	}
	slices.SortFunc(out, func(a, b *abcitypes.Snapshot) int {
		if a.Height != b.Height {
			return -cmpUint(a.Height, b.Height)
		}
		return -cmpUint(uint64(a.Format), uint64(b.Format))
	})
	return out, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func parseDirName(name string) (uint64, uint32, bool) {
	hs, fs, ok := strings.Cut(name, "-")
	if !ok {
		return 0, 0, false
	}
	h, err1 := strconv.ParseUint(hs, 10, 64)
	f, err2 := strconv.ParseUint(fs, 10, 32)
	return h, uint32(f), err1 == nil && err2 == nil
}

// Oldest returns the height of the oldest kept snapshot, or 0 when none.
func (s *Store) Oldest() uint64 {
	list, err := s.List()
	if err != nil || len(list) == 0 {
		return 0
	}
	return list[len(list)-1].Height
}

// LoadChunk returns chunk index of a kept snapshot.
func (s *Store) LoadChunk(height uint64, format, index uint32) ([]byte, error) {
	bz, err := os.ReadFile(filepath.Join(s.dir, dirName(height, format), chunkName(index)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return bz, err
}

// prune deletes all but the keepRecent newest snapshots.
func (s *Store) prune() error {
	if s.keepRecent == 0 {
		return nil
	}
	list, err := s.List()
	if err != nil {
		return err
	}
	var errs []error
	for _, old := range list[min(len(list), int(s.keepRecent)):] {
		errs = append(errs, os.RemoveAll(filepath.Join(s.dir, dirName(old.Height, old.Format))))
	}
	return errors.Join(errs...)
}

// AppendNode encodes one export node (format 1) onto buf.
func AppendNode(buf *bytes.Buffer, n *iavl.ExportNode) {
	var tmp [binary.MaxVarintLen64]byte
	buf.WriteByte(byte(n.Height))
	buf.Write(tmp[:binary.PutUvarint(tmp[:], uint64(n.Version))])
	buf.Write(tmp[:binary.PutUvarint(tmp[:], uint64(len(n.Key)))])
	buf.Write(n.Key)
	if n.Height == 0 {
		buf.Write(tmp[:binary.PutUvarint(tmp[:], uint64(len(n.Value)))])
		buf.Write(n.Value)
	}
}

// DecodeChunk decodes a format 1 chunk into export nodes, refusing any node
// whose version is above maxVersion or whose fields are malformed. It never
// panics on any input.
func DecodeChunk(chunk []byte, maxVersion int64) ([]*iavl.ExportNode, error) {
	var out []*iavl.ExportNode
	r := chunk
	readBytes := func() ([]byte, error) {
		l, k := binary.Uvarint(r)
		if k <= 0 || l > uint64(len(r)-k) {
			return nil, errors.New("snapshot: truncated field")
		}
		b := bytes.Clone(r[k : k+int(l)])
		r = r[k+int(l):]
		return b, nil
	}
	for len(r) > 0 {
		h := int8(r[0])
		r = r[1:]
		if h < 0 {
			return nil, fmt.Errorf("snapshot: negative node height %d", h)
		}
		v, k := binary.Uvarint(r)
		if k <= 0 || v > uint64(maxVersion) {
			return nil, fmt.Errorf("snapshot: bad node version (max %d)", maxVersion)
		}
		r = r[k:]
		key, err := readBytes()
		if err != nil {
			return nil, err
		}
		n := &iavl.ExportNode{Height: h, Version: int64(v), Key: key}
		if h == 0 {
			if n.Value, err = readBytes(); err != nil {
				return nil, err
			}
		}
		out = append(out, n)
	}
	return out, nil
}
