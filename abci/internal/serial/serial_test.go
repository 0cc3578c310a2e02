package serial_test

import (
	"context"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/custody-ledger/custody/abci/internal/serial"
)

// blockingApp's FinalizeBlock waits until released, as a long block would.
type blockingApp struct {
	abcitypes.BaseApplication
	entered, release chan struct{}
}

func (a *blockingApp) FinalizeBlock(context.Context, *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	close(a.entered)
	<-a.release
	return &abcitypes.ResponseFinalizeBlock{}, nil
}

func (a *blockingApp) Query(context.Context, *abcitypes.RequestQuery) (*abcitypes.ResponseQuery, error) {
	return &abcitypes.ResponseQuery{Value: []byte("answered")}, nil
}

// TestWrap_QueryRunsBesideABlock: while FinalizeBlock holds the
// consensus mutex, Query answers; CheckTx waits for the block.
func TestWrap_QueryRunsBesideABlock(t *testing.T) {
	app := &blockingApp{entered: make(chan struct{}), release: make(chan struct{})}
	w := serial.Wrap(app)
	ctx := context.Background()
	blockDone := make(chan struct{})
	go func() {
		defer close(blockDone)
		if _, err := w.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{}); err != nil {
			t.Error(err)
		}
	}()
	<-app.entered
	res, err := w.Query(ctx, &abcitypes.RequestQuery{})
	if err != nil || string(res.Value) != "answered" {
		t.Fatalf("query during a block: %v %v", res, err)
	}
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		if _, err := w.CheckTx(ctx, &abcitypes.RequestCheckTx{}); err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-checked:
		t.Fatal("CheckTx ran during FinalizeBlock")
	default:
	}
	close(app.release)
	<-blockDone
	<-checked
}

func TestLatest(t *testing.T) {
	var l serial.Latest[int]
	if l.Load() != nil {
		t.Fatal("a value before any Store")
	}
	v := 7
	l.Store(&v)
	if got := l.Load(); got == nil || *got != 7 {
		t.Fatalf("Load = %v", got)
	}
}
