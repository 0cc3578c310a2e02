package anchors

import "github.com/custody-ledger/custody/contracts"

// Codespace of the anchors contract's refusals.
const Codespace = "anchors"

// Refusals of anchor_alert_batch and anchor_rule_params. Never renumber.
var (
	// ErrBadSeq: the batch number is not the operator's previous batch + 1
	// (1 for the first). A standby that anchors a batch its leader already
	// anchored gets this code and re-syncs from the chain.
	ErrBadSeq = contracts.Register(Codespace, 1, "batch seq is not the operator's previous batch + 1")
	// ErrRangeGap: first_seq does not follow the previous batch's last_seq
	// (1 for the first batch): the alert ranges must be consecutive.
	ErrRangeGap = contracts.Register(Codespace, 2, "alert range does not follow the previous batch's range")
	// ErrBadRange: first_seq is 0, last_seq < first_seq, or count is 0 or
	// larger than the range.
	ErrBadRange = contracts.Register(Codespace, 3, "alert range or count is malformed")
	// ErrBadRoot: the Merkle root is not 32 non-zero bytes.
	ErrBadRoot = contracts.Register(Codespace, 4, "root is not 32 non-zero bytes")
	// ErrBadParamsHash: the parameter hash is not 32 non-zero bytes.
	ErrBadParamsHash = contracts.Register(Codespace, 5, "params hash is not 32 non-zero bytes")
	// ErrBadTimeRange: from_unix_ms or to_unix_ms is negative or from > to.
	ErrBadTimeRange = contracts.Register(Codespace, 6, "alert time range is malformed")
	// ErrParamsNotAnchored: the batch names a parameter hash the operator
	// never anchored with anchor_rule_params.
	ErrParamsNotAnchored = contracts.Register(Codespace, 7, "params hash was not anchored by this operator")
	// ErrStaleVersion: a parameter version not above the operator's last.
	ErrStaleVersion = contracts.Register(Codespace, 8, "params version is not above the operator's last version")
	// ErrBadChangedBy: changed_by is empty, longer than 64 bytes or not UTF-8.
	ErrBadChangedBy = contracts.Register(Codespace, 9, "changed_by is not 1-64 bytes of UTF-8")
	// ErrNotFound: a read of a batch or parameter version that does not exist.
	ErrNotFound = contracts.Register(Codespace, 10, "anchor not found")
)
