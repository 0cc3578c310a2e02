package anchors_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/custody-ledger/custody/abci/store"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/anchors"
	"github.com/custody-ledger/custody/contracts/auth"
	"github.com/custody-ledger/custody/contracts/participants"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

func pubKey(name string) []byte {
	seed := sha256.Sum256([]byte("test key " + name))
	return ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
}

func hash32(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// env runs messages as the abci package does: the real IAVL tree, a Cache
// per message written through only on success.
type env struct {
	t      *testing.T
	mem    store.IAVL
	router *contracts.Router
	height int64
	events []contracts.Event
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, mem: store.NewMem(), router: contracts.NewRouter(anchors.Routes()...), height: 1}
	p := func(id string, role custodyv1.Role) *custodyv1.Participant {
		return &custodyv1.Participant{Id: id, Role: role, Name: id, PubKeys: [][]byte{pubKey(id)}}
	}
	if err := participants.InitGenesis(e.mem, []*custodyv1.Participant{
		p("risk-1", custodyv1.Role_ROLE_RISK_OPERATOR),
		p("risk-2", custodyv1.Role_ROLE_RISK_OPERATOR),
		p("regulator", custodyv1.Role_ROLE_REGULATOR),
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

func signer(id string, role custodyv1.Role) contracts.Signer {
	return contracts.Signer{Address: auth.Address(pubKey(id)), Role: role, Owner: id}
}

var (
	risk1     = signer("risk-1", custodyv1.Role_ROLE_RISK_OPERATOR)
	risk2     = signer("risk-2", custodyv1.Role_ROLE_RISK_OPERATOR)
	regulator = signer("regulator", custodyv1.Role_ROLE_REGULATOR)
)

// exec delivers msg as s. A refusal must leave no write in its cache and
// the tree's hash unchanged.
func (e *env) exec(s contracts.Signer, msg *custodyv1.Msg) ([]byte, error) {
	e.t.Helper()
	before := e.mem.Tree.WorkingHash()
	cache := store.NewCache(e.mem)
	ctx := contracts.NewContext(contracts.Block{ChainID: "test", Height: e.height,
		Time: time.Unix(1_700_000_000+e.height, 0).UTC()}, s, cache, hash32("tx"+string(rune(e.height))))
	e.height++
	data, err := e.router.Deliver(ctx, msg)
	if err != nil {
		if cache.Len() != 0 {
			e.t.Fatalf("refused message left %d writes: %v", cache.Len(), err)
		}
		if !bytes.Equal(before, e.mem.Tree.WorkingHash()) {
			e.t.Fatalf("refused message changed the tree: %v", err)
		}
		return nil, err
	}
	cache.Write()
	e.events = ctx.Events()
	for _, r := range contracts.CheckInvariants(e.mem, anchors.Invariants()) {
		if r.Broken {
			e.t.Fatalf("invariant %s broken: %s", r.Name, r.Msg)
		}
	}
	return data, nil
}

func batchMsg(seq, first, last, count uint64, params string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_AnchorAlertBatch{AnchorAlertBatch: &custodyv1.MsgAnchorAlertBatch{
		Seq: seq, FirstSeq: first, LastSeq: last, Count: count, Root: hash32("root" + string(rune(seq))),
		ParamsHash: hash32(params), FromUnixMs: 1_700_000_000_000, ToUnixMs: 1_700_000_060_000,
	}}}
}

func paramsMsg(version uint64, params string) *custodyv1.Msg {
	return &custodyv1.Msg{Sum: &custodyv1.Msg_AnchorRuleParams{AnchorRuleParams: &custodyv1.MsgAnchorRuleParams{
		Version: version, ParamsHash: hash32(params), ChangedBy: "ops-alice",
	}}}
}

func edit(m *custodyv1.Msg, fn func(*custodyv1.MsgAnchorAlertBatch)) *custodyv1.Msg {
	fn(m.GetAnchorAlertBatch())
	return m
}

// TestAnchors_Messages runs one script of messages in order; each step
// either succeeds or is refused with exactly its code, and a refusal
// changes nothing (exec checks).
func TestAnchors_Messages(t *testing.T) {
	e := newEnv(t)
	steps := []struct {
		name string
		as   contracts.Signer
		msg  *custodyv1.Msg
		want error
	}{
		{"batch before any params", risk1, batchMsg(1, 1, 10, 10, "p1"), anchors.ErrParamsNotAnchored},
		{"params by a regulator", regulator, paramsMsg(1, "p1"), contracts.ErrUnauthorizedRole},
		{"params v0", risk1, paramsMsg(0, "p1"), anchors.ErrStaleVersion},
		{"params without changed_by", risk1, &custodyv1.Msg{Sum: &custodyv1.Msg_AnchorRuleParams{AnchorRuleParams: &custodyv1.MsgAnchorRuleParams{Version: 1, ParamsHash: hash32("p1")}}}, anchors.ErrBadChangedBy},
		{"params with a short hash", risk1, &custodyv1.Msg{Sum: &custodyv1.Msg_AnchorRuleParams{AnchorRuleParams: &custodyv1.MsgAnchorRuleParams{Version: 1, ParamsHash: []byte{1}, ChangedBy: "x"}}}, anchors.ErrBadParamsHash},
		{"params v1", risk1, paramsMsg(1, "p1"), nil},
		{"params v1 again", risk1, paramsMsg(1, "p2"), anchors.ErrStaleVersion},
		{"batch by a regulator", regulator, batchMsg(1, 1, 10, 10, "p1"), contracts.ErrUnauthorizedRole},
		{"batch seq 0", risk1, batchMsg(0, 1, 10, 10, "p1"), anchors.ErrBadSeq},
		{"batch seq 2 first", risk1, batchMsg(2, 1, 10, 10, "p1"), anchors.ErrBadSeq},
		{"batch range not from 1", risk1, batchMsg(1, 2, 10, 9, "p1"), anchors.ErrRangeGap},
		{"batch range reversed", risk1, batchMsg(1, 10, 1, 1, "p1"), anchors.ErrBadRange},
		{"batch first seq 0", risk1, batchMsg(1, 0, 10, 1, "p1"), anchors.ErrBadRange},
		{"batch count 0", risk1, batchMsg(1, 1, 10, 0, "p1"), anchors.ErrBadRange},
		{"batch count above range", risk1, batchMsg(1, 1, 10, 11, "p1"), anchors.ErrBadRange},
		{"batch root of 31 bytes", risk1, edit(batchMsg(1, 1, 10, 10, "p1"), func(m *custodyv1.MsgAnchorAlertBatch) { m.Root = m.Root[:31] }), anchors.ErrBadRoot},
		{"batch zero root", risk1, edit(batchMsg(1, 1, 10, 10, "p1"), func(m *custodyv1.MsgAnchorAlertBatch) { m.Root = make([]byte, 32) }), anchors.ErrBadRoot},
		{"batch no params hash", risk1, edit(batchMsg(1, 1, 10, 10, "p1"), func(m *custodyv1.MsgAnchorAlertBatch) { m.ParamsHash = nil }), anchors.ErrBadParamsHash},
		{"batch time reversed", risk1, edit(batchMsg(1, 1, 10, 10, "p1"), func(m *custodyv1.MsgAnchorAlertBatch) { m.FromUnixMs = m.ToUnixMs + 1 }), anchors.ErrBadTimeRange},
		{"batch negative time", risk1, edit(batchMsg(1, 1, 10, 10, "p1"), func(m *custodyv1.MsgAnchorAlertBatch) { m.FromUnixMs = -1 }), anchors.ErrBadTimeRange},
		{"batch of unanchored params", risk1, batchMsg(1, 1, 10, 10, "p9"), anchors.ErrParamsNotAnchored},
		{"batch 1", risk1, batchMsg(1, 1, 10, 10, "p1"), nil},
		{"batch 1 again (standby)", risk1, batchMsg(1, 1, 10, 10, "p1"), anchors.ErrBadSeq},
		{"batch 2 with a gap", risk1, batchMsg(2, 12, 20, 9, "p1"), anchors.ErrRangeGap},
		{"batch 2 overlapping", risk1, batchMsg(2, 10, 20, 11, "p1"), anchors.ErrRangeGap},
		{"batch 2 of the other operator: its own numbering", risk2, batchMsg(2, 11, 20, 10, "p1"), anchors.ErrBadSeq},
		{"other operator cannot use risk-1's params", risk2, batchMsg(1, 1, 5, 5, "p1"), anchors.ErrParamsNotAnchored},
		{"batch 2, fewer alerts than the range (retention)", risk1, batchMsg(2, 11, 20, 7, "p1"), nil},
		{"params v3 (gap allowed)", risk1, paramsMsg(3, "p2"), nil},
		{"batch 3 under old params still allowed", risk1, batchMsg(3, 21, 21, 1, "p1"), nil},
		{"batch 4 under new params", risk1, batchMsg(4, 22, 30, 9, "p2"), nil},
		{"params back to p1 as v4", risk1, paramsMsg(4, "p1"), nil},
		{"risk-2 params v1", risk2, paramsMsg(1, "p1"), nil},
		{"risk-2 batch 1", risk2, batchMsg(1, 1, 5, 5, "p1"), nil},
	}
	for _, s := range steps {
		_, err := e.exec(s.as, s.msg)
		if s.want == nil && err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.want != nil && !errors.Is(err, s.want) {
			t.Fatalf("%s: got %v, want %v", s.name, err, s.want)
		}
	}

	last := anchors.LastBatch(e.mem, "risk-1")
	if last == nil || last.Seq != 4 || last.FirstSeq != 22 || last.LastSeq != 30 || last.Count != 9 {
		t.Fatalf("last batch %+v", last)
	}
	b2, err := anchors.GetBatch(e.mem, "risk-1", 2)
	if err != nil || b2.Count != 7 || b2.Operator != "risk-1" || b2.Signer != risk1.Address || b2.Height == 0 || b2.Time == 0 || len(b2.TxHash) != 32 {
		t.Fatalf("batch 2: %+v %v", b2, err)
	}
	if _, err := anchors.GetBatch(e.mem, "risk-1", 5); !errors.Is(err, anchors.ErrNotFound) {
		t.Fatalf("batch 5: %v", err)
	}
	if got := anchors.Batches(e.mem, "risk-1", 2, 2); len(got) != 2 || got[0].Seq != 2 || got[1].Seq != 3 {
		t.Fatalf("page from 2: %+v", got)
	}
	if got := anchors.Batches(e.mem, "risk-2", 0, 0); len(got) != 1 {
		t.Fatalf("risk-2 batches: %+v", got)
	}
	if v, ok := anchors.ParamsVersionOf(e.mem, "risk-1", hash32("p1")); !ok || v != 4 {
		t.Fatalf("p1 index: %d %v", v, ok)
	}
	if p := anchors.LastParams(e.mem, "risk-1"); p == nil || p.Version != 4 || p.ChangedBy != "ops-alice" {
		t.Fatalf("last params %+v", p)
	}
}

func TestAnchors_DataAndEvents(t *testing.T) {
	e := newEnv(t)
	if _, err := e.exec(risk1, paramsMsg(1, "p1")); err != nil {
		t.Fatal(err)
	}
	if len(e.events) != 1 || e.events[0].Type != "rule_params_anchored" {
		t.Fatalf("events %+v", e.events)
	}
	data, err := e.exec(risk1, batchMsg(1, 1, 3, 3, "p1"))
	if err != nil {
		t.Fatal(err)
	}
	// The result data is the stored record, byte for byte.
	if got := e.mem.Get(anchors.BatchKey("risk-1", 1)); !bytes.Equal(got, data) {
		t.Fatalf("data %x, stored %x", data, got)
	}
	b, err := anchors.DecodeBatch(data)
	if err != nil || !bytes.Equal(b.Root, hash32("root"+string(rune(1)))) || b.Height != e.height-1 {
		t.Fatalf("decoded %+v %v", b, err)
	}
	ev := e.events[0]
	if ev.Type != "alert_batch_anchored" || len(ev.Attrs) != 7 || ev.Attrs[0].Value != "risk-1" || ev.Attrs[5].Value != b.Root.String() {
		t.Fatalf("event %+v", ev)
	}
}

// TestRecord_RoundTripAndRefusals: Encode and Decode are inverse, and any
// truncation, extension or other format byte is refused.
func TestRecord_RoundTripAndRefusals(t *testing.T) {
	b := &anchors.Batch{Operator: "risk-1", Seq: 7, FirstSeq: 61, LastSeq: 70, Count: 10, Root: hash32("r"),
		ParamsHash: hash32("p"), FromUnixMs: 1, ToUnixMs: 2, Height: 99, Time: -5, TxHash: hash32("t"), Signer: "ab"}
	p := &anchors.Params{Operator: "risk-1", Version: 3, ParamsHash: hash32("p"), ChangedBy: "ops", Height: 4, Time: 5, TxHash: hash32("t"), Signer: "cd"}
	enc := map[string][]byte{"batch": b.Encode(), "params": p.Encode()}
	dec := map[string]func([]byte) (any, error){
		"batch":  func(v []byte) (any, error) { return anchors.DecodeBatch(v) },
		"params": func(v []byte) (any, error) { return anchors.DecodeParams(v) },
	}
	gotB, err := anchors.DecodeBatch(enc["batch"])
	if err != nil || !bytes.Equal(gotB.Encode(), enc["batch"]) || gotB.Time != -5 || gotB.Operator != "risk-1" {
		t.Fatalf("batch round trip %+v %v", gotB, err)
	}
	gotP, err := anchors.DecodeParams(enc["params"])
	if err != nil || !bytes.Equal(gotP.Encode(), enc["params"]) || gotP.ChangedBy != "ops" {
		t.Fatalf("params round trip %+v %v", gotP, err)
	}
	for _, kind := range []string{"batch", "params"} {
		v := enc[kind]
		bad := [][]byte{nil, v[:1], v[:len(v)-1], append(append([]byte(nil), v...), 0), append([]byte{2}, v[1:]...)}
		for i, x := range bad {
			if _, err := dec[kind](x); !errors.Is(err, anchors.ErrBadRecord) {
				t.Errorf("%s case %d: %v", kind, i, err)
			}
		}
	}
}

// TestInvariants_DetectCorruption breaks anchor state behind the
// contract's back, one way per case, and checks the named invariant sees it.
func TestInvariants_DetectCorruption(t *testing.T) {
	world := func(t *testing.T) *env {
		e := newEnv(t)
		for _, m := range []*custodyv1.Msg{paramsMsg(1, "p1"), batchMsg(1, 1, 10, 10, "p1"), batchMsg(2, 11, 12, 2, "p1"), paramsMsg(2, "p2")} {
			if _, err := e.exec(risk1, m); err != nil {
				t.Fatal(err)
			}
		}
		return e
	}
	put := func(e *env, b *anchors.Batch) { e.mem.Set(anchors.BatchKey(b.Operator, b.Seq), b.Encode()) }
	cases := []struct {
		invariant string
		corrupt   func(e *env)
	}{
		{"anchors/batches-consecutive", func(e *env) { e.mem.Delete(anchors.BatchKey("risk-1", 1)) }},
		{"anchors/batches-consecutive", func(e *env) {
			b, _ := anchors.GetBatch(e.mem, "risk-1", 2)
			b.FirstSeq = 12
			put(e, b)
		}},
		{"anchors/batches-consecutive", func(e *env) {
			b, _ := anchors.GetBatch(e.mem, "risk-1", 2)
			b.Seq = 3
			put(e, b)
		}},
		{"anchors/batches-consecutive", func(e *env) { e.mem.Set(anchors.BatchKey("risk-1", 3), []byte{1, 2}) }},
		{"anchors/batches-consecutive", func(e *env) { e.mem.Delete(anchors.ParamsHashKey("risk-1", hash32("p1"))) }},
		{"anchors/params-index", func(e *env) { e.mem.Delete(anchors.ParamsHashKey("risk-1", hash32("p2"))) }},
		{"anchors/params-index", func(e *env) {
			e.mem.Set(anchors.ParamsHashKey("risk-1", hash32("p3")), []byte{0, 0, 0, 0, 0, 0, 0, 2})
		}},
	}
	for i, tc := range cases {
		t.Run(tc.invariant, func(t *testing.T) {
			e := world(t)
			tc.corrupt(e)
			for _, r := range contracts.CheckInvariants(e.mem, anchors.Invariants()) {
				if r.Name == tc.invariant && !r.Broken {
					t.Fatalf("case %d: %s did not notice: %s", i, r.Name, r.Msg)
				}
			}
		})
	}
}

// TestKeys_OperatorsStayApart: operator ids that are prefixes of each other
// keep their batches apart (the length byte), and key ranges are ordered.
func TestKeys_OperatorsStayApart(t *testing.T) {
	if bytes.HasPrefix(anchors.BatchKey("risk-10", 1), anchors.BatchesPrefix("risk-1")) {
		t.Fatal("risk-10's batch lies in risk-1's range")
	}
	if bytes.Compare(anchors.BatchKey("r", 2), anchors.BatchKey("r", 256)) >= 0 {
		t.Fatal("batch keys do not sort by number")
	}
	for _, k := range [][]byte{anchors.BatchKey("r", 1), anchors.ParamsKey("r", 1), anchors.ParamsHashKey("r", hash32("x"))} {
		if k[0] != contracts.PrefixAnchor {
			t.Fatalf("key %x outside the anchor prefix", k)
		}
	}
}
