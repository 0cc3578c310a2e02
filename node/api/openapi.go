package api

import _ "embed"

// openAPIDoc is the OpenAPI 3 description of every route, served at
// /openapi.json. The route test checks that it names exactly the routes
// the engine registers.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI 3 document of the API.
func OpenAPI() []byte { return append([]byte(nil), openAPIDoc...) }
