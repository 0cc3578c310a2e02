package abci

// Every test of the package, and TestNodeBlock_CustodyMix's mix over the
// real contracts, checks that no contract modifies a message it executes,
// which the decoded-tx cache relies on.
func init() { checkDecodeCache = true }

// SetDecodeCheck turns that check on or off; BenchmarkNodeBlock turns it
// off, since it costs a decode per delivered tx.
func SetDecodeCheck(on bool) { checkDecodeCache = on }
