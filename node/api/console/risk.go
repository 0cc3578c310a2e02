package console

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// The risk core's admin API (riskd, docs/risk.md) keeps the alerts, their
// inclusion proofs and the rule parameter versions. It sends no CORS
// headers, so a page served by a node cannot call it; the node proxies
// these read routes of it instead, and only these: GET, the path fixed
// here, the caller's own Authorization header the only header forwarded.
// riskd checks the token itself (the regulator, or the risk operator), so
// the proxy grants nothing the caller could not read from riskd directly;
// the node authenticates the caller first as /v1 does, so an anonymous
// caller does not reach riskd through it.
var riskRoutes = []string{
	"/v1/alerts",
	"/v1/alerts/:id",
	"/v1/alerts/:id/proof",
	"/v1/rules",
	"/v1/rules/versions",
}

// riskAnswerLimit bounds an answer relayed from riskd.
const riskAnswerLimit = 4 << 20

// mountRisk registers GET /ui/risk/<route> for each of riskRoutes,
// relaying to admin; with no admin each answers 404 with a note saying so.
func mountRisk(r gin.IRoutes, admin string, auth []gin.HandlerFunc) {
	base, err := url.Parse(strings.TrimRight(admin, "/"))
	if admin == "" || err != nil {
		base = nil
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	for _, route := range riskRoutes {
		r.GET("/ui/risk"+route, append(append([]gin.HandlerFunc{}, auth...), func(c *gin.Context) {
			if base == nil {
				c.JSON(http.StatusNotFound, gin.H{"title": "no risk core", "detail": "this node has no [api] risk_admin address, so it relays no alerts (docs/console.md)", "code": "console/no-risk-core"})
				return
			}
			target := *base
			target.Path = base.Path + strings.TrimPrefix(c.Request.URL.EscapedPath(), "/ui/risk")
			target.RawPath = ""
			if p, err := url.PathUnescape(target.Path); err == nil {
				target.RawPath, target.Path = target.Path, p
			}
			target.RawQuery = c.Request.URL.RawQuery
			req, err := http.NewRequestWithContext(c.Request.Context(), http.MethodGet, target.String(), nil)
			if err != nil {
				c.JSON(http.StatusBadGateway, gin.H{"title": "bad risk core request", "detail": err.Error()})
				return
			}
			req.Header.Set("Authorization", c.GetHeader("Authorization"))
			req.Header.Set("Accept", "application/json")
			res, err := hc.Do(req)
			if err != nil {
				c.JSON(http.StatusBadGateway, gin.H{"title": "the risk core did not answer", "detail": err.Error(), "code": "console/risk-unreachable"})
				return
			}
			defer res.Body.Close()
			c.Header("Cache-Control", "no-store")
			ct := res.Header.Get("Content-Type")
			if ct == "" {
				ct = "application/json"
			}
			c.Status(res.StatusCode)
			c.Header("Content-Type", ct)
			_, _ = io.Copy(c.Writer, io.LimitReader(res.Body, riskAnswerLimit))
		})...)
	}
}
