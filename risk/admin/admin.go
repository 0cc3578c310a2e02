// Package admin is the risk core's management API (风控管理后台) on gin:
// read and change rule parameters (each change a new version recording who
// and when, refused if invalid), switch rules on and off, list and filter
// alerts, acknowledge, escalate or close them, and ask for an account
// freeze through the chain seam (Freezer).
//
// Every route authenticates (auth.go: EdDSA bearer tokens signed by keys
// registered on chain, roles by route) and every error answer is problem
// details with a "riskd/<n>" code (problem.go). Handlers are thin: bind,
// call the store or the parameter registry, answer or fail with the error. Parameter changes reach the engine
// through Config.Apply, which the daemon wires to the runner's input stream
// so the change takes effect at a defined position in the stream.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/anchor"
	"github.com/custody-ledger/custody/risk/store"
)

// ErrMayNotFreeze is returned (wrapped) by a Freezer whose key may not
// freeze accounts (only the regulator may): the API then records the
// request for the regulator instead (HTTP 202, "requested").
var ErrMayNotFreeze = errors.New("admin: the freeze key lacks the regulator role")

// Freezer submits a freeze of an account to the chain (the freeze tx,
// signed with a key that has the regulator role) and returns the tx hash.
// The chain client (risk/chain) implements it.
type Freezer interface {
	Freeze(ctx context.Context, account, reason, who string) (txHash string, err error)
}

// FreezeRequest is a freeze the risk core asked for but could not submit
// itself: it waits in the store for the regulator (GET /v1/freeze-requests).
type FreezeRequest struct {
	Seq     uint64    `json:"seq"`
	Account string    `json:"account"`
	Who     string    `json:"who"`
	Reason  string    `json:"reason"`
	AlertID string    `json:"alert_id,omitempty"`
	When    time.Time `json:"when"`
	// Why the core did not submit it.
	Note string `json:"note"`
}

// Config wires the API.
type Config struct {
	Store *store.Store
	// Initial is the parameter version in force at start (version ≥ 1).
	Initial risk.ParamVersion
	// Apply hands a new parameter version to the engine; nil skips it.
	Apply func(risk.ParamVersion) error
	// Freezer is the chain seam for freeze requests; nil refuses them.
	Freezer Freezer
	// Now is the wall clock for who/when records (default time.Now). The
	// rules never see it.
	Now func() time.Time
	// Auth checks every request's token and role; nil refuses every
	// request (ErrNoChain): a core without a chain cannot check tokens.
	Auth *Authenticator
	// Logf receives the causes of 5xx answers (default: dropped).
	Logf func(format string, args ...any)
}

// API holds the parameter registry and serves the routes.
type API struct {
	cfg Config
	mu  sync.Mutex // guards cur
	cur risk.ParamVersion
}

// New returns the API; it records the initial parameter version in the store.
func New(cfg Config) (*API, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Initial.Version == 0 {
		cfg.Initial.Version = 1
	}
	if err := cfg.Initial.Params.Validate(); err != nil {
		return nil, err
	}
	if vs, err := cfg.Store.ParamVersions(); err != nil {
		return nil, err
	} else if len(vs) > 0 && vs[len(vs)-1].Version >= cfg.Initial.Version {
		cfg.Initial = vs[len(vs)-1] // the store knows a newer version
	} else if err := cfg.Store.PutParamVersion(cfg.Initial); err != nil {
		return nil, err
	}
	return &API{cfg: cfg, cur: cfg.Initial}, nil
}

// Current returns the parameter version in force.
func (a *API) Current() risk.ParamVersion {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cur
}

// Handler returns the gin engine as an http.Handler.
func (a *API) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(gin.CustomRecovery(func(c *gin.Context, v any) {
		a.fail(c, ErrInternal.Wrapf("panic: %v", v))
	}))
	r.NoRoute(func(c *gin.Context) { a.fail(c, ErrNoRoute.Wrapf("%s", c.Request.URL.Path)) })
	r.NoMethod(func(c *gin.Context) {
		a.fail(c, ErrMethodNotAllowed.Wrapf("%s %s", c.Request.Method, c.Request.URL.Path))
	})
	v := r.Group("/v1")
	read, write, freeze := a.require(AccessRead), a.require(AccessWrite), a.require(AccessFreeze)
	v.GET("/rules", read, a.getRules)
	v.GET("/rules/versions", read, a.getVersions)
	v.PUT("/rules/:name", write, a.putRule)
	v.POST("/rules/:name/enable", write, a.enable(true))
	v.POST("/rules/:name/disable", write, a.enable(false))
	v.GET("/alerts", read, a.listAlerts)
	v.GET("/alerts/:id", read, a.getAlert)
	v.GET("/alerts/:id/proof", read, a.getProof)
	v.POST("/alerts/:id/ack", write, a.transition(risk.StatusAcknowledged))
	v.POST("/alerts/:id/escalate", write, a.transition(risk.StatusEscalated))
	v.POST("/alerts/:id/close", write, a.transition(risk.StatusClosed))
	v.POST("/freeze", freeze, a.freeze)
	v.GET("/freeze-requests", read, a.freezeRequests)
	return r
}

const callerKey = "riskd.caller"

// require is the middleware of every route: the caller's token must
// verify and its role reach access; the body is bounded.
func (a *API) require(access Access) gin.HandlerFunc {
	return func(c *gin.Context) {
		who, err := a.cfg.Auth.Authenticate(c.Request, access)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes)
		c.Set(callerKey, who)
		c.Next()
	}
}

func callerOf(c *gin.Context) *Caller {
	v, _ := c.Get(callerKey)
	who, _ := v.(*Caller)
	return who
}

// bind decodes a JSON body into v, refusing unknown fields: a body that
// still names "who" is told that the token says who.
func bind(c *gin.Context, v any, want string) error {
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !(errors.Is(err, io.EOF) && want == "") {
		if strings.Contains(err.Error(), `unknown field "who"`) {
			return ErrBadRequest.Wrapf("the caller is the bearer token's key: drop \"who\" from the body")
		}
		return fmt.Errorf("%w: body must be %s: %w", ErrBadRequest, orEmpty(want), err)
	}
	return nil
}

func orEmpty(s string) string {
	if s == "" {
		return "{} or empty"
	}
	return s
}

// Server timeouts: a request's headers and body must arrive within
// ReadTimeout, its answer be written within WriteTimeout (the standby
// stream extends its own deadline write by write), and an idle keep-alive
// connection is closed after IdleTimeout.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 10 * time.Second
	WriteTimeout      = 30 * time.Second
	IdleTimeout       = 2 * time.Minute
)

// NewServer returns an http.Server for h with explicit timeouts; callers
// stop it with Shutdown and treat http.ErrServerClosed as a clean stop.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout: ReadTimeout, WriteTimeout: WriteTimeout, IdleTimeout: IdleTimeout, MaxHeaderBytes: 16 << 10}
}

type rulesView struct {
	Version int64       `json:"version"`
	Who     string      `json:"who"`
	When    time.Time   `json:"when"`
	Hash    string      `json:"hash"`
	Params  risk.Params `json:"params"`
}

func view(v risk.ParamVersion) rulesView {
	return rulesView{Version: v.Version, Who: v.Who, When: v.When, Hash: v.Params.HashHex(), Params: v.Params}
}

func (a *API) getRules(c *gin.Context) { c.JSON(http.StatusOK, view(a.Current())) }

func (a *API) getVersions(c *gin.Context) {
	vs, err := a.cfg.Store.ParamVersions()
	if err != nil {
		a.fail(c, err)
		return
	}
	out := make([]rulesView, len(vs))
	for i, v := range vs {
		out[i] = view(v)
	}
	c.JSON(http.StatusOK, out)
}

type changeReq struct {
	Note   string          `json:"note"`
	Params json.RawMessage `json:"params"`
}

// change applies fn to a copy of the parameters in force and, if valid,
// records and applies the result as the next version.
func (a *API) change(who, note string, fn func(*risk.Params) error) (risk.ParamVersion, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.cur.Params.Clone()
	if err := fn(&p); err != nil {
		return risk.ParamVersion{}, err
	}
	if err := p.Validate(); err != nil {
		return risk.ParamVersion{}, err
	}
	v := risk.ParamVersion{Version: a.cur.Version + 1, Who: who, When: a.cfg.Now().UTC(), Note: note, Params: p}
	if err := a.cfg.Store.PutParamVersion(v); err != nil {
		return risk.ParamVersion{}, err
	}
	if a.cfg.Apply != nil {
		if err := a.cfg.Apply(v); err != nil {
			return risk.ParamVersion{}, err
		}
	}
	a.cur = v
	return v, nil
}

func (a *API) putRule(c *gin.Context) {
	var req changeReq
	if err := bind(c, &req, "{params, note}"); err != nil {
		a.fail(c, err)
		return
	}
	if len(req.Params) == 0 {
		a.fail(c, ErrBadRequest.Wrapf("body must be {params, note}"))
		return
	}
	name := c.Param("name")
	v, err := a.change(callerOf(c).Who(), req.Note, func(p *risk.Params) error { return p.Set(name, req.Params) })
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, view(v))
}

func (a *API) enable(on bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req struct {
			Note string `json:"note"`
		}
		if err := bind(c, &req, ""); err != nil {
			a.fail(c, err)
			return
		}
		name := c.Param("name")
		v, err := a.change(callerOf(c).Who(), req.Note, func(p *risk.Params) error { return p.SetEnabled(name, on) })
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, view(v))
	}
}

func (a *API) listAlerts(c *gin.Context) {
	f := store.Filter{Rule: c.Query("rule"), Account: c.Query("account"), Security: c.Query("security"),
		Status: risk.Status(c.Query("status")), Limit: 100}
	var errs []error
	parseTime := func(k string, dst *time.Time) {
		if s := c.Query(k); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				errs = append(errs, ErrBadRequest.Wrapf("%s: %v", k, err))
			}
			*dst = t
		}
	}
	parseTime("from", &f.From)
	parseTime("to", &f.To)
	if s := c.Query("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			errs = append(errs, ErrBadRequest.Wrapf("after: %v", err))
		}
		f.AfterSeq = n
	}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10_000 {
			errs = append(errs, ErrBadRequest.Wrapf("limit must be 1..10000"))
		}
		f.Limit = n
	}
	if err := errors.Join(errs...); err != nil {
		a.fail(c, err)
		return
	}
	as, err := a.cfg.Store.ListAlerts(f)
	if err != nil {
		a.fail(c, err)
		return
	}
	if as == nil {
		as = []risk.Alert{}
	}
	c.JSON(http.StatusOK, as)
}

func (a *API) getAlert(c *gin.Context) {
	al, err := a.cfg.Store.GetAlert(c.Param("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, al)
}

// AlertProof is an alert with its inclusion proof in an anchored batch.
type AlertProof struct {
	Alert risk.Alert            `json:"alert"`
	Proof anchor.InclusionProof `json:"proof"`
}

func (a *API) getProof(c *gin.Context) {
	al, err := a.cfg.Store.GetAlert(c.Param("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	p, err := anchor.Prove(a.cfg.Store, al.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, AlertProof{Alert: al, Proof: p})
}

type actReq struct {
	Note string `json:"note"`
}

func (a *API) transition(to risk.Status) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req actReq
		if err := bind(c, &req, ""); err != nil {
			a.fail(c, err)
			return
		}
		who := callerOf(c).Who()
		al, err := a.cfg.Store.UpdateAlert(c.Param("id"), func(al *risk.Alert) error {
			return al.Transition(to, who, a.cfg.Now().UTC(), req.Note)
		})
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, al)
	}
}

type freezeReq struct {
	Account string `json:"account"`
	Reason  string `json:"reason"`
	AlertID string `json:"alert_id"`
}

func (a *API) freeze(c *gin.Context) {
	var req freezeReq
	if err := bind(c, &req, "{account, reason, alert_id}"); err != nil {
		a.fail(c, err)
		return
	}
	if req.Account == "" || req.Reason == "" {
		a.fail(c, ErrBadRequest.Wrapf("body must be {account, reason, alert_id}: account and reason are required"))
		return
	}
	who := callerOf(c).Who()
	if a.cfg.Freezer == nil {
		a.fail(c, ErrNoFreezer)
		return
	}
	if req.AlertID != "" {
		if _, err := a.cfg.Store.GetAlert(req.AlertID); err != nil {
			a.fail(c, err)
			return
		}
	}
	tx, err := a.cfg.Freezer.Freeze(c.Request.Context(), req.Account, req.Reason, who)
	if errors.Is(err, ErrMayNotFreeze) {
		r := FreezeRequest{Account: req.Account, Who: who, Reason: req.Reason, AlertID: req.AlertID,
			When: a.cfg.Now().UTC(), Note: err.Error()}
		seq, err := a.cfg.Store.AppendFreezeRequest(&r)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusAccepted, gin.H{"requested": true, "request": seq, "account": req.Account, "note": r.Note})
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"tx_hash": tx, "account": req.Account})
}

func (a *API) freezeRequests(c *gin.Context) {
	out := []FreezeRequest{}
	err := a.cfg.Store.FreezeRequests(func(seq uint64, raw []byte) error {
		var r FreezeRequest
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("admin: freeze request %d: %w", seq, err)
		}
		r.Seq = seq
		out = append(out, r)
		return nil
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}
