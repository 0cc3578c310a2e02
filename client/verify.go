package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/light/provider"
	lighthttp "github.com/cometbft/cometbft/light/provider/http"
	lightdb "github.com/cometbft/cometbft/light/store/db"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cometbft/cometbft/types"

	"github.com/custody-ledger/custody/proof"
)

// QueryPathKey is the ABCI query path of a raw state key: data is the key,
// the answer is its value and, with prove, an ICS23 proof in ProofOps.
const QueryPathKey = proof.PathStoreKey

// DefaultTrustPeriod is the light client's trusting period when
// LightConfig.TrustPeriod is zero.
const DefaultTrustPeriod = 168 * time.Hour

// Errors of proof verification. Each names the call that returns it.
var (
	// ErrNoWitness: NewVerifier without a witness other than the primary.
	ErrNoWitness = errors.New("client: the light client needs at least one witness besides the primary")
	// ErrNoTrustRoot: NewVerifier without a trusted height and hash, and no
	// headers in its store to start from.
	ErrNoTrustRoot = errors.New("client: no trusted header: give a trusted height and hash")
	// ErrProof: ProvenQuery got an answer whose proof does not hold against
	// the verified header: the node lied or the proof is broken.
	ErrProof = errors.New("client: proof does not verify")
)

// LightConfig says where a Verifier gets headers and what it trusts.
type LightConfig struct {
	ChainID string
	// Primary is the RPC address headers come from.
	Primary string
	// Witnesses are RPC addresses of other nodes; every header from the
	// primary is cross-checked against them. At least one is required.
	Witnesses []string
	// TrustHeight and TrustHash pin the root of trust: a header the user got
	// from a source they trust (for the testnet, one they pinned). They may
	// be zero when the store already holds verified headers.
	TrustHeight int64
	TrustHash   []byte
	// TrustPeriod is how long a verified header may serve as a base for
	// verifying later ones. Zero means DefaultTrustPeriod.
	TrustPeriod time.Duration
	// DB keeps verified headers between runs; nil keeps them in memory.
	// A Verifier owns it (Close closes it); when NewVerifier fails, the
	// caller still does.
	DB dbm.DB
	// Logger is CometBFT's logger for the light client; nil is silent.
	Logger cmtlog.Logger
}

// Verifier hands out headers it has verified with CometBFT's light client
// (signatures of the trusted validator set, cross-checked with witnesses).
type Verifier struct {
	// mu serialises the light client: CometBFT's light.Client is not safe
	// for concurrent verification (its trusted store and bisection race).
	mu      sync.Mutex
	lc      *light.Client
	primary *rpchttp.HTTP
	// witnesses are the witnesses' RPC clients, for their heights only
	// (waitHeight); the light client talks to them itself.
	witnesses   []*rpchttp.HTTP
	db          dbm.DB
	poll        time.Duration
	witnessWait time.Duration
}

// DefaultWitnessWait bounds how long Header waits for the witnesses to
// reach a height the primary has (see waitHeight).
const DefaultWitnessWait = 5 * time.Second

// NewVerifier starts a light client over cfg's primary and witnesses.
func NewVerifier(ctx context.Context, cfg LightConfig) (*Verifier, error) {
	if cfg.ChainID == "" || cfg.Primary == "" {
		return nil, errors.New("client: light client needs a chain id and a primary")
	}
	var witnesses []provider.Provider
	var witnessRPCs []*rpchttp.HTTP
	for _, w := range cfg.Witnesses {
		if w == "" || w == cfg.Primary {
			continue
		}
		p, err := lighthttp.New(cfg.ChainID, w)
		if err != nil {
			return nil, fmt.Errorf("client: witness %s: %w", w, err)
		}
		witnesses = append(witnesses, p)
		wrpc, err := rpchttp.New(w, "/websocket")
		if err != nil {
			return nil, fmt.Errorf("client: witness %s: %w", w, err)
		}
		witnessRPCs = append(witnessRPCs, wrpc)
	}
	if len(witnesses) == 0 {
		return nil, ErrNoWitness
	}
	primary, err := lighthttp.New(cfg.ChainID, cfg.Primary)
	if err != nil {
		return nil, fmt.Errorf("client: primary %s: %w", cfg.Primary, err)
	}
	rpc, err := rpchttp.New(cfg.Primary, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("client: primary %s: %w", cfg.Primary, err)
	}
	db := cfg.DB
	if db == nil {
		db = dbm.NewMemDB()
	}
	period := cfg.TrustPeriod
	if period == 0 {
		period = DefaultTrustPeriod
	}
	logger := cfg.Logger
	if logger == nil {
		logger = cmtlog.NewNopLogger()
	}
	store := lightdb.New(db, cfg.ChainID)
	opts := []light.Option{light.Logger(logger)}
	var lc *light.Client
	if cfg.TrustHeight > 0 || len(cfg.TrustHash) > 0 {
		lc, err = light.NewClient(ctx, cfg.ChainID,
			light.TrustOptions{Period: period, Height: cfg.TrustHeight, Hash: cfg.TrustHash},
			primary, witnesses, store, opts...)
	} else {
		if h, _ := store.LastLightBlockHeight(); h <= 0 {
			return nil, ErrNoTrustRoot
		}
		lc, err = light.NewClientFromTrustedStore(cfg.ChainID, period, primary, witnesses, store, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("client: light client: %w", err)
	}
	return &Verifier{lc: lc, primary: rpc, witnesses: witnessRPCs, db: db, poll: DefaultPollInterval, witnessWait: DefaultWitnessWait}, nil
}

// Header returns the header at height after verifying it, waiting (until ctx
// ends) for the primary to reach that height.
func (v *Verifier) Header(ctx context.Context, height int64) (*types.SignedHeader, error) {
	if err := v.waitHeight(ctx, height); err != nil {
		return nil, err
	}
	v.mu.Lock()
	lb, err := v.lc.VerifyLightBlockAtHeight(ctx, height, time.Now())
	v.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("client: verify header %d: %w", height, err)
	}
	return lb.SignedHeader, nil
}

// waitHeight polls the primary until it has a block at height: asking the
// light client for a header not yet made would count against the primary.
// It then gives the witnesses up to witnessWait to reach that height too:
// CometBFT's light client, cross-checking a header that a witness does not
// have yet, sleeps 2 × max clock drift + max block lag (30 s by default)
// before it asks again, so a read of the newest state would often stall
// for 30 s on a witness one block behind. A witness still behind after
// the wait is left to the light client.
func (v *Verifier) waitHeight(ctx context.Context, height int64) error {
	tick := time.NewTicker(v.poll)
	defer tick.Stop()
	for {
		st, err := v.primary.Status(ctx)
		if err == nil && st.SyncInfo.LatestBlockHeight >= height {
			v.waitWitnesses(ctx, height)
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("client: waiting for height %d: %w (last error: %w)", height, ctx.Err(), err)
			}
			return fmt.Errorf("client: waiting for height %d: %w", height, ctx.Err())
		case <-tick.C:
		}
	}
}

// waitWitnesses polls each witness until it has a block at height, for at
// most witnessWait in all.
func (v *Verifier) waitWitnesses(ctx context.Context, height int64) {
	ctx, cancel := context.WithTimeout(ctx, v.witnessWait)
	defer cancel()
	for _, w := range v.witnesses {
		for {
			st, err := w.Status(ctx)
			if err == nil && st.SyncInfo.LatestBlockHeight >= height {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(v.poll):
			}
		}
	}
}

// TrustedHeight is the height of the latest header the verifier trusts.
func (v *Verifier) TrustedHeight() (int64, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.lc.LastTrustedHeight()
}

// Close closes the light client's store (LightConfig.DB), keeping the
// verified headers in it.
func (v *Verifier) Close() error { return v.db.Close() }

// Proven is a value read with a proof that held against a verified header.
type Proven struct {
	Key []byte
	// Value is nil when the proof shows the key is absent.
	Value []byte
	// Height is the state version the value is from: the state after block
	// Height.
	Height int64
	// Header is the verified header at Height+1, whose AppHash commits to
	// that state.
	Header *types.SignedHeader
}

// ProvenQuery reads the raw state key through c's node with a proof, gets
// the header that commits to that state through v (from other nodes, if v's
// primary is another node), and checks the proof against its AppHash. It
// returns only what the proof holds: a lying node gets ErrProof.
func (c *Client) ProvenQuery(ctx context.Context, v *Verifier, key []byte) (*Proven, error) {
	return c.ProvenQueryAt(ctx, v, key, 0)
}

// ProvenQueryAt is ProvenQuery of the state version height (0: the latest
// committed one). Reading several keys at one height gives a consistent view.
func (c *Client) ProvenQueryAt(ctx context.Context, v *Verifier, key []byte, height int64) (*Proven, error) {
	res, err := c.Query(ctx, QueryPathKey, key, height, true)
	if err != nil {
		return nil, err
	}
	if res.ProofOps == nil || len(res.ProofOps.Ops) == 0 {
		return nil, fmt.Errorf("%w: the node sent no proof for %X", ErrProof, key)
	}
	if res.Key != nil && !bytes.Equal(res.Key, key) {
		return nil, fmt.Errorf("%w: asked for key %X, answer is for %X", ErrProof, key, res.Key)
	}
	if res.Height <= 0 || (height != 0 && res.Height != height) {
		return nil, fmt.Errorf("%w: asked for height %d, answer is for %d", ErrProof, height, res.Height)
	}
	header, err := v.Header(ctx, res.Height+1)
	if err != nil {
		return nil, err
	}
	var value []byte
	if len(res.Value) > 0 {
		value = res.Value
	}
	if err := proof.VerifyProof(header.AppHash, key, value, res.ProofOps); err != nil {
		return nil, fmt.Errorf("%w: key %X at height %d: %w", ErrProof, key, res.Height, err)
	}
	return &Proven{Key: key, Value: value, Height: res.Height, Header: header}, nil
}
