package contracts

// Store is the ordered key/value state a contract reads and writes. Keys and
// values are opaque bytes; iteration is in ascending (or, for
// ReverseIterator, descending) byte order of keys, which makes every range
// scan deterministic.
//
// A Store never returns an I/O error to a contract: a failing disk under a
// validator is not a property of the transaction, and the abci adapter halts
// the node (panics) rather than let it diverge from the others.
type Store interface {
	// Get returns the value at key, or nil if absent.
	Get(key []byte) []byte
	Has(key []byte) bool
	// Set writes value at key. value must not be nil.
	Set(key, value []byte)
	Delete(key []byte)
	// Iterator ranges over [start, end); a nil bound is open.
	Iterator(start, end []byte) Iterator
	// ReverseIterator ranges over [start, end) from the end.
	ReverseIterator(start, end []byte) Iterator
}

// Iterator walks a key range. Close it when done.
type Iterator interface {
	Valid() bool
	Next()
	Key() []byte
	Value() []byte
	Close() error
}

// PrefixEnd returns the smallest key greater than every key that starts
// with prefix, for use as an Iterator end bound (nil when there is none).
func PrefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
