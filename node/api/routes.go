package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/custody-ledger/custody/node/api/console"
)

// routes builds the gin engine. Every /v1 route authenticates its caller;
// /openapi.json is public (rate limited per IP), /healthz and /readyz are
// the load balancer's probes (health.go). A new record type is one handler here and one
// path in openapi.json (the route test keeps the two equal).
func (s *Server) routes() *gin.Engine {
	gin.SetMode(gin.ReleaseMode) // no route dump on stdout
	r := gin.New()
	// Path parameters are matched on the escaped path and unescaped after,
	// so a withdrawal id "ACC-1/W1" travels as ACC-1%2FW1 in one segment.
	r.UseEscapedPath = true
	r.UnescapePathValues = true
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = true
	// The client IP is the socket's peer, unless the peer is one of
	// Config.TrustedProxies: then it is the right-most X-Forwarded-For
	// address that is not itself a trusted proxy (the header's left part
	// is whatever the client wrote, so only the proxies' own appends
	// count). X-Real-IP and platform headers are never read.
	r.ForwardedByClientIP = len(s.cfg.TrustedProxies) > 0
	r.RemoteIPHeaders = []string{"X-Forwarded-For"}
	r.TrustedPlatform = ""
	if err := r.SetTrustedProxies(s.proxyRanges()); err != nil {
		panic(err) // Validate checked every entry
	}

	r.Use(gin.CustomRecovery(s.recovery), requestID, s.accessLog)
	if len(s.cfg.CORSAllowedOrigins) > 0 {
		r.Use(s.cors)
	}
	r.Use(s.limitBody)
	r.NoRoute(notFound)
	r.NoMethod(methodNotAllowed)

	r.GET("/openapi.json", s.limitIP, s.getOpenAPI)
	r.GET("/healthz", getHealthz)
	r.GET("/readyz", s.getReadyz)

	read := timeout(s.cfg.RequestTimeout)
	v1 := r.Group("/v1", wellFormedQuery, s.guardAuth)
	// The console: static pages under /ui/ (their data calls are the /v1
	// calls below) and its proof check, authenticated as /v1 is.
	console.Mount(r, console.Deps{RPC: s.chain.RPC, RiskAdmin: s.cfg.RiskAdminURL, Auth: []gin.HandlerFunc{wellFormedQuery, s.guardAuth, read}})
	v1.GET("/status", read, s.getStatus)
	v1.GET("/validators", read, s.getValidators)
	v1.GET("/participants", read, s.getParticipants)
	v1.GET("/participants/:id", read, s.getParticipant)
	v1.GET("/keys/:address", read, s.getKey)
	v1.GET("/participants/:id/keys", read, s.getParticipantKeys)
	v1.GET("/participants/:id/key-history", read, s.getKeyHistory)
	v1.GET("/participants/:id/approvals", read, s.getApprovals)
	v1.GET("/participants/:id/approvals/:approval_id", read, s.getApproval)
	v1.GET("/accounts/:id", read, s.getAccount)
	v1.GET("/accounts/:id/funds", read, s.getFunds)
	v1.GET("/accounts/:id/ledger", read, s.getLedger)
	v1.GET("/accounts/:id/transfers", read, s.getAccountTransfers)
	v1.GET("/accounts/:id/statement", read, s.getStatement)
	v1.GET("/transfers/:bank_id/:transfer_id", read, s.getTransfer)
	v1.GET("/custody/:bank_id/:broker_id", read, s.getCustodyTotal)
	v1.GET("/supply", read, s.getSupply)
	v1.GET("/invariants", read, s.getInvariants)
	v1.GET("/business-day", read, s.getBusinessDay)
	v1.GET("/instruments", read, s.getInstruments)
	v1.GET("/instruments/:security", read, s.getInstrument)
	v1.GET("/accounts/:id/holdings", read, s.getHoldings)
	v1.GET("/accounts/:id/holdings/:security", read, s.getHolding)
	v1.GET("/accounts/:id/orders", read, s.getOrders)
	v1.GET("/accounts/:id/orders/:suffix", read, s.getOrder)
	v1.GET("/accounts/:id/orders/:suffix/fills", read, s.getOrderFills)
	v1.GET("/fills/:exec_id", read, s.getFill)
	v1.GET("/settlement/breaks", read, s.getSettlementBreaks)
	v1.GET("/settlement/:date/reports", read, s.getReports)
	v1.GET("/settlement/:date/reports/:broker_id", read, s.getReport)
	v1.GET("/settlement/:date/fills/:broker_id", read, s.getDayFills)
	v1.GET("/reconciliation/breaks", read, s.getReconciliationBreaks)
	v1.GET("/reconciliation/:date", read, s.getReconciliations)
	v1.GET("/reconciliation/:date/:bank_id/:broker_id", read, s.getReconciliation)
	v1.GET("/adjustments/:adjustment_id", read, s.getAdjustment)
	v1.GET("/accounts/:id/receivable", read, s.getReceivable)
	v1.GET("/settlement/:date/held/:broker_id", read, s.getHeldSettlement)
	v1.GET("/anchors/:operator", read, s.getAnchors)
	v1.GET("/anchors/:operator/:seq", read, s.getAnchor)
	v1.GET("/proposals", read, s.getProposals)
	v1.GET("/proposals/:id", read, s.getProposal)
	v1.GET("/upgrade", read, s.getUpgrade)
	v1.POST("/txs", timeout(s.cfg.RequestTimeout+s.cfg.CommitTimeout), s.postTx)
	v1.GET("/txs/:hash", read, s.getTx)
	return r
}

// getOpenAPI serves the OpenAPI document kept in openapi.json.
func (s *Server) getOpenAPI(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/json", openAPIDoc)
}
