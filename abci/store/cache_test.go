package store

import (
	"bytes"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/contracts"
)

// model is the obvious reference: a map plus sorting on demand.
type model map[string][]byte

func (m model) scan(start, end []byte, ascending bool) [][2]string {
	var keys []string
	for k := range m {
		if inRange([]byte(k), start, end) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if !ascending {
		slices.Reverse(keys)
	}
	var out [][2]string
	for _, k := range keys {
		out = append(out, [2]string{k, string(m[k])})
	}
	return out
}

func drain(it contracts.Iterator) [][2]string {
	defer it.Close()
	var out [][2]string
	for ; it.Valid(); it.Next() {
		out = append(out, [2]string{string(it.Key()), string(it.Value())})
	}
	return out
}

// TestCacheAgainstModel applies random operations to a Cache over a real
// IAVL tree and to the model, and compares reads and range scans, before and
// after Write, for a list of seeds.
func TestCacheAgainstModel(t *testing.T) {
	seeds := []int64{1, 2, 3, 42, 1337}
	if testing.Short() {
		seeds = seeds[:2]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			key := func() []byte { return []byte{byte(rng.Intn(4)), byte(rng.Intn(16))} }
			tree := NewMem()
			want := model{}
			for i := 0; i < 30; i++ { // some committed state below the cache
				k, v := key(), []byte(fmt.Sprint("p", i))
				tree.Set(k, v)
				want[string(k)] = v
			}
			for round := 0; round < 20; round++ {
				cache := NewCache(tree)
				next := clone(want)
				for op := 0; op < 40; op++ {
					k := key()
					switch rng.Intn(4) {
					case 0, 1:
						v := []byte(fmt.Sprint("r", round, "o", op))
						cache.Set(k, v)
						next[string(k)] = v
					case 2:
						cache.Delete(k)
						delete(next, string(k))
					case 3:
						require.Equal(t, next[string(k)], cache.Get(k), "get %x", k)
					}
				}
				start, end := key(), key()
				if bytes.Compare(start, end) > 0 {
					start, end = end, start
				}
				require.Equal(t, next.scan(start, end, true), drain(cache.Iterator(start, end)))
				require.Equal(t, next.scan(start, end, false), drain(cache.ReverseIterator(start, end)))
				require.Equal(t, next.scan(nil, nil, true), drain(cache.Iterator(nil, nil)))
				if rng.Intn(3) == 0 {
					continue // dropped: the tree must not have changed
				}
				cache.Write()
				want = next
				require.Equal(t, want.scan(nil, nil, true), drain(tree.Iterator(nil, nil)))
			}
			require.Equal(t, want.scan(nil, nil, true), drain(tree.Iterator(nil, nil)))
		})
	}
}

func clone(m model) model {
	out := model{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestCacheWriteOrderIsSorted: the same writes in a different order give the
// same IAVL root hash, because Write sorts.
func TestCacheWriteOrderIsSorted(t *testing.T) {
	hash := func(order []int) []byte {
		tree := NewMem()
		c := NewCache(tree)
		for _, i := range order {
			c.Set([]byte{byte(i)}, []byte{byte(i)})
		}
		c.Write()
		return tree.Tree.WorkingHash()
	}
	require.Equal(t, hash([]int{1, 2, 3, 4, 5, 6, 7, 8}), hash([]int{8, 3, 5, 1, 7, 2, 6, 4}))
}

func TestCacheDropLeavesParent(t *testing.T) {
	tree := NewMem()
	tree.Set([]byte("a"), []byte("1"))
	before := tree.Tree.WorkingHash()
	c := NewCache(tree)
	c.Set([]byte("b"), []byte("2"))
	c.Delete([]byte("a"))
	require.Nil(t, c.Get([]byte("a")))
	require.Equal(t, []byte("1"), tree.Get([]byte("a")))
	require.Equal(t, before, tree.Tree.WorkingHash())
}

func TestPrefixEnd(t *testing.T) {
	require.Equal(t, []byte{0x02}, contracts.PrefixEnd([]byte{0x01}))
	require.Equal(t, []byte{0x01, 0x03}, contracts.PrefixEnd([]byte{0x01, 0x02, 0xff}))
	require.Nil(t, contracts.PrefixEnd([]byte{0xff, 0xff}))
}

// TestCache_WriteIntoCache: a Cache written into a parent Cache leaves the
// parent as Set and Delete would have, and the child's later writes do not
// reach the parent's values (the moved entries are the parent's now).
func TestCache_WriteIntoCache(t *testing.T) {
	base := NewMem()
	base.Set([]byte("a"), []byte("1"))
	base.Set([]byte("b"), []byte("2"))
	parent := NewCache(base)
	parent.Set([]byte("c"), []byte("3"))
	child := NewCache(parent)
	v := []byte("x")
	child.Set([]byte("a"), v)
	v[0] = 'y' // Set copied it
	child.Delete([]byte("b"))
	child.Set([]byte("d"), []byte("4"))
	child.Write()
	if child.Len() != 0 {
		t.Fatalf("child keeps %d entries", child.Len())
	}
	child.Set([]byte("a"), []byte("z"))
	for k, want := range map[string]string{"a": "x", "b": "", "c": "3", "d": "4"} {
		if got := string(parent.Get([]byte(k))); got != want {
			t.Fatalf("parent %s = %q, want %q", k, got, want)
		}
	}
	parent.Write()
	if got := base.Get([]byte("b")); got != nil {
		t.Fatalf("b not deleted in the tree: %q", got)
	}
	if got := string(base.Get([]byte("a"))); got != "x" {
		t.Fatalf("a = %q in the tree", got)
	}
}
