// Package store adapts the IAVL tree to the contracts.Store interface and
// provides Cache, the buffered view that makes each transaction all or
// nothing.
//
// The stack during a block is: IAVL working tree ← Cache per tx. A tx's
// contract writes into its Cache; when the contract succeeds the Cache is
// written through to the tree in sorted key order (IAVL's shape, and so the
// app hash, depends on the order of writes); when it fails the Cache is
// dropped and the tree never saw it.
package store

import (
	"fmt"

	"github.com/cosmos/iavl"
	iavldb "github.com/cosmos/iavl/db"

	"github.com/custody-ledger/custody/contracts"
)

// Failure is the panic value of a storage error under a contract: the disk
// or the database failed on this node. The abci package lets it halt the
// node (diverging from peers is worse) and recovers every other panic of a
// contract as a deterministic refusal.
type Failure struct {
	Op  string
	Key []byte
	Err error
}

func (f *Failure) Error() string { return fmt.Sprintf("store: iavl %s %x: %v", f.Op, f.Key, f.Err) }
func (f *Failure) Unwrap() error { return f.Err }

// IAVL is a contracts.Store over an IAVL mutable tree's working state.
//
// Storage errors panic: a validator whose disk fails must stop rather than
// compute a different state from its peers.
type IAVL struct {
	Tree *iavl.MutableTree
}

var _ contracts.Store = IAVL{}

func (s IAVL) Get(key []byte) []byte {
	v, err := s.Tree.Get(key)
	if err != nil {
		panic(&Failure{Op: "get", Key: key, Err: err})
	}
	return v
}

func (s IAVL) Has(key []byte) bool { return s.Get(key) != nil }

func (s IAVL) Set(key, value []byte) {
	if value == nil {
		panic("store: nil value")
	}
	if _, err := s.Tree.Set(key, value); err != nil {
		panic(&Failure{Op: "set", Key: key, Err: err})
	}
}

func (s IAVL) Delete(key []byte) {
	if _, _, err := s.Tree.Remove(key); err != nil {
		panic(&Failure{Op: "remove", Key: key, Err: err})
	}
}

func (s IAVL) Iterator(start, end []byte) contracts.Iterator { return s.iterator(start, end, true) }

func (s IAVL) ReverseIterator(start, end []byte) contracts.Iterator {
	return s.iterator(start, end, false)
}

func (s IAVL) iterator(start, end []byte, ascending bool) contracts.Iterator {
	it, err := s.Tree.Iterator(start, end, ascending)
	if err != nil {
		panic(&Failure{Op: "iterator", Err: err})
	}
	return it
}

// Immutable is a read-only contracts.Store over one saved IAVL version, for
// queries. Writes panic: a query must never change state.
type Immutable struct {
	Tree *iavl.ImmutableTree
}

var _ contracts.Store = Immutable{}

func (s Immutable) Get(key []byte) []byte {
	v, err := s.Tree.Get(key)
	if err != nil {
		panic(&Failure{Op: "get", Key: key, Err: err})
	}
	return v
}

func (s Immutable) Has(key []byte) bool { return s.Get(key) != nil }
func (s Immutable) Set(key, _ []byte) {
	panic(fmt.Sprintf("store: write %x to a read-only version", key))
}
func (s Immutable) Delete(key []byte) {
	panic(fmt.Sprintf("store: delete %x in a read-only version", key))
}

func (s Immutable) Iterator(start, end []byte) contracts.Iterator {
	return s.iterator(start, end, true)
}

func (s Immutable) ReverseIterator(start, end []byte) contracts.Iterator {
	return s.iterator(start, end, false)
}

func (s Immutable) iterator(start, end []byte, ascending bool) contracts.Iterator {
	it, err := s.Tree.Iterator(start, end, ascending)
	if err != nil {
		panic(&Failure{Op: "iterator", Err: err})
	}
	return it
}

// NewMem returns an IAVL store over a fresh in-memory tree: the real tree,
// without a disk, for tests and tools.
func NewMem() IAVL {
	return IAVL{Tree: iavl.NewMutableTree(iavldb.NewMemDB(), 10_000, true, iavl.NewNopLogger())}
}
