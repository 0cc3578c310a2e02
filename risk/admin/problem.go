package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/custody-ledger/custody/client"
	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/anchor"
	"github.com/custody-ledger/custody/risk/store"
)

// Every error answer of riskd's HTTP server (admin API, status, standby
// stream, onboarding) is RFC 9457 problem details with a stable code,
// "riskd/<n>", in the shape of the node's REST API (node/api/problem.go):
// a client handles both with one decoder. docs/risk.md lists the codes.

// Codespace holds riskd's HTTP failures: problem codes "riskd/<n>".
const Codespace = "riskd"

// ProblemContentType is the media type of every error answer.
const ProblemContentType = "application/problem+json"

// problemTypeBase prefixes a problem's type URI.
const problemTypeBase = "urn:custody-ledger:problem:"

// Error is one of the server's failures: a stable code and the HTTP status
// it answers with. Never renumber a code.
type Error struct {
	Code   uint32
	Status int
	Title  string
}

func (e *Error) Error() string { return "admin: " + e.Title }

// Wrapf adds context, keeping the error matchable with errors.Is.
func (e *Error) Wrapf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", e, fmt.Sprintf(format, args...))
}

// The server's failures. The handler or middleware named returns each.
var (
	// ErrUnauthenticated: a request without "Authorization: Bearer".
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
	// ErrKeyDisabled: the token's key is disabled on chain.
	ErrKeyDisabled = &Error{6, http.StatusUnauthorized, "the token's key is disabled on chain"}
	// ErrForbidden: the caller's role (or, for a risk operator, its
	// participant) may not use this route.
	ErrForbidden = &Error{7, http.StatusForbidden, "the caller's role may not use this route"}
	// ErrBadRequest: a malformed body, query or path parameter.
	ErrBadRequest = &Error{8, http.StatusBadRequest, "malformed request"}
	// ErrTooLarge: a body over MaxBodyBytes.
	ErrTooLarge = &Error{9, http.StatusRequestEntityTooLarge, "request body too large"}
	// ErrInvalidParams: a rule-parameter change that does not validate
	// (risk.ErrInvalidParams).
	ErrInvalidParams = &Error{10, http.StatusUnprocessableEntity, "invalid rule parameters"}
	// ErrNotFound: no such rule, alert, or alert in an anchored batch.
	ErrNotFound = &Error{11, http.StatusNotFound, "no such record"}
	// ErrBadTransition: an alert action its status does not allow.
	ErrBadTransition = &Error{12, http.StatusConflict, "the alert's status does not allow this action"}
	// ErrNoFreezer: POST /v1/freeze on a core with no chain seam.
	ErrNoFreezer = &Error{13, http.StatusNotImplemented, "freezing is not configured"}
	// ErrFreezeRefused: the chain refused the freeze tx (unknown or
	// inactive account, already frozen).
	ErrFreezeRefused = &Error{14, http.StatusConflict, "the chain refused the freeze"}
	// ErrStandby: a write to a standby (it takes them from its leader's
	// stream), or the stream of a process that does not lead.
	ErrStandby = &Error{15, http.StatusConflict, "this process is not the leader"}
	// ErrStarting: the engine is still recovering.
	ErrStarting = &Error{16, http.StatusServiceUnavailable, "the risk core is starting"}
	// ErrNoChain: a route that needs the chain on a core without [chain]
	// (onboarding; and every route, since tokens are checked on chain).
	ErrNoChain = &Error{17, http.StatusServiceUnavailable, "no chain configured: riskd cannot check tokens or onboard"}
	// ErrUpstream: the chain failed to answer (key lookup, onboarding).
	ErrUpstream = &Error{18, http.StatusBadGateway, "the chain failed to answer"}
	// ErrInternal: a bug or a store failure in this process.
	ErrInternal = &Error{19, http.StatusInternalServerError, "internal error"}
	// ErrNoRoute: no route for the path.
	ErrNoRoute = &Error{20, http.StatusNotFound, "no such resource"}
	// ErrMethodNotAllowed: the path exists with other methods.
	ErrMethodNotAllowed = &Error{21, http.StatusMethodNotAllowed, "method not allowed"}
)

// Errors lists every error of the server, for the docs test.
var Errors = []*Error{
	ErrUnauthenticated, ErrBadToken, ErrTokenRejected, ErrTokenExpired, ErrUnknownKey, ErrKeyDisabled,
	ErrForbidden, ErrBadRequest, ErrTooLarge, ErrInvalidParams, ErrNotFound, ErrBadTransition,
	ErrNoFreezer, ErrFreezeRefused, ErrStandby, ErrStarting, ErrNoChain, ErrUpstream, ErrInternal,
	ErrNoRoute, ErrMethodNotAllowed,
}

// Problem is an error answer: RFC 9457 problem details with the stable
// code as an extension member.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Instance is the request path.
	Instance string `json:"instance,omitempty"`
	// Code is "riskd/<n>".
	Code string `json:"code"`
}

// sentinels maps errors of other packages to the server's own.
var sentinels = []struct {
	err error
	to  *Error
}{
	{client.ErrTokenMalformed, ErrBadToken},
	{client.ErrTokenSignature, ErrTokenRejected},
	{client.ErrTokenAudience, ErrTokenRejected},
	{client.ErrTokenLifetime, ErrTokenRejected},
	{client.ErrTokenExpired, ErrTokenExpired},
	{risk.ErrUnknownRule, ErrNotFound},
	{store.ErrNotFound, ErrNotFound},
	{anchor.ErrNotInBatch, ErrNotFound},
	{risk.ErrInvalidParams, ErrInvalidParams},
	{risk.ErrNoActor, ErrBadRequest},
	{risk.ErrBadTransition, ErrBadTransition},
}

// ProblemOf is the one place that turns an error into a problem: the
// server's own errors by their Status, known sentinels by the table above,
// anything else as an internal failure whose detail is not shown (the log
// has it).
func ProblemOf(err error) Problem {
	var (
		ae  *Error
		mbe *http.MaxBytesError
	)
	if errors.As(err, &mbe) {
		return problem(ErrTooLarge, err)
	}
	if errors.As(err, &ae) {
		return problem(ae, err)
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return problem(s.to, err)
		}
	}
	return problem(ErrInternal, nil)
}

func problem(e *Error, err error) Problem {
	code := Codespace + "/" + strconv.FormatUint(uint64(e.Code), 10)
	p := Problem{Type: problemTypeBase + code, Title: e.Title, Status: e.Status, Code: code}
	// 5xx details would show the process's internals; the log keeps them.
	if err != nil && e.Status < 500 && err.Error() != e.Error() {
		p.Detail = err.Error()
	}
	return p
}

// WriteProblem answers r with the problem of err (for net/http handlers).
// logf, when set, receives 5xx causes, which the answer does not show.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error, logf func(string, ...any)) {
	p := ProblemOf(err)
	p.Instance = r.URL.Path
	if p.Status >= 500 && logf != nil {
		logf("riskd: %s %s: %v", r.Method, r.URL.Path, err)
	}
	h := w.Header()
	if p.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="riskd"`)
	}
	h.Set("Content-Type", ProblemContentType)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// fail answers with the problem of err and stops the gin handler chain.
func (a *API) fail(c *gin.Context, err error) {
	WriteProblem(c.Writer, c.Request, err, a.cfg.Logf)
	c.Abort()
}
