package risk

import (
	"hash/fnv"
	"slices"
)

// Groups maps accounts to their associated-account group. Accounts in no
// configured group form a group of their own. The group key is the unit of
// partitioning: all events of a group meet in one core, so cross-account
// rules (self-trade, concentration) see every account of the group.
type Groups struct {
	key     map[string]string   // account → group key
	members map[string][]string // group key → sorted accounts
}

// NewGroups builds the mapping from lists of associated accounts. An account
// listed in several lists joins the groups together.
func NewGroups(lists [][]string) *Groups {
	// Union-find over accounts, so overlapping lists merge.
	parent := map[string]string{}
	var find func(string) string
	find = func(a string) string {
		p, ok := parent[a]
		if !ok || p == a {
			parent[a] = a
			return a
		}
		r := find(p)
		parent[a] = r
		return r
	}
	for _, l := range lists {
		for _, a := range l[min(1, len(l)):] {
			ra, rb := find(l[0]), find(a)
			if ra != rb {
				if ra < rb {
					parent[rb] = ra
				} else {
					parent[ra] = rb
				}
			}
		}
		if len(l) == 1 {
			find(l[0])
		}
	}
	g := &Groups{key: map[string]string{}, members: map[string][]string{}}
	for _, a := range slices.Sorted(mapKeys(parent)) {
		k := "grp:" + find(a)
		g.key[a] = k
		g.members[k] = append(g.members[k], a)
	}
	return g
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Key returns the group key of account.
func (g *Groups) Key(account string) string {
	if g != nil {
		if k, ok := g.key[account]; ok {
			return k
		}
	}
	return account
}

// Members returns the accounts of the group with key k (nil for an
// unconfigured single account).
func (g *Groups) Members(k string) []string {
	if g == nil {
		return nil
	}
	return g.members[k]
}

// Lists returns the configured groups, each sorted, ordered by key.
func (g *Groups) Lists() [][]string {
	if g == nil {
		return nil
	}
	var out [][]string
	for _, k := range slices.Sorted(mapKeys(g.members)) {
		out = append(out, slices.Clone(g.members[k]))
	}
	return out
}

// Partition maps a group key to one of n partitions (FNV-1a). Owner and
// worker selection use disjoint parts of the hash; see Owner.
func Partition(key string, n int) int {
	if n <= 1 {
		return 0
	}
	return int(hashKey(key) % uint64(n))
}

func hashKey(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()
}

// Owner selects the share of the account key space one process owns: the
// group keys whose hash modulo Of equals Index. The zero value owns all.
type Owner struct {
	Index, Of int
}

// Owns reports whether the owner owns group key k.
func (o Owner) Owns(k string) bool {
	if o.Of <= 1 {
		return true
	}
	return int(hashKey(k)%uint64(o.Of)) == o.Index
}

// worker picks one of n workers for k using the hash bits above the owner's.
func (o Owner) worker(k string, n int) int {
	if n <= 1 {
		return 0
	}
	h := hashKey(k)
	if o.Of > 1 {
		h /= uint64(o.Of)
	}
	return int(h % uint64(n))
}

// Accepts reports whether the owner must apply input in: broadcast inputs
// (market data, ticks, parameters, security base data) go to every owner,
// the others to the owner of their account's group.
func (o Owner) Accepts(in *Input, g *Groups) bool {
	acct := in.Account()
	if acct == "" {
		return true
	}
	return o.Owns(g.Key(acct))
}
