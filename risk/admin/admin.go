// Package admin is the risk core's management API (风控管理后台) on gin:
// read and change rule parameters (each change a new version recording who
// and when, refused if invalid), switch rules on and off, list and filter
// alerts, acknowledge, escalate or close them, and ask for an account
// freeze through the chain seam (Freezer).
//
// Handlers are thin: bind, call the store or the parameter registry, map
// the error with statusOf, respond. Parameter changes reach the engine
// through Config.Apply, which the daemon wires to the runner's input stream
// so the change takes effect at a defined position in the stream.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/custody-ledger/custody/risk"
	"github.com/custody-ledger/custody/risk/anchor"
	"github.com/custody-ledger/custody/risk/store"
)

// ErrNoFreezer is returned by the freeze endpoint's service when no chain
// seam is configured (HTTP 501).
var ErrNoFreezer = errors.New("admin: freezing is not configured")

// ErrBadRequest wraps malformed request bodies and query values (HTTP 400).
var ErrBadRequest = errors.New("admin: bad request")

// ErrMayNotFreeze is returned (wrapped) by a Freezer whose key may not
// freeze accounts (only the regulator may): the API then records the
// request for the regulator instead (HTTP 202, "requested").
var ErrMayNotFreeze = errors.New("admin: the freeze key lacks the regulator role")

// ErrFreezeRefused is returned (wrapped) by a Freezer when the chain
// refused the freeze tx: unknown or inactive account, already frozen
// (HTTP 409).
var ErrFreezeRefused = errors.New("admin: the chain refused the freeze")

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
	r.Use(gin.Recovery())
	v := r.Group("/v1")
	v.GET("/rules", a.getRules)
	v.GET("/rules/versions", a.getVersions)
	v.PUT("/rules/:name", a.putRule)
	v.POST("/rules/:name/enable", a.enable(true))
	v.POST("/rules/:name/disable", a.enable(false))
	v.GET("/alerts", a.listAlerts)
	v.GET("/alerts/:id", a.getAlert)
	v.GET("/alerts/:id/proof", a.getProof)
	v.POST("/alerts/:id/ack", a.transition(risk.StatusAcknowledged))
	v.POST("/alerts/:id/escalate", a.transition(risk.StatusEscalated))
	v.POST("/alerts/:id/close", a.transition(risk.StatusClosed))
	v.POST("/freeze", a.freeze)
	v.GET("/freeze-requests", a.freezeRequests)
	return r
}

// NewServer returns an http.Server for h with explicit timeouts; callers
// stop it with Shutdown and treat http.ErrServerClosed as a clean stop.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
}

// statusOf maps domain errors to HTTP status codes.
func statusOf(err error) int {
	switch {
	case errors.Is(err, risk.ErrUnknownRule), errors.Is(err, store.ErrNotFound), errors.Is(err, anchor.ErrNotInBatch):
		return http.StatusNotFound
	case errors.Is(err, risk.ErrInvalidParams), errors.Is(err, ErrBadRequest), errors.Is(err, risk.ErrNoActor):
		return http.StatusBadRequest
	case errors.Is(err, risk.ErrBadTransition):
		return http.StatusConflict
	case errors.Is(err, ErrNoFreezer):
		return http.StatusNotImplemented
	case errors.Is(err, ErrFreezeRefused):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

func fail(c *gin.Context, err error) {
	c.JSON(statusOf(err), gin.H{"error": err.Error()})
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
		fail(c, err)
		return
	}
	out := make([]rulesView, len(vs))
	for i, v := range vs {
		out[i] = view(v)
	}
	c.JSON(http.StatusOK, out)
}

type changeReq struct {
	Who    string          `json:"who"`
	Note   string          `json:"note"`
	Params json.RawMessage `json:"params"`
}

// change applies fn to a copy of the parameters in force and, if valid,
// records and applies the result as the next version.
func (a *API) change(who, note string, fn func(*risk.Params) error) (risk.ParamVersion, error) {
	if who == "" {
		return risk.ParamVersion{}, fmt.Errorf("%w: who is required", ErrBadRequest)
	}
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
	if err := c.ShouldBindJSON(&req); err != nil || len(req.Params) == 0 {
		fail(c, fmt.Errorf("%w: body must be {who, params}", ErrBadRequest))
		return
	}
	name := c.Param("name")
	v, err := a.change(req.Who, req.Note, func(p *risk.Params) error { return p.Set(name, req.Params) })
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, view(v))
}

func (a *API) enable(on bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req changeReq
		if err := c.ShouldBindJSON(&req); err != nil {
			fail(c, fmt.Errorf("%w: body must be {who}", ErrBadRequest))
			return
		}
		name := c.Param("name")
		v, err := a.change(req.Who, req.Note, func(p *risk.Params) error { return p.SetEnabled(name, on) })
		if err != nil {
			fail(c, err)
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
				errs = append(errs, fmt.Errorf("%w: %s: %v", ErrBadRequest, k, err))
			}
			*dst = t
		}
	}
	parseTime("from", &f.From)
	parseTime("to", &f.To)
	if s := c.Query("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: after: %v", ErrBadRequest, err))
		}
		f.AfterSeq = n
	}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10_000 {
			errs = append(errs, fmt.Errorf("%w: limit must be 1..10000", ErrBadRequest))
		}
		f.Limit = n
	}
	if err := errors.Join(errs...); err != nil {
		fail(c, err)
		return
	}
	as, err := a.cfg.Store.ListAlerts(f)
	if err != nil {
		fail(c, err)
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
		fail(c, err)
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
		fail(c, err)
		return
	}
	p, err := anchor.Prove(a.cfg.Store, al.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, AlertProof{Alert: al, Proof: p})
}

type actReq struct {
	Who  string `json:"who"`
	Note string `json:"note"`
}

func (a *API) transition(to risk.Status) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req actReq
		if err := c.ShouldBindJSON(&req); err != nil {
			fail(c, fmt.Errorf("%w: body must be {who, note}", ErrBadRequest))
			return
		}
		al, err := a.cfg.Store.UpdateAlert(c.Param("id"), func(al *risk.Alert) error {
			return al.Transition(to, req.Who, a.cfg.Now().UTC(), req.Note)
		})
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, al)
	}
}

type freezeReq struct {
	Account string `json:"account"`
	Who     string `json:"who"`
	Reason  string `json:"reason"`
	AlertID string `json:"alert_id"`
}

func (a *API) freeze(c *gin.Context) {
	var req freezeReq
	if err := c.ShouldBindJSON(&req); err != nil || req.Account == "" || req.Who == "" || req.Reason == "" {
		fail(c, fmt.Errorf("%w: body must be {account, who, reason}", ErrBadRequest))
		return
	}
	if a.cfg.Freezer == nil {
		fail(c, ErrNoFreezer)
		return
	}
	if req.AlertID != "" {
		if _, err := a.cfg.Store.GetAlert(req.AlertID); err != nil {
			fail(c, err)
			return
		}
	}
	tx, err := a.cfg.Freezer.Freeze(c.Request.Context(), req.Account, req.Reason, req.Who)
	if errors.Is(err, ErrMayNotFreeze) {
		r := FreezeRequest{Account: req.Account, Who: req.Who, Reason: req.Reason, AlertID: req.AlertID,
			When: a.cfg.Now().UTC(), Note: err.Error()}
		seq, err := a.cfg.Store.AppendFreezeRequest(&r)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusAccepted, gin.H{"requested": true, "request": seq, "account": req.Account, "note": r.Note})
		return
	}
	if err != nil {
		fail(c, err)
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
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}
