package store

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk"
)

func openTest(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func alert(rule, acct string, ts time.Time, ev ...string) risk.Alert {
	a := risk.Alert{Rule: rule, Severity: risk.SeverityHigh, Accounts: []string{acct}, Time: ts, Evidence: ev, Status: risk.StatusOpen}
	a.ID = risk.AlertID(rule, a.Accounts, "", ev)
	return a
}

func TestStore_PutAlertsIsIdempotent(t *testing.T) {
	s := openTest(t, t.TempDir())
	t0 := time.Unix(1_750_000_000, 0).UTC()
	a1, a2 := alert("spoofing", "A", t0, "ev:1"), alert("self_trade", "B", t0.Add(time.Second), "ev:2", "ev:3")
	added, err := s.PutAlerts([]risk.Alert{a1, a2, a1})
	require.NoError(t, err)
	require.Len(t, added, 2)
	require.Equal(t, uint64(1), added[0].Seq)
	require.Equal(t, uint64(2), added[1].Seq)
	// Acknowledge, then replay the same alert: status and seq are kept.
	_, err = s.UpdateAlert(a1.ID, func(a *risk.Alert) error {
		return a.Transition(risk.StatusAcknowledged, "alice", t0, "")
	})
	require.NoError(t, err)
	added, err = s.PutAlerts([]risk.Alert{a1})
	require.NoError(t, err)
	require.Empty(t, added)
	got, err := s.GetAlert(a1.ID)
	require.NoError(t, err)
	require.Equal(t, risk.StatusAcknowledged, got.Status)
	require.Equal(t, "alice", got.History[0].Who)
	require.Equal(t, uint64(1), got.Seq)

	_, err = s.GetAlert("nope")
	require.ErrorIs(t, err, ErrNotFound)
	_, err = s.UpdateAlert(a2.ID, func(a *risk.Alert) error { a.Rule = "other"; return nil })
	require.Error(t, err, "anchored fields must not change")
	_, err = s.UpdateAlert(a2.ID, func(a *risk.Alert) error { return a.Transition(risk.StatusOpen, "x", t0, "") })
	require.ErrorIs(t, err, risk.ErrBadTransition)
}

func TestStore_ListAlertsFilters(t *testing.T) {
	s := openTest(t, t.TempDir())
	t0 := time.Unix(1_750_000_000, 0).UTC()
	var as []risk.Alert
	for i := 0; i < 10; i++ {
		rule := "large_order"
		if i%2 == 1 {
			rule = "spoofing"
		}
		as = append(as, alert(rule, []string{"A", "B"}[i%3%2], t0.Add(time.Duration(i)*time.Minute), risk.EventRef(uint64(i))))
	}
	_, err := s.PutAlerts(as)
	require.NoError(t, err)
	got, err := s.ListAlerts(Filter{Rule: "spoofing"})
	require.NoError(t, err)
	require.Len(t, got, 5)
	got, err = s.ListAlerts(Filter{From: t0.Add(3 * time.Minute), To: t0.Add(6 * time.Minute)})
	require.NoError(t, err)
	require.Len(t, got, 3)
	got, err = s.ListAlerts(Filter{AfterSeq: 8})
	require.NoError(t, err)
	require.Len(t, got, 2)
	got, err = s.ListAlerts(Filter{Account: "B", Limit: 2})
	require.NoError(t, err)
	require.Len(t, got, 2)
	for _, a := range got {
		require.Equal(t, "B", a.Accounts[0])
	}
}

func TestStore_CheckpointsInputsAndRetention(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	_, _, found, err := s.LoadCheckpoint("p0")
	require.NoError(t, err)
	require.False(t, found)
	require.NoError(t, s.SaveCheckpoint("p0", 7, []byte("state")))
	require.NoError(t, s.SaveCheckpoint("p0", 9, []byte("state2")))
	applied, st, found, err := s.LoadCheckpoint("p0")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, uint64(9), applied)
	require.Equal(t, "state2", string(st))

	t0 := time.Unix(1_750_000_000, 0).UTC()
	var ins []risk.Input
	for i := 1; i <= 100; i++ {
		ins = append(ins, risk.Input{Seq: uint64(i), Kind: risk.InputEvent, Event: &capture.Event{Seq: uint64(i),
			CaptureTime: t0.Add(time.Duration(i) * time.Second), Account: "A", Kind: capture.KindOrder}})
	}
	require.NoError(t, s.PutInputs(ins))
	require.NoError(t, s.PutInputs(ins[50:60])) // idempotent rewrite
	last, err := s.LastInputSeq()
	require.NoError(t, err)
	require.Equal(t, uint64(100), last)
	var seen []uint64
	require.NoError(t, s.InputsAfter(90, func(in risk.Input) error { seen = append(seen, in.Seq); return nil }))
	require.Equal(t, []uint64{91, 92, 93, 94, 95, 96, 97, 98, 99, 100}, seen)
	require.Equal(t, t0.Add(95*time.Second), ins[94].Event.CaptureTime)

	_, err = s.PutAlerts([]risk.Alert{alert("r", "A", t0.Add(10*time.Second), "ev:10"), alert("r", "A", t0.Add(80*time.Second), "ev:80")})
	require.NoError(t, err)
	ni, na, err := s.Retain(t0.Add(50 * time.Second))
	require.NoError(t, err)
	require.Equal(t, 49, ni)
	require.Equal(t, 1, na)
	seen = nil
	require.NoError(t, s.InputsAfter(0, func(in risk.Input) error { seen = append(seen, in.Seq); return nil }))
	require.Equal(t, uint64(50), seen[0])
	left, err := s.ListAlerts(Filter{})
	require.NoError(t, err)
	require.Len(t, left, 1)
	require.Equal(t, []string{"ev:80"}, left[0].Evidence)

	// Everything survives a reopen.
	require.NoError(t, s.Close())
	s2, err := Open(dir, Options{})
	require.NoError(t, err)
	defer s2.Close()
	last, err = s2.LastInputSeq()
	require.NoError(t, err)
	require.Equal(t, uint64(100), last)
}

func TestStore_ParamVersions(t *testing.T) {
	s := openTest(t, t.TempDir())
	p := risk.DefaultParams()
	require.NoError(t, s.PutParamVersion(risk.ParamVersion{Version: 1, Who: "boot", Params: p}))
	p.OrderRate.PerSecond = 200
	require.NoError(t, s.PutParamVersion(risk.ParamVersion{Version: 2, Who: "alice", Params: p}))
	require.NoError(t, s.PutParamVersion(risk.ParamVersion{Version: 2, Who: "mallory", Params: risk.DefaultParams()}))
	vs, err := s.ParamVersions()
	require.NoError(t, err)
	require.Len(t, vs, 2)
	require.Equal(t, "alice", vs[1].Who)
	require.Equal(t, int64(200), vs[1].Params.OrderRate.PerSecond)
	var rec struct{ X int }
	require.True(t, errors.Is(s.BatchRecord(1, &rec), ErrNotFound))
}

func TestStore_CountersAndLastInputOf(t *testing.T) {
	st, err := Open("", Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, err := st.Counter("ledger-height"); err != nil || v != 0 {
		t.Fatalf("unset counter %d %v", v, err)
	}
	if err := st.SetCounter("ledger-height", 42); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.Counter("ledger-height"); v != 42 {
		t.Fatalf("counter %d", v)
	}
	if _, found, err := st.LastInputOf(risk.InputEvent); found || err != nil {
		t.Fatalf("empty store: %v %v", found, err)
	}
	t0 := time.Date(2025, 7, 8, 1, 30, 0, 0, time.UTC)
	err = st.PutInputs([]risk.Input{
		{Seq: 1, Kind: risk.InputEvent, Event: &capture.Event{Seq: 7, CaptureTime: t0}},
		{Seq: 2, Kind: risk.InputEvent, Event: &capture.Event{Seq: 8, CaptureTime: t0}},
		{Seq: 3, Kind: risk.InputTick, Tick: t0},
	})
	if err != nil {
		t.Fatal(err)
	}
	in, found, err := st.LastInputOf(risk.InputEvent)
	if err != nil || !found || in.Seq != 2 || in.Event.Seq != 8 {
		t.Fatalf("last event input %+v %v %v", in, found, err)
	}
}
