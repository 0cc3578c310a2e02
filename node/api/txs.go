package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/cometbft/cometbft/mempool"
	"github.com/gin-gonic/gin"

	"github.com/custody-ledger/custody/client"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// TxRequest is the body of POST /v1/txs.
type TxRequest struct {
	// Tx is the signed tx (the TxRaw bytes client.Sign returns) in
	// standard base64.
	Tx string `json:"tx"`
}

// TxResult is the answer of POST /v1/txs and GET /v1/txs/{hash}.
type TxResult struct {
	// Hash is the tx hash, SHA-256 of its bytes, in upper-case hex.
	Hash string `json:"hash"`
	// Height is the block that holds the tx; 0 while it is only in the
	// mempool (POST with ?wait=sync).
	Height    int64  `json:"height"`
	Code      uint32 `json:"code"`
	Codespace string `json:"codespace"`
	Log       string `json:"log,omitempty"`
	// Data is the result data the contract returned (covered by the
	// block's results hash), base64.
	Data   []byte `json:"data,omitempty"`
	Signer string `json:"signer,omitempty"`
}

// postTx relays a tx the caller signed. The server never signs: the tx's
// signer must be the token's subject, so a caller relays only its own txs
// (and spends its own rate limit). ?wait=commit (the default) answers once
// the tx is in a block, 200; ?wait=sync once CheckTx took it, 202. A
// refusal is a problem with the registered code, the hash and the height.
//
// Idempotency: the same tx bytes never act twice — the node's mempool
// cache and the signer's sequence see to that, and a resubmission is
// answered with the first submission's result, looked up by hash. With an
// Idempotency-Key header the first answer itself is kept and replayed
// (marked Idempotent-Replayed: true), and the key cannot be reused for
// another request.
func (s *Server) postTx(c *gin.Context) {
	who := callerOf(c)
	wait, err := waitParam(c)
	if err != nil {
		fail(c, err)
		return
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		fail(c, err)
		return
	}
	var req TxRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		fail(c, ErrBadRequest.Wrapf("body: %v", err))
		return
	}
	if dec.More() {
		fail(c, ErrBadRequest.Wrapf("body: more than one JSON value"))
		return
	}
	tx, err := base64.StdEncoding.DecodeString(req.Tx)
	if err != nil || len(tx) == 0 {
		fail(c, ErrBadRequest.Wrapf("tx: want the signed tx bytes in standard base64"))
		return
	}
	_, txBody, err := client.DecodeTx(tx)
	if err != nil {
		fail(c, ErrBadRequest.Wrapf("tx: %v", err))
		return
	}
	if txBody.Signer != who.Address {
		fail(c, ErrForbidden.Wrapf("the tx is signed by %s, the token by %s: relay only your own txs", txBody.Signer, who.Address))
		return
	}

	key, hasKey := c.Request.Header[IdempotencyHeader]
	if !hasKey {
		status, ctype, out := s.submit(c, tx, wait)
		c.Data(status, ctype, out)
		return
	}
	if len(key) != 1 || !printable(key[0], maxIdempotencyKeyLen) {
		fail(c, ErrBadRequest.Wrapf("%s: one value of 1 to %d printable ASCII characters", IdempotencyHeader, maxIdempotencyKeyLen))
		return
	}
	sum := sha256.Sum256([]byte(c.Request.Method + "\n" + c.Request.URL.Path + "\n" + c.Request.URL.RawQuery + "\n" + string(body)))
	stored, entry, state := s.idem.begin(who.Address+"\n"+key[0], sum)
	switch state {
	case idemReplay:
		c.Header(ReplayedHeader, "true")
		c.Data(stored.status, stored.ctype, stored.body)
		return
	case idemBusy:
		fail(c, ErrIdempotencyInProgress.Wrapf("%q", key[0]))
		return
	case idemMismatch:
		fail(c, ErrIdempotencyMismatch.Wrapf("%q", key[0]))
		return
	}
	status, ctype, out := s.submit(c, tx, wait)
	// A 5xx (the node unreachable, the commit wait over) is worth retrying
	// with the same key; the retry cannot act twice, see above.
	s.idem.finish(entry, status, ctype, out, status < 500)
	c.Data(status, ctype, out)
}

// submit broadcasts tx and, with wait, waits for its block. It returns the
// whole answer so that postTx can keep it for idempotent replay.
func (s *Server) submit(c *gin.Context, tx []byte, wait bool) (int, string, []byte) {
	ctx := c.Request.Context()
	hash := client.TxHash(tx)
	res, err := s.chain.BroadcastSync(ctx, tx)
	if err != nil {
		// The node may have had these exact bytes before: its mempool
		// cache says so (ErrTxInCache), or, once the cache forgot them, the
		// signer's sequence has moved past them (a CheckTx refusal with
		// ErrBadSequence). Answer with what became of them.
		if r, found, lerr := s.lookupTx(ctx, hash); lerr == nil && found {
			return s.txAnswer(c, r)
		}
		if errors.Is(err, mempool.ErrTxInCache) {
			res, err = &client.Result{Hash: hash}, nil // still in the mempool
		}
	}
	if err != nil {
		return s.problemAnswer(c, problemOf(err), err, hash)
	}
	if !wait {
		return s.jsonAnswer(http.StatusAccepted, TxResult{Hash: hexHash(res.Hash)})
	}
	wctx, cancel := context.WithTimeout(ctx, s.cfg.CommitTimeout)
	defer cancel()
	r, err := s.chain.WaitTx(wctx, res.Hash)
	if err != nil {
		return s.problemAnswer(c, problemOf(err), err, hash)
	}
	return s.jsonAnswer(http.StatusOK, TxResult{Hash: hexHash(r.Hash), Height: r.Height, Log: r.Log, Data: r.Data})
}

// getTx looks a committed tx up by hash. Its signer and the regulator may.
func (s *Server) getTx(c *gin.Context) {
	hash, err := hex.DecodeString(c.Param("hash"))
	if err != nil || len(hash) != sha256.Size {
		fail(c, ErrBadRequest.Wrapf("hash %q: want 64 hex digits", c.Param("hash")))
		return
	}
	r, found, err := s.lookupTx(c.Request.Context(), hash)
	if err != nil {
		fail(c, err)
		return
	}
	if !found {
		fail(c, ErrTxNotFound.Wrapf("%X", hash))
		return
	}
	who := callerOf(c)
	if r.Signer != who.Address && who.Role != custodyv1.Role_ROLE_REGULATOR {
		fail(c, ErrForbidden.Wrapf("tx %X is signed by another key", hash))
		return
	}
	c.JSON(http.StatusOK, r)
}

// lookupTx finds a committed tx in the node's tx index.
func (s *Server) lookupTx(ctx context.Context, hash []byte) (*TxResult, bool, error) {
	page, per := 1, 1
	found, err := s.chain.RPC().TxSearch(ctx, fmt.Sprintf("tx.hash='%X'", hash), false, &page, &per, "")
	if err != nil {
		return nil, false, fmt.Errorf("api: tx search: %w", err)
	}
	if len(found.Txs) == 0 {
		return nil, false, nil
	}
	t := found.Txs[0]
	r := &TxResult{Hash: hexHash(hash), Height: t.Height, Code: t.TxResult.Code, Codespace: t.TxResult.Codespace,
		Log: t.TxResult.Log, Data: t.TxResult.Data}
	if _, body, err := client.DecodeTx(t.Tx); err == nil {
		r.Signer = body.Signer
	}
	return r, true, nil
}

// txAnswer answers with a committed tx's result: 200, or the problem of
// its refusal.
func (s *Server) txAnswer(c *gin.Context, r *TxResult) (int, string, []byte) {
	if r.Code == 0 {
		return s.jsonAnswer(http.StatusOK, r)
	}
	err := &client.TxError{Codespace: r.Codespace, Code: r.Code, Log: r.Log, Height: r.Height,
		Err: client.CodeError(r.Codespace, r.Code)}
	hash, _ := hex.DecodeString(r.Hash)
	err.Hash = hash
	return s.problemAnswer(c, problemOf(err), err, hash)
}

// problemAnswer renders a tx's problem, with the tx's hash and, for a
// refusal by the ledger, its height and ABCI code.
func (s *Server) problemAnswer(c *gin.Context, p Problem, err error, hash []byte) (int, string, []byte) {
	p.Instance = c.Request.URL.Path
	p.Hash = hexHash(hash)
	var txErr *client.TxError
	if errors.As(err, &txErr) {
		p.Height, p.Codespace, p.ABCICode = txErr.Height, txErr.Codespace, txErr.Code
		p.Detail = txErr.Log
	}
	_ = c.Error(err)
	bz, merr := json.Marshal(p)
	if merr != nil {
		return http.StatusInternalServerError, ProblemContentType, nil
	}
	return p.Status, ProblemContentType, bz
}

func (s *Server) jsonAnswer(status int, v any) (int, string, []byte) {
	bz, err := json.Marshal(v)
	if err != nil {
		return http.StatusInternalServerError, ProblemContentType, nil
	}
	return status, "application/json; charset=utf-8", bz
}

// waitParam reads ?wait=commit|sync (default commit).
func waitParam(c *gin.Context) (bool, error) {
	switch v := c.DefaultQuery("wait", "commit"); v {
	case "commit":
		return true, nil
	case "sync":
		return false, nil
	default:
		return false, ErrBadRequest.Wrapf("wait=%q: want commit or sync", v)
	}
}

func hexHash(h []byte) string { return strings.ToUpper(hex.EncodeToString(h)) }

// printable: 1 to n characters of visible ASCII or space.
func printable(s string, n int) bool {
	if s == "" || len(s) > n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
