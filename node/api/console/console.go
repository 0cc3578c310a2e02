// Package console is the regulator's console (监管控制台): a plain web page
// over the node's REST API, served by every node under /ui/. The page is
// static HTML, CSS and JavaScript embedded in the binary (no build step);
// it holds the user's bearer token in the tab (sessionStorage) and makes
// every data call to the authenticated /v1 API with it, so the API's read
// policy alone decides what a regulator, a bank, a broker or a client
// sees. The files themselves are public: they carry no data.
//
// The package imports nothing of the API, so the API mounts it with one
// line (Mount) and the browser tests (console_browser_test.go) drive it in
// headless Chromium against a real network.
package console

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"
)

//go:embed assets
var assets embed.FS

// Prefix is where the console is served.
const Prefix = "/ui/"

// securityHeaders keep the page to itself: scripts and styles only from
// this origin (no inline script, so an injected record cannot run), data
// calls only to this origin's API, never framed, no referrer (URLs carry
// account ids), and no caching of the shell so an upgrade shows at once.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
}

// Mount registers GET /ui and GET /ui/*file on r, POST /ui/verify
// (authenticated with deps.Auth) when deps.RPC is set, and the relayed
// risk core reads under /ui/risk/ (risk.go).
func Mount(r gin.IRoutes, deps Deps) {
	if deps.RPC != nil {
		r.POST("/ui/verify", append(append([]gin.HandlerFunc{}, deps.Auth...), verify(deps.RPC))...)
	}
	mountRisk(r, deps.RiskAdmin, deps.Auth)
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embed directive guarantees the directory
	}
	files := http.FileServer(http.FS(static))
	serve := func(name string) gin.HandlerFunc {
		return func(c *gin.Context) {
			securityHeaders(c.Writer.Header())
			req := c.Request.Clone(c.Request.Context())
			req.URL.Path = "/" + name
			if name == "index.html" {
				req.URL.Path = "/" // FileServer serves index.html for the directory
			}
			files.ServeHTTP(c.Writer, req)
		}
	}
	r.GET("/ui", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, Prefix) })
	r.GET(Prefix, serve("index.html"))
	// Each embedded file is its own route (no catch-all, which gin would
	// not let sit beside /ui/verify and /ui/risk/...).
	entries, err := fs.ReadDir(static, ".")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			r.GET(Prefix+e.Name(), serve(e.Name()))
		}
	}
}
