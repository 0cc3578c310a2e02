package api

// Golden is golden for the external tests (package api_test).
var Golden = golden
