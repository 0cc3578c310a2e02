package contracts

import (
	"cmp"
	"maps"
	"slices"
)

// sortedKeys returns a map's keys in ascending order. Contracts use maps for
// look-ups only; anything that reaches state goes through a sorted slice.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}
