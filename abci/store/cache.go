package store

import (
	"bytes"
	"maps"
	"slices"

	"github.com/custody-ledger/custody/contracts"
)

// Cache buffers writes over a parent Store. Reads see the buffered writes
// first, then the parent. Write flushes the buffer to the parent in
// ascending key order; dropping the Cache discards it.
type Cache struct {
	parent contracts.Store
	dirty  map[string]entry
}

type entry struct {
	value   []byte
	deleted bool
}

var _ contracts.Store = (*Cache)(nil)

// NewCache returns an empty buffer over parent.
func NewCache(parent contracts.Store) *Cache {
	return &Cache{parent: parent, dirty: map[string]entry{}}
}

func (c *Cache) Get(key []byte) []byte {
	if e, ok := c.dirty[string(key)]; ok {
		if e.deleted {
			return nil
		}
		return e.value
	}
	return c.parent.Get(key)
}

func (c *Cache) Has(key []byte) bool { return c.Get(key) != nil }

func (c *Cache) Set(key, value []byte) {
	if value == nil {
		panic("store: nil value")
	}
	c.dirty[string(key)] = entry{value: slices.Clone(value)}
}

func (c *Cache) Delete(key []byte) { c.dirty[string(key)] = entry{deleted: true} }

// Len is the number of buffered writes and deletes.
func (c *Cache) Len() int { return len(c.dirty) }

// Write flushes every buffered change to the parent in ascending key order
// and empties the buffer.
//
// When the parent is itself a Cache (a tx's message cache over its
// authentication cache, that over the check state), the entries move into
// the parent's map as they are: a map has no order to respect, and the
// values are already private copies that this Cache gives up, so neither
// the sort nor a second copy of each value is needed. The parent ends
// exactly as if each entry had been Set or Deleted in key order.
func (c *Cache) Write() {
	if p, ok := c.parent.(*Cache); ok {
		maps.Copy(p.dirty, c.dirty) // keys are unique: no order can matter
		clear(c.dirty)
		return
	}
	for _, k := range c.sortedKeys(nil, nil) {
		e := c.dirty[k]
		if e.deleted {
			c.parent.Delete([]byte(k))
		} else {
			c.parent.Set([]byte(k), e.value)
		}
	}
	clear(c.dirty)
}

// sortedKeys returns the buffered keys within [start, end), ascending.
func (c *Cache) sortedKeys(start, end []byte) []string {
	keys := slices.Sorted(maps.Keys(c.dirty))
	return slices.DeleteFunc(keys, func(k string) bool { return !inRange([]byte(k), start, end) })
}

func inRange(k, start, end []byte) bool {
	return (start == nil || bytes.Compare(k, start) >= 0) && (end == nil || bytes.Compare(k, end) < 0)
}

func (c *Cache) Iterator(start, end []byte) contracts.Iterator {
	return c.merge(c.parent.Iterator(start, end), c.sortedKeys(start, end), true)
}

func (c *Cache) ReverseIterator(start, end []byte) contracts.Iterator {
	keys := c.sortedKeys(start, end)
	slices.Reverse(keys)
	return c.merge(c.parent.ReverseIterator(start, end), keys, false)
}

// merge walks the parent's keys and the buffered keys together, the buffer
// winning on equal keys and deleted keys skipped. The buffered keys are a
// snapshot taken when the iterator is made.
func (c *Cache) merge(parent contracts.Iterator, keys []string, ascending bool) contracts.Iterator {
	vals := make([]entry, len(keys))
	for i, k := range keys {
		vals[i] = c.dirty[k]
	}
	it := &mergeIterator{parent: parent, keys: keys, vals: vals, ascending: ascending}
	it.settle()
	return it
}

type mergeIterator struct {
	parent    contracts.Iterator
	keys      []string
	vals      []entry
	ascending bool

	key, value []byte
	valid      bool
}

// before reports whether a comes before b in the iteration order.
func (it *mergeIterator) before(a, b []byte) bool {
	if it.ascending {
		return bytes.Compare(a, b) < 0
	}
	return bytes.Compare(a, b) > 0
}

// settle positions the iterator on the next visible key.
func (it *mergeIterator) settle() {
	for {
		pv := it.parent.Valid()
		cv := len(it.keys) > 0
		switch {
		case !pv && !cv:
			it.valid = false
			return
		case pv && (!cv || it.before(it.parent.Key(), []byte(it.keys[0]))):
			it.key, it.value, it.valid = it.parent.Key(), it.parent.Value(), true
			return
		default:
			ck, cval := []byte(it.keys[0]), it.vals[0]
			if pv && bytes.Equal(it.parent.Key(), ck) {
				it.parent.Next() // the buffer shadows the parent
			}
			if cval.deleted {
				it.keys, it.vals = it.keys[1:], it.vals[1:]
				continue
			}
			it.key, it.value, it.valid = ck, cval.value, true
			return
		}
	}
}

func (it *mergeIterator) Valid() bool { return it.valid }

func (it *mergeIterator) Next() {
	if !it.valid {
		return
	}
	if len(it.keys) > 0 && bytes.Equal(it.key, []byte(it.keys[0])) {
		it.keys, it.vals = it.keys[1:], it.vals[1:]
	} else {
		it.parent.Next()
	}
	it.settle()
}

func (it *mergeIterator) Key() []byte   { return it.key }
func (it *mergeIterator) Value() []byte { return it.value }
func (it *mergeIterator) Close() error  { return it.parent.Close() }
