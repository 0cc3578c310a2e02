package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/custody-ledger/custody/abci"
	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	"github.com/custody-ledger/custody/contracts/anchors"
	"github.com/custody-ledger/custody/contracts/ledger"
	"github.com/custody-ledger/custody/contracts/participants"
	"github.com/custody-ledger/custody/contracts/trading"
	"github.com/custody-ledger/custody/contracts/transfers"
)

// Codespace holds the API's own failures: problem codes "api/<n>". The
// ledger's refusals keep their registered "<codespace>/<code>".
const Codespace = "api"

// ProblemContentType is the media type of every error answer (RFC 9457).
const ProblemContentType = "application/problem+json"

// problemTypeBase prefixes a problem's type URI: the code names the kind of
// failure, and docs/api.md lists them.
const problemTypeBase = "urn:custody-ledger:problem:"

// Error is one of the API's own failures: a stable code in codespace "api"
// and the HTTP status it answers with. Never renumber a code.
type Error struct {
	Code   uint32
	Status int
	Title  string
}

func (e *Error) Error() string { return "api: " + e.Title }

// Wrapf adds context, keeping the error matchable with errors.Is.
func (e *Error) Wrapf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", e, fmt.Sprintf(format, args...))
}

// The API's own failures. The handler or middleware named returns each.
var (
	// ErrUnauthenticated: a /v1 request without "Authorization: Bearer".
	ErrUnauthenticated = &Error{1, http.StatusUnauthorized, "a bearer token is required"}
	// ErrBadToken: the token does not parse (client.ErrTokenMalformed).
	ErrBadToken = &Error{2, http.StatusUnauthorized, "the bearer token is malformed"}
	// ErrTokenRejected: bad signature, another chain's audience, or a
	// lifetime over five minutes.
	ErrTokenRejected = &Error{3, http.StatusUnauthorized, "the bearer token does not verify"}
	// ErrTokenExpired: outside [iat, exp] (with client.TokenLeeway).
	ErrTokenExpired = &Error{4, http.StatusUnauthorized, "the bearer token is expired or not yet valid"}
	// ErrUnknownKey: the token's subject is no key registered on chain.
	ErrUnknownKey = &Error{5, http.StatusUnauthorized, "the token's key is not registered on chain"}
	// ErrKeyDisabled: the token's key is disabled on chain (a closed account).
	ErrKeyDisabled = &Error{6, http.StatusUnauthorized, "the token's key is disabled on chain"}
	// ErrForbidden: the caller's role and owner do not reach the record.
	ErrForbidden = &Error{7, http.StatusForbidden, "the caller may not access this record"}
	// ErrBadRequest: a malformed body, query parameter or path parameter.
	ErrBadRequest = &Error{8, http.StatusBadRequest, "malformed request"}
	// ErrBadCursor: a page cursor this list did not hand out.
	ErrBadCursor = &Error{9, http.StatusBadRequest, "malformed page cursor"}
	// ErrTooLarge: a body over Config.MaxBodyBytes.
	ErrTooLarge = &Error{10, http.StatusRequestEntityTooLarge, "request body too large"}
	// ErrRateLimited: the caller's (or IP's) token bucket is empty.
	ErrRateLimited = &Error{11, http.StatusTooManyRequests, "too many requests"}
	// ErrIdempotencyInProgress: the first request with this key is still running.
	ErrIdempotencyInProgress = &Error{12, http.StatusConflict, "a request with this idempotency key is in progress"}
	// ErrIdempotencyMismatch: the key was used before with another body.
	ErrIdempotencyMismatch = &Error{13, http.StatusUnprocessableEntity, "the idempotency key was used with another request"}
	// ErrNoRoute: no route for the path.
	ErrNoRoute = &Error{14, http.StatusNotFound, "no such resource"}
	// ErrMethodNotAllowed: the path exists with other methods.
	ErrMethodNotAllowed = &Error{15, http.StatusMethodNotAllowed, "method not allowed"}
	// ErrTimeout: the node did not answer within Config.RequestTimeout.
	ErrTimeout = &Error{16, http.StatusGatewayTimeout, "the node did not answer in time"}
	// ErrNotCommitted: ?wait=commit ended before the tx was in a block; it
	// may still be (GET /v1/txs/{hash}).
	ErrNotCommitted = &Error{17, http.StatusGatewayTimeout, "the tx was not committed before the deadline"}
	// ErrUpstream: the node failed (RPC error, an unregistered code).
	ErrUpstream = &Error{18, http.StatusBadGateway, "the node failed to answer"}
	// ErrInternal: a bug in this server.
	ErrInternal = &Error{19, http.StatusInternalServerError, "internal error"}
	// ErrTxNotFound: GET /v1/txs/{hash} of a tx in no block.
	ErrTxNotFound = &Error{20, http.StatusNotFound, "no committed tx with this hash"}
)

// apiErrors lists every API error, for the docs test.
var apiErrors = []*Error{
	ErrUnauthenticated, ErrBadToken, ErrTokenRejected, ErrTokenExpired, ErrUnknownKey,
	ErrKeyDisabled, ErrForbidden, ErrBadRequest, ErrBadCursor, ErrTooLarge, ErrRateLimited,
	ErrIdempotencyInProgress, ErrIdempotencyMismatch, ErrNoRoute, ErrMethodNotAllowed,
	ErrTimeout, ErrNotCommitted, ErrUpstream, ErrInternal, ErrTxNotFound,
}

// Problem is an error answer, RFC 9457 problem details with the stable
// code as an extension member. Extensions carry what a failure has to say
// beyond that: a refused tx's hash, height and ABCI code, a proof of absence.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Instance is the request path.
	Instance string `json:"instance,omitempty"`
	// Code is "<codespace>/<code>": "api/7", "query/3", "funds/1", ...
	Code string `json:"code"`

	// Tx refusals (POST /v1/txs): the tx hash, the block height (0 when
	// CheckTx refused it), and the ABCI result's codespace and code.
	Hash      string `json:"hash,omitempty"`
	Height    int64  `json:"height,omitempty"`
	Codespace string `json:"codespace,omitempty"`
	ABCICode  uint32 `json:"abci_code,omitempty"`
	// Proof is a proof of absence, for ?prove=true reads of a missing record.
	Proof *client.RESTProof `json:"proof,omitempty"`
}

// sentinels maps errors from other packages to the API's own.
var sentinels = []struct {
	err error
	to  *Error
}{
	{client.ErrTokenMalformed, ErrBadToken},
	{client.ErrTokenSignature, ErrTokenRejected},
	{client.ErrTokenAudience, ErrTokenRejected},
	{client.ErrTokenLifetime, ErrTokenRejected},
	{client.ErrTokenExpired, ErrTokenExpired},
	{client.ErrTxNotCommitted, ErrNotCommitted},
	{client.ErrUnregisteredCode, ErrUpstream},
	{context.DeadlineExceeded, ErrTimeout},
}

// problemOf is the one place that turns an error into an HTTP status and a
// problem: the API's own errors by their Status, the ledger's registered
// errors by registeredStatus, anything else as an upstream or internal
// failure whose detail is not shown (the access log has it).
func problemOf(err error) Problem {
	var (
		ae  *Error
		ce  *contracts.Error
		mbe *http.MaxBytesError
	)
	if errors.As(err, &mbe) {
		return apiProblem(ErrTooLarge, err)
	}
	if errors.As(err, &ae) {
		return apiProblem(ae, err)
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return apiProblem(s.to, err)
		}
	}
	if errors.Is(err, ledger.ErrNotFound) {
		// Not found or not yours: one answer, whose words name nothing the
		// node said, so that it is the same whether the record exists.
		return Problem{
			Type:   problemTypeBase + ledger.CodespaceQuery + "/3",
			Title:  "record not found",
			Status: http.StatusNotFound,
			Detail: "no record here that the caller may read",
			Code:   ledger.CodespaceQuery + "/3",
		}
	}
	if errors.As(err, &ce) {
		return Problem{
			Type:   problemTypeBase + ce.Codespace + "/" + strconv.FormatUint(uint64(ce.Code), 10),
			Title:  ce.Desc,
			Status: registeredStatus(err),
			Detail: err.Error(),
			Code:   ce.Codespace + "/" + strconv.FormatUint(uint64(ce.Code), 10),
		}
	}
	return apiProblem(ErrUpstream, nil)
}

func apiProblem(e *Error, err error) Problem {
	p := Problem{
		Type:   problemTypeBase + Codespace + "/" + strconv.FormatUint(uint64(e.Code), 10),
		Title:  e.Title,
		Status: e.Status,
		Code:   Codespace + "/" + strconv.FormatUint(uint64(e.Code), 10),
	}
	// 5xx details would show the node's internals; the log keeps them.
	if err != nil && e.Status < 500 && err.Error() != e.Error() {
		p.Detail = err.Error()
	}
	return p
}

// registeredStatus is the HTTP status of a registered ledger error.
func registeredStatus(err error) int {
	switch {
	case errors.Is(err, ledger.ErrNotFound), errors.Is(err, accounts.ErrUnknownAccount),
		errors.Is(err, transfers.ErrUnknownTransfer), errors.Is(err, participants.ErrNotFound),
		errors.Is(err, anchors.ErrNotFound), errors.Is(err, trading.ErrUnknownInstrument),
		errors.Is(err, trading.ErrUnknownOrder):
		return http.StatusNotFound
	case errors.Is(err, ledger.ErrBadQuery), errors.Is(err, contracts.ErrTxDecode),
		errors.Is(err, contracts.ErrTxNonCanonical), errors.Is(err, contracts.ErrWrongChainID),
		errors.Is(err, contracts.ErrUnknownMessage), errors.Is(err, contracts.ErrMemoTooLong):
		return http.StatusBadRequest
	case errors.Is(err, contracts.ErrTxTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, contracts.ErrUnknownSigner), errors.Is(err, contracts.ErrBadSignature),
		errors.Is(err, contracts.ErrSignerDisabled), errors.Is(err, contracts.ErrUnauthorizedRole):
		return http.StatusForbidden
	case errors.Is(err, contracts.ErrBadSequence), errors.Is(err, transfers.ErrDuplicateTransfer),
		errors.Is(err, accounts.ErrAccountExists), errors.Is(err, anchors.ErrBadSeq),
		errors.Is(err, trading.ErrOrderExists), errors.Is(err, trading.ErrDuplicateExec):
		return http.StatusConflict
	case errors.Is(err, ledger.ErrUnknownPath):
		// The API asked the node for a path it does not serve: the node
		// runs older contracts than this server.
		return http.StatusNotImplemented
	case errors.Is(err, abci.ErrQueryCredential), errors.Is(err, abci.ErrQueryUnknownKey),
		errors.Is(err, abci.ErrQueryKeyDisabled), errors.Is(err, abci.ErrQueryCredentialExpired):
		return http.StatusUnauthorized
	case errors.Is(err, contracts.ErrInternal), errors.Is(err, abci.ErrQueryProof):
		return http.StatusInternalServerError
	case errors.Is(err, abci.ErrQueryHeight):
		return http.StatusServiceUnavailable
	default:
		// Every other registered code is the ledger's rules refusing a
		// well-formed request.
		return http.StatusUnprocessableEntity
	}
}

// fail answers with the problem of err and stops the handler chain.
func fail(c *gin.Context, err error) {
	failProblem(c, problemOf(err), err)
}

func failProblem(c *gin.Context, p Problem, err error) {
	p.Instance = c.Request.URL.Path
	if err != nil {
		_ = c.Error(err) // for the access log
	}
	if p.Status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="custody-ledger"`)
	}
	c.Header("Content-Type", ProblemContentType)
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(p.Status, p)
}
