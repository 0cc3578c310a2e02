package client

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"google.golang.org/protobuf/proto"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/proof"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// DefaultNode is the RPC address of the first node of `make testnet`.
const DefaultNode = "tcp://127.0.0.1:26657"

// Defaults of Options.
const (
	DefaultPollInterval    = 100 * time.Millisecond
	DefaultCommitTimeout   = 30 * time.Second
	DefaultSequenceRetries = 8
)

// Options tune a Client. The zero value means the defaults.
type Options struct {
	// PollInterval is how often WaitTx asks whether a tx is in a block, and
	// the base back-off between sequence retries. Default 100 ms.
	PollInterval time.Duration
	// CommitTimeout bounds WaitTx when ctx has no deadline. Default 30 s.
	CommitTimeout time.Duration
	// SequenceRetries is how many times Submit re-reads the signer's
	// sequence and re-signs after ErrBadSequence. Default 8.
	SequenceRetries int
	// ReadKey, if set, is the registered key whose credential every query
	// carries (proof.WithCredential), unless the query's context carries
	// its own (WithCredential): the node answers what that key's role and
	// owner may read. Without either a query reads public records only.
	ReadKey ed25519.PrivateKey
}

func (o Options) withDefaults() Options {
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.CommitTimeout <= 0 {
		o.CommitTimeout = DefaultCommitTimeout
	}
	if o.SequenceRetries <= 0 {
		o.SequenceRetries = DefaultSequenceRetries
	}
	return o
}

// Client talks to one node over CometBFT's RPC. It is safe for concurrent
// use; concurrent Submits by one signer get consecutive sequences.
type Client struct {
	rpc     rpcclient.Client
	chainID string
	opts    Options

	mu   sync.Mutex
	seqs map[string]*signerState

	credMu  sync.Mutex
	cred    string    // guarded by credMu: the ReadKey's current token
	credExp time.Time // guarded by credMu: when to make a new one
}

// signerState is the locally tracked next sequence of one signer.
type signerState struct {
	mu    sync.Mutex
	known bool
	next  uint64
}

// New returns a Client over rpc for chainID. rpc may be an HTTP client
// (Dial) or CometBFT's local client of an in-process node.
func New(rpc rpcclient.Client, chainID string, opts Options) *Client {
	return &Client{rpc: rpc, chainID: chainID, opts: opts.withDefaults(), seqs: map[string]*signerState{}}
}

// Dial connects to a node's RPC address (tcp://host:port or http://...).
// An empty chainID is read from the node's status: a wrong one only makes
// the node refuse the txs, it cannot make a forged answer look valid.
func Dial(ctx context.Context, node, chainID string, opts Options) (*Client, error) {
	rpc, err := rpchttp.New(node, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("client: rpc %s: %w", node, err)
	}
	if chainID == "" {
		st, err := rpc.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("client: status of %s: %w", node, err)
		}
		chainID = st.NodeInfo.Network
	}
	return New(rpc, chainID, opts), nil
}

// ChainID is the chain id this client signs for.
func (c *Client) ChainID() string { return c.chainID }

// RPC is the underlying CometBFT RPC client.
func (c *Client) RPC() rpcclient.Client { return c.rpc }

// Result is the outcome of a tx the node accepted. Height is 0 while the tx
// has only passed CheckTx (BroadcastSync, Submit with ModeSync).
type Result struct {
	Hash   []byte
	Height int64
	// Data is the ExecTxResult's Data (covered by the results hash); empty
	// until the tx is in a block.
	Data   []byte
	Log    string
	Events []abcitypes.Event
}

// HashString is the tx hash in upper-case hex, as CometBFT prints it.
func (r *Result) HashString() string { return strings.ToUpper(hex.EncodeToString(r.Hash)) }

// TxHash is the hash CometBFT indexes a tx under: SHA-256 of its bytes.
func TxHash(tx []byte) []byte {
	sum := sha256.Sum256(tx)
	return sum[:]
}

// BroadcastSync sends tx and returns once CheckTx has answered. A refusal is
// a *TxError that unwraps to the registered error of its code.
func (c *Client) BroadcastSync(ctx context.Context, tx []byte) (*Result, error) {
	res, err := c.rpc.BroadcastTxSync(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("client: broadcast: %w", err)
	}
	if res.Code != 0 {
		return nil, &TxError{Codespace: res.Codespace, Code: res.Code, Log: res.Log, Hash: res.Hash, Err: CodeError(res.Codespace, res.Code)}
	}
	return &Result{Hash: res.Hash, Log: res.Log}, nil
}

// BroadcastCommit sends tx and waits until it is in a block (WaitTx). A tx
// that the block refused is a *TxError with its Height.
func (c *Client) BroadcastCommit(ctx context.Context, tx []byte) (*Result, error) {
	res, err := c.BroadcastSync(ctx, tx)
	if err != nil {
		return nil, err
	}
	return c.WaitTx(ctx, res.Hash)
}

// ErrTxNotCommitted is returned by WaitTx when the tx is not in a block
// before the deadline (it may have been dropped from the mempool).
var ErrTxNotCommitted = errors.New("client: tx not committed before the deadline")

// WaitTx polls the node's tx index (the node runs the kv indexer) until the
// tx with hash is in a block, and returns its result. The wait ends with ctx,
// or after Options.CommitTimeout when ctx has no deadline.
func (c *Client) WaitTx(ctx context.Context, hash []byte) (*Result, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.CommitTimeout)
		defer cancel()
	}
	query := fmt.Sprintf("tx.hash='%X'", hash)
	tick := time.NewTicker(c.opts.PollInterval)
	defer tick.Stop()
	for {
		page, perPage := 1, 1
		found, err := c.rpc.TxSearch(ctx, query, false, &page, &perPage, "")
		if err == nil && len(found.Txs) > 0 {
			tx := found.Txs[0]
			r := tx.TxResult
			if r.Code != 0 {
				return nil, &TxError{Codespace: r.Codespace, Code: r.Code, Log: r.Log, Hash: hash, Height: tx.Height, Err: CodeError(r.Codespace, r.Code)}
			}
			return &Result{Hash: hash, Height: tx.Height, Data: r.Data, Log: r.Log, Events: r.Events}, nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return nil, fmt.Errorf("%w: tx %X: last error: %w", ErrTxNotCommitted, hash, err)
			}
			return nil, fmt.Errorf("%w: tx %X", ErrTxNotCommitted, hash)
		case <-tick.C:
		}
	}
}

// Mode says how long Submit waits.
type Mode int

const (
	// ModeSync returns once CheckTx accepted the tx.
	ModeSync Mode = iota
	// ModeCommit returns once the tx is in a block, with its block result.
	ModeCommit
)

// SubmitOptions are the optional parts of Submit. The zero value is
// ModeSync without a memo.
type SubmitOptions struct {
	Mode Mode
	Memo string
}

// Submit signs msg with key at the signer's next sequence and broadcasts it.
//
// The sequence comes from the chain (the signer/<address> query) the first
// time a signer is seen and is then counted locally; a CheckTx refusal with
// contracts.ErrBadSequence re-reads it from the chain and signs again, up to
// Options.SequenceRetries times with a growing pause (txs of this signer
// still in the mempool are not yet in the committed sequence). Refusals are
// *TxError values.
func (c *Client) Submit(ctx context.Context, key ed25519.PrivateKey, msg proto.Message, so SubmitOptions) (*Result, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, ErrBadKey
	}
	addr := Address(key.Public().(ed25519.PublicKey))
	res, err := c.submitSync(ctx, key, addr, msg, so.Memo)
	if err != nil || so.Mode == ModeSync {
		return res, err
	}
	res, err = c.WaitTx(ctx, res.Hash)
	var txErr *TxError
	if errors.As(err, &txErr) {
		// Whether a tx that failed in its block consumed its sequence is the
		// app's rule; read it again rather than guess.
		c.forget(addr)
	}
	return res, err
}

func (c *Client) signer(addr string) *signerState {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.seqs[addr]
	if s == nil {
		s = &signerState{}
		c.seqs[addr] = s
	}
	return s
}

func (c *Client) forget(addr string) {
	s := c.signer(addr)
	s.mu.Lock()
	s.known = false
	s.mu.Unlock()
}

func (c *Client) submitSync(ctx context.Context, key ed25519.PrivateKey, addr string, msg proto.Message, memo string) (_ *Result, err error) {
	s := c.signer(addr)
	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if !s.known {
			// The signer reads its own key record as itself: a client's
			// key is not public.
			rctx := ctx
			if _, ok := ctx.Value(credentialKey{}).(string); !ok {
				if rctx, err = c.WithKeyCredential(ctx, key); err != nil {
					return nil, err
				}
			}
			info, err := c.Signer(rctx, addr)
			if err != nil {
				return nil, err
			}
			s.next, s.known = info.NextSequence, true
		}
		tx, err := Sign(key, c.chainID, s.next, memo, msg)
		if err != nil {
			return nil, err
		}
		res, err := c.BroadcastSync(ctx, tx)
		var txErr *TxError
		switch {
		case err == nil:
			s.next++
			return res, nil
		case errors.Is(err, contracts.ErrBadSequence) && attempt < c.opts.SequenceRetries:
			s.known = false
			select {
			case <-ctx.Done():
				return nil, err
			case <-time.After(time.Duration(attempt+1) * c.opts.PollInterval):
			}
		case errors.As(err, &txErr):
			// CheckTx refused it: the sequence was not used.
			return nil, err
		default:
			// The node may or may not have taken the tx; read the sequence
			// again next time.
			s.known = false
			return nil, err
		}
	}
}

// SetSequence overrides the locally tracked next sequence of a signer (for
// a caller that keeps its own count).
func (c *Client) SetSequence(addr string, next uint64) {
	s := c.signer(addr)
	s.mu.Lock()
	s.next, s.known = next, true
	s.mu.Unlock()
}

// Query runs an ABCI query at height (0: latest). A non-zero code is a
// *QueryError that unwraps to the registered error of its code.
//
// The query carries the context's credential (WithCredential) or, without
// one, Options.ReadKey's: what the node answers depends on who asks, and
// a record the caller may not read is ledger.ErrNotFound, as one that does
// not exist.
func (c *Client) Query(ctx context.Context, path string, data []byte, height int64, prove bool) (*abcitypes.ResponseQuery, error) {
	token, err := c.credential(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.rpc.ABCIQueryWithOptions(ctx, path, proof.WithCredential(token, data), rpcclient.ABCIQueryOptions{Height: height, Prove: prove})
	if err != nil {
		return nil, fmt.Errorf("client: query %s: %w", path, err)
	}
	r := res.Response
	if r.Code != 0 {
		return nil, &QueryError{Path: path, Codespace: r.Codespace, Code: r.Code, Log: r.Log, Err: CodeError(r.Codespace, r.Code)}
	}
	return &r, nil
}

// WithReadKey returns a Client over the same RPC connection and options
// whose queries carry key's credential (Options.ReadKey). It tracks its
// own sequences: submit a signer's txs through one of the two.
func (c *Client) WithReadKey(key ed25519.PrivateKey) *Client {
	opts := c.opts
	opts.ReadKey = key
	return New(c.rpc, c.chainID, opts)
}

type credentialKey struct{}

// WithCredential returns ctx carrying token (a credential.Token of a key
// registered on chain): the queries made with it read as that key. The
// REST server passes its caller's bearer token on this way.
func WithCredential(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, credentialKey{}, token)
}

// WithKeyCredential is WithCredential with a fresh token of key.
func (c *Client) WithKeyCredential(ctx context.Context, key ed25519.PrivateKey) (context.Context, error) {
	tok, err := NewToken(key, c.chainID, time.Now(), 0)
	if err != nil {
		return nil, err
	}
	return WithCredential(ctx, tok), nil
}

// credentialRenew is how long before its expiry the ReadKey's token is
// replaced.
const credentialRenew = time.Minute

// credential is the token a query made with ctx carries, "" for none.
func (c *Client) credential(ctx context.Context) (string, error) {
	if tok, ok := ctx.Value(credentialKey{}).(string); ok {
		return tok, nil
	}
	if c.opts.ReadKey == nil {
		return "", nil
	}
	c.credMu.Lock()
	defer c.credMu.Unlock()
	now := time.Now()
	if c.cred == "" || now.After(c.credExp) {
		tok, err := NewToken(c.opts.ReadKey, c.chainID, now, 0)
		if err != nil {
			return "", fmt.Errorf("client: read credential: %w", err)
		}
		c.cred, c.credExp = tok, now.Add(TokenMaxLifetime-credentialRenew)
	}
	return c.cred, nil
}

// QueryJSON runs the custody query "/custody/<path>" (for example
// "account/ACC-1") and returns the node's JSON. It is the node's word, not
// checked against any proof: use ProvenQuery for that.
func (c *Client) QueryJSON(ctx context.Context, path string) (json.RawMessage, error) {
	res, err := c.Query(ctx, "/custody/"+path, nil, 0, false)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(res.Value), nil
}

// The node's refusals of a query credential (abci.ErrQueryUnknownKey and
// abci.ErrQueryKeyDisabled): the SDK does not link the node, so it knows
// them by their registered codes.
const (
	codespaceABCI             = "abci"
	codeCredentialUnknownKey  = 4
	codeCredentialKeyDisabled = 5
)

// Signer reads a signing key's record (role, owner, next sequence) from the
// node's state, without a proof: Submit uses it for sequences, where a wrong
// answer only gets the tx refused. ProvenSigner is the checked read. A key
// the chain does not know is contracts.ErrUnknownSigner.
func (c *Client) Signer(ctx context.Context, address string) (*custodyv1.KeyRecord, error) {
	key, err := signerKey(address)
	if err != nil {
		return nil, err
	}
	res, err := c.Query(ctx, QueryPathKey, key, 0, false)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, contracts.ErrUnknownSigner.Wrapf("no key at %s that this caller may read", address)
	}
	// Reading as the signing key itself, the node refuses the read's
	// credential before the record: an unregistered or disabled key is
	// then that, for the tx the caller meant to sign.
	var q *QueryError
	if errors.As(err, &q) && q.Codespace == codespaceABCI {
		switch q.Code {
		case codeCredentialUnknownKey:
			return nil, contracts.ErrUnknownSigner.Wrapf("no key at %s", address)
		case codeCredentialKeyDisabled:
			return nil, contracts.ErrSignerDisabled.Wrapf("key %s", address)
		}
	}
	if err != nil {
		return nil, err
	}
	if len(res.Value) == 0 {
		return nil, contracts.ErrUnknownSigner.Wrapf("no key at %s (height %d)", address, res.Height)
	}
	var rec custodyv1.KeyRecord
	if err := proto.Unmarshal(res.Value, &rec); err != nil {
		return nil, fmt.Errorf("client: decode key record of %s: %w", address, err)
	}
	return &rec, nil
}
