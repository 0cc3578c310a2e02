package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// routes builds the gin engine. Every /v1 route authenticates its caller;
// /openapi.json is public. A new record type is one handler here and one
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
	// The client IP is the socket's peer; no proxy header is trusted.
	r.ForwardedByClientIP = false
	_ = r.SetTrustedProxies(nil)

	r.Use(gin.CustomRecovery(s.recovery), requestID, s.accessLog)
	if len(s.cfg.CORSAllowedOrigins) > 0 {
		r.Use(s.cors)
	}
	r.Use(s.limitBody)
	r.NoRoute(notFound)
	r.NoMethod(methodNotAllowed)

	r.GET("/openapi.json", s.getOpenAPI)

	read := timeout(s.cfg.RequestTimeout)
	v1 := r.Group("/v1", wellFormedQuery, s.guardAuth)
	v1.GET("/status", read, s.getStatus)
	v1.GET("/validators", read, s.getValidators)
	v1.GET("/participants", read, s.getParticipants)
	v1.GET("/participants/:id", read, s.getParticipant)
	v1.GET("/keys/:address", read, s.getKey)
	v1.GET("/accounts/:id", read, s.getAccount)
	v1.GET("/accounts/:id/funds", read, s.getFunds)
	v1.GET("/accounts/:id/ledger", read, s.getLedger)
	v1.GET("/accounts/:id/transfers", read, s.getAccountTransfers)
	v1.GET("/transfers/:bank_id/:transfer_id", read, s.getTransfer)
	v1.GET("/custody/:bank_id/:broker_id", read, s.getCustodyTotal)
	v1.GET("/supply", read, s.getSupply)
	v1.GET("/invariants", read, s.getInvariants)
	v1.GET("/anchors/:operator", read, s.getAnchors)
	v1.GET("/anchors/:operator/:seq", read, s.getAnchor)
	v1.POST("/txs", timeout(s.cfg.RequestTimeout+s.cfg.CommitTimeout), s.postTx)
	v1.GET("/txs/:hash", read, s.getTx)
	return r
}

// getOpenAPI serves the OpenAPI document kept in openapi.json.
func (s *Server) getOpenAPI(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/json", openAPIDoc)
}
