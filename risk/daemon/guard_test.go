package daemon

import (
	"testing"

	"github.com/custody-ledger/custody/capture"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/store"
)

// A replayed report or re-read row is admitted once per store, across
// guards (processes): its mark is persisted with its input.
func TestReplayGuard_AdmitsEachReplayableEventOnce(t *testing.T) {
	st, err := store.Open("", store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eps := []string{"127.0.0.1:9100", "127.0.0.1:9200"}
	szse := func(idx int64, client string) *capture.Event {
		return &capture.Event{Market: capture.MarketSZSE, Kind: capture.KindFill, ReportIndex: idx, PartitionNo: 1,
			Stream: "127.0.0.1:9100->127.0.0.1:" + client}
	}
	sse := func(kind capture.Kind, rec int64, client string) *capture.Event {
		return &capture.Event{Market: capture.MarketSSE, Kind: kind, RecNum: rec, ClOrdID: "R1", ExecID: "CJ1",
			Stream: "127.0.0.1:" + client + "->127.0.0.1:9200"}
	}
	order := &capture.Event{Market: capture.MarketSZSE, Kind: capture.KindOrder, Stream: "127.0.0.1:50000->127.0.0.1:9100"}
	events := []*capture.Event{szse(1, "50000"), szse(2, "50000"), sse(capture.KindOrder, 7, "50001"),
		sse(capture.KindConfirm, 7, "50001"), sse(capture.KindFill, 0, "50001"), order}

	g := newReplayGuard(st, eps)
	ms := markingStore{st, g}
	var ins []risk.Input
	for i, e := range events {
		if ok, err := g.admit(e); !ok || err != nil {
			t.Fatalf("event %d: first sight refused: %v", i, err)
		}
		ins = append(ins, risk.Input{Seq: uint64(i + 1), Kind: risk.InputEvent, Event: e})
	}
	// Before the inputs are persisted the guard remembers them itself.
	if ok, _ := g.admit(szse(1, "50002")); ok {
		t.Fatal("a replay within the same flush was admitted")
	}
	if err := ms.PutInputs(ins); err != nil {
		t.Fatal(err)
	}

	// A new process: the replays arrive on new connections (other client
	// ports) and are refused; new reports and never-replayed orders pass.
	g2 := newReplayGuard(st, eps)
	for i, e := range []*capture.Event{szse(1, "51000"), szse(2, "51000"), sse(capture.KindOrder, 7, "51001"),
		sse(capture.KindConfirm, 7, "51001"), sse(capture.KindFill, 0, "51001")} {
		if ok, err := g2.admit(e); ok || err != nil {
			t.Fatalf("replay %d admitted: %v", i, err)
		}
	}
	for i, e := range []*capture.Event{szse(3, "51000"), sse(capture.KindOrder, 8, "51001"), sse(capture.KindCancel, 9, "51001"), order} {
		if ok, err := g2.admit(e); !ok || err != nil {
			t.Fatalf("new event %d refused: %v", i, err)
		}
	}
}
