package risk

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// withFinalTick ends a stream as the Runner does when its source ends: a
// tick at the last time seen brings every partition's clock there.
func withFinalTick(inputs []Input) []Input {
	var last Input
	for _, in := range inputs {
		if tm := in.Time(); tm.After(last.Tick) {
			last.Tick = tm
		}
	}
	last.Kind = InputTick
	return append(slices.Clone(inputs), last)
}

func runCore(t *testing.T, p Params, g *Groups, inputs []Input) []Alert {
	t.Helper()
	inputs = withFinalTick(inputs)
	c := NewCore(p, g)
	var out []Alert
	for _, in := range inputs {
		out = append(out, c.Step(in)...)
	}
	return out
}

func ids(as []Alert) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Rule + " " + a.ID
	}
	return out
}

// scenarioInputs replays every datadriven script and returns its inputs.
func scenarioInputs(t *testing.T) map[string]*scenario {
	t.Helper()
	files, err := filepath.Glob("testdata/rules/*.txt")
	require.NoError(t, err)
	out := map[string]*scenario{}
	for _, f := range files {
		out[f] = runScript(t, f)
	}
	return out
}

// Metamorphic: checkpointing and restoring into a fresh core at any point
// of the stream changes nothing, and replaying inputs already applied is
// ignored.
func TestCore_CheckpointRestoreAnywhere(t *testing.T) {
	for name, sc := range scenarioInputs(t) {
		g := NewGroups(sc.lists)
		want := ids(runCore(t, sc.initial, g, sc.inputs))
		require.NotEmpty(t, want, name)
		for _, cut := range []int{1, len(sc.inputs) / 3, len(sc.inputs) / 2, len(sc.inputs) - 1} {
			c := NewCore(sc.initial, g)
			var got []Alert
			for _, in := range sc.inputs[:cut] {
				got = append(got, c.Step(in)...)
			}
			b, err := c.Checkpoint()
			require.NoError(t, err)
			c2 := NewCore(sc.initial, g)
			require.NoError(t, c2.Restore(b))
			require.Equal(t, uint64(cut), c2.Applied())
			// Replay from the start: what was applied is skipped.
			for _, in := range withFinalTick(sc.inputs) {
				got = append(got, c2.Step(in)...)
			}
			require.Equal(t, want, ids(got), "%s cut at %d", name, cut)
		}
	}
}

// Metamorphic: two owners of half the key space each, together, raise
// exactly the alerts of one core that sees everything.
func TestCore_TwoOwnersEqualOne(t *testing.T) {
	for name, sc := range scenarioInputs(t) {
		g := NewGroups(sc.lists)
		all := runCore(t, sc.initial, g, sc.inputs)
		var union []Alert
		for i := 0; i < 2; i++ {
			o := Owner{Index: i, Of: 2}
			var mine []Input
			for _, in := range sc.inputs {
				if o.Accepts(&in, g) {
					mine = append(mine, in)
				}
			}
			union = append(union, runCore(t, sc.initial, g, mine)...)
		}
		SortAlerts(all)
		SortAlerts(union)
		require.Equal(t, ids(all), ids(union), name)
	}
}

func TestCore_SameInputsSameAlerts(t *testing.T) {
	for name, sc := range scenarioInputs(t) {
		g := NewGroups(sc.lists)
		a := runCore(t, sc.initial, g, sc.inputs)
		b := runCore(t, sc.initial, g, slices.Clone(sc.inputs))
		require.Equal(t, a, b, name)
	}
}

func TestParams_ValidateNamesField(t *testing.T) {
	p := DefaultParams()
	require.NoError(t, p.Validate())
	err := p.Set(RuleOrderRate, []byte(`{"per_second":0}`))
	require.ErrorIs(t, err, ErrInvalidParams)
	require.ErrorContains(t, err, "order_rate.per_second")
	require.Equal(t, int64(300), p.OrderRate.PerSecond, "a refused change leaves params as they were")
	require.ErrorIs(t, p.Set(RuleOrderRate, []byte(`{"per_sec":5}`)), ErrInvalidParams)
	require.ErrorIs(t, p.Set("nope", []byte(`{}`)), ErrUnknownRule)
	require.ErrorIs(t, p.Set(RuleOffHours, []byte(`{"sessions":["15:00-09:00"]}`)), ErrInvalidParams)
	h := p.Hash()
	require.NoError(t, p.Set(RuleSpoofing, []byte(`{"per_day":4}`)))
	require.NotEqual(t, h, p.Hash())
	require.Equal(t, DefaultParams().Hash(), DefaultParams().Hash())
}

func TestAlert_Lifecycle(t *testing.T) {
	a := Alert{Status: StatusOpen}
	when := timeOf(1)
	require.ErrorIs(t, a.Transition(StatusAcknowledged, "", when, ""), ErrNoActor)
	require.NoError(t, a.Transition(StatusAcknowledged, "alice", when, "looking"))
	require.NoError(t, a.Transition(StatusEscalated, "bob", when, ""))
	require.NoError(t, a.Transition(StatusClosed, "carol", when, "false positive"))
	require.ErrorIs(t, a.Transition(StatusOpen, "dave", when, ""), ErrBadTransition)
	require.Len(t, a.History, 3)
	require.Equal(t, "bob", a.History[1].Who)
}

func TestGroups_MergeOverlappingLists(t *testing.T) {
	g := NewGroups([][]string{{"b", "c"}, {"c", "d"}, {"x", "y"}})
	require.Equal(t, g.Key("b"), g.Key("d"))
	require.NotEqual(t, g.Key("b"), g.Key("x"))
	require.Equal(t, "z", g.Key("z"))
	require.Equal(t, []string{"b", "c", "d"}, g.Members(g.Key("c")))
}
