package snapshot

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/iavl"
)

// Errors of a restore, which the app maps to state sync results.
var (
	// ErrFormat: the snapshot is in a format this package does not read.
	ErrFormat = errors.New("snapshot: unknown format")
	// ErrInvalid: the snapshot (its metadata or a chunk whose hash matched)
	// is malformed; reject the whole snapshot.
	ErrInvalid = errors.New("snapshot: invalid snapshot")
	// ErrChunkHash: a chunk does not match its hash in the metadata; fetch
	// it again from another peer.
	ErrChunkHash = errors.New("snapshot: chunk hash mismatch")
)

// Restorer imports one snapshot, chunk by chunk in order, into an empty
// IAVL tree.
type Restorer struct {
	snap     *abcitypes.Snapshot
	importer *iavl.Importer
	next     uint32
}

// NewRestorer checks a snapshot's metadata and starts importing it into
// tree, which must be empty (no saved version, no working changes).
func NewRestorer(tree *iavl.MutableTree, snap *abcitypes.Snapshot) (*Restorer, error) {
	if snap == nil {
		return nil, fmt.Errorf("%w: no snapshot", ErrInvalid)
	}
	if snap.Format != Format {
		return nil, fmt.Errorf("%w: %d", ErrFormat, snap.Format)
	}
	if snap.Height == 0 || snap.Height > math.MaxInt32 {
		return nil, fmt.Errorf("%w: height %d", ErrInvalid, snap.Height)
	}
	if snap.Chunks == 0 || snap.Chunks > maxChunks || len(snap.Metadata) != 32*int(snap.Chunks) {
		return nil, fmt.Errorf("%w: %d chunks with %d bytes of chunk hashes", ErrInvalid, snap.Chunks, len(snap.Metadata))
	}
	if sum := sha256.Sum256(snap.Metadata); !bytes.Equal(sum[:], snap.Hash) {
		return nil, fmt.Errorf("%w: hash does not match the chunk hashes", ErrInvalid)
	}
	imp, err := tree.Import(int64(snap.Height))
	if err != nil {
		return nil, fmt.Errorf("snapshot: start import: %w", err)
	}
	return &Restorer{snap: snap, importer: imp}, nil
}

// Height is the snapshot's height.
func (r *Restorer) Height() int64 { return int64(r.snap.Height) }

// Apply imports chunk index, which must be the next one. It reports done
// once the last chunk is imported and the version committed to the tree.
func (r *Restorer) Apply(index uint32, chunk []byte) (done bool, err error) {
	if r.importer == nil {
		return false, fmt.Errorf("%w: restore already ended", ErrInvalid)
	}
	if index != r.next {
		return false, fmt.Errorf("%w: chunk %d, expected %d", ErrInvalid, index, r.next)
	}
	sum := sha256.Sum256(chunk)
	if !bytes.Equal(sum[:], r.snap.Metadata[32*index:32*(index+1)]) {
		return false, fmt.Errorf("%w: chunk %d", ErrChunkHash, index)
	}
	nodes, err := DecodeChunk(chunk, int64(r.snap.Height))
	if err != nil {
		return false, fmt.Errorf("%w: chunk %d: %v", ErrInvalid, index, err)
	}
	if err := r.add(nodes); err != nil {
		return false, fmt.Errorf("%w: chunk %d: %v", ErrInvalid, index, err)
	}
	r.next++
	if r.next < r.snap.Chunks {
		return false, nil
	}
	err = r.importer.Commit()
	r.importer = nil
	if err != nil {
		return false, fmt.Errorf("%w: commit import: %v", ErrInvalid, err)
	}
	return true, nil
}

// add feeds nodes to the importer. The importer trusts the node structure;
// a crafted snapshot must not panic the node, so a panic is an error here.
func (r *Restorer) add(nodes []*iavl.ExportNode) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("import panicked: %v", p)
		}
	}()
	for _, n := range nodes {
		if err := r.importer.Add(n); err != nil {
			return err
		}
	}
	return nil
}

// Close abandons an unfinished restore.
func (r *Restorer) Close() {
	if r.importer != nil {
		r.importer.Close()
		r.importer = nil
	}
}
