package client

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
)

// statusNode answers CometBFT's status call with a height it is told.
func statusNode(t *testing.T, height *atomic.Int64) *rpchttp.HTTP {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req rpctypes.RPCRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		res := &ctypes.ResultStatus{SyncInfo: ctypes.SyncInfo{LatestBlockHeight: height.Load()}}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(rpctypes.NewRPCSuccessResponse(req.ID, res))
	}))
	t.Cleanup(srv.Close)
	c, err := rpchttp.New(srv.URL, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestVerifier_WaitHeightWaitsForWitnesses: a header the primary has but a
// witness does not yet is asked of the light client only once the witness
// has it too (else the light client sleeps 30 s), and a witness stuck
// behind delays a read by witnessWait at most.
func TestVerifier_WaitHeightWaitsForWitnesses(t *testing.T) {
	var ph, wh atomic.Int64
	ph.Store(5)
	wh.Store(4)
	v := &Verifier{primary: statusNode(t, &ph), witnesses: []*rpchttp.HTTP{statusNode(t, &wh)},
		poll: 10 * time.Millisecond, witnessWait: 2 * time.Second}
	go func() {
		time.Sleep(300 * time.Millisecond)
		wh.Store(5)
	}()
	t0 := time.Now()
	if err := v.waitHeight(t.Context(), 5); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d < 250*time.Millisecond || d > 1500*time.Millisecond {
		t.Fatalf("waited %s for a witness that caught up after 300ms", d)
	}

	ph.Store(6)
	t0 = time.Now()
	if err := v.waitHeight(t.Context(), 6); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d < 2*time.Second || d > 3500*time.Millisecond {
		t.Fatalf("waited %s for a witness stuck behind, want about witnessWait (2s)", d)
	}
}
