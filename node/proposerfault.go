package node

import (
	"context"
	"os"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"
)

// EnvProposerFault, set in custodyd's environment, is WithProposerFault's
// kind. Only the fault harness (testnet/fault) sets it: a validator that
// proposes invalid blocks is a Byzantine validator.
const EnvProposerFault = "CUSTODYD_FAULT_PROPOSER"

// Kinds of invalid proposals WithProposerFault makes.
const (
	// ProposerFaultBadTx adds a tx that does not decode.
	ProposerFaultBadTx = "bad-tx"
	// ProposerFaultOversize adds a tx larger than [tx] max_bytes.
	ProposerFaultOversize = "oversize"
)

// WithProposerFault makes the node's own proposals invalid (kind
// ProposerFaultBadTx or ProposerFaultOversize) by wrapping the
// application's PrepareProposal, to show that honest validators reject
// them in ProcessProposal. A production node never sets it; the fault
// harness does, through EnvProposerFault. Every such proposal is logged at
// error level, so a node running with it cannot pass unnoticed.
func WithProposerFault(kind string) Option { return func(o *options) { o.proposerFault = kind } }

// proposerFault is the application with a Byzantine PrepareProposal.
type proposerFault struct {
	abcitypes.Application
	kind     string
	maxBytes int
	logger   log.Logger
}

func (p *proposerFault) PrepareProposal(ctx context.Context, req *abcitypes.RequestPrepareProposal) (*abcitypes.ResponsePrepareProposal, error) {
	res, err := p.Application.PrepareProposal(ctx, req)
	if err != nil {
		return res, err
	}
	var bad []byte
	switch p.kind {
	case ProposerFaultOversize:
		bad = make([]byte, p.maxBytes+1)
		bad[0] = 0x0a
	default:
		bad = []byte("not a custody tx")
	}
	// Put it first, dropping from the end what no longer fits.
	txs := append([][]byte{bad}, res.Txs...)
	total := int64(0)
	for i, tx := range txs {
		total += int64(len(tx))
		if total > req.MaxTxBytes && i > 0 {
			txs = txs[:i]
			break
		}
	}
	p.logger.Error("FAULT INJECTION: proposing an invalid block", "height", req.Height, "kind", p.kind, "txs", len(txs), "env", EnvProposerFault)
	return &abcitypes.ResponsePrepareProposal{Txs: txs}, nil
}

func proposerFaultFromEnv() string { return os.Getenv(EnvProposerFault) }
