package contracts

// State key prefixes: the first byte of every key in the state tree. One
// table for all contracts so that no two share a key space; docs/state.md
// describes the key after the prefix and the value for each. Never reuse a
// retired prefix.
const (
	PrefixParticipant byte = 0x01 // participants: id → Participant
	PrefixKey         byte = 0x02 // auth: signer address → KeyRecord
	PrefixParams      byte = 0x03 // chain parameters
	PrefixKeyHistory  byte = 0x04 // participants: len-prefixed participant id, seq → KeyEvent
	PrefixApproval    byte = 0x05 // approvals: len-prefixed participant id, id → PendingApproval
	PrefixPendingMsg  byte = 0x06 // approvals: len-prefixed participant id, SHA-256(msg) → id (index of pending items)

	PrefixAccount          byte = 0x10 // accounts: account id → Account
	PrefixIdentityIndex    byte = 0x11 // accounts: broker id, identity hash → account id
	PrefixFunds            byte = 0x12 // accounts: account id → Funds
	PrefixFundLedger       byte = 0x13 // accounts: account id, seq → LedgerEntry
	PrefixCustodyTotal     byte = 0x14 // accounts: bank id, broker id → total client balance
	PrefixSupply           byte = 0x15 // funds: (no suffix) → chain-wide total of client funds
	PrefixSystemAccount    byte = 0x16 // funds: kind, owner → SystemAccount (fee, settlement, clearing house)
	PrefixClientKeyClaim   byte = 0x17 // accounts: client key address → account id (a key belongs to one account)
	PrefixPendingClientKey byte = 0x18 // accounts: account id → PendingClientKey (replacement awaiting the bank)
	PrefixClientKeyEvent   byte = 0x19 // accounts: account id, seq → ClientKeyEvent (key history)

	PrefixTransfer byte = 0x20 // transfers: transfer id → Transfer

	PrefixHolding        byte = 0x30 // trading: account id, security → Holding
	PrefixInstrument     byte = 0x31 // trading: security → Instrument
	PrefixOrder          byte = 0x32 // trading: account id, order suffix → Order
	PrefixFill           byte = 0x33 // trading: exec id → Fill
	PrefixSettlement     byte = 0x34 // clearing: date, broker → SettlementReport
	PrefixReconcile      byte = 0x35 // reconciliation: date, bank, broker → ReconResult
	PrefixTradingState   byte = 0x36 // trading: 0x01 → TradingParams, 0x02 → BusinessDay
	PrefixOpenOrder      byte = 0x37 // trading: account id, order suffix → (index of open orders)
	PrefixDayFill        byte = 0x38 // trading: date, broker, exec id → (index of a day's fills)
	PrefixOrderFill      byte = 0x39 // trading: account id, order suffix, exec id → (index of an order's fills)
	PrefixPosition       byte = 0x3A // trading: security → Position (the clearing house's)
	PrefixSettleBreak    byte = 0x3B // clearing: date, broker → SettlementBreak
	PrefixCustodySnap    byte = 0x3C // clearing: date, bank, broker → CustodySnapshot
	PrefixReconcileBreak byte = 0x3D // reconciliation: date, bank, broker → (index of breaks)

	PrefixAnchor byte = 0x40 // anchors: operator, kind, seq → alert batch or rule-parameter record (docs/state.md)

	PrefixProposal           byte = 0x71 // governance: id → Proposal
	PrefixOpenProposal       byte = 0x72 // governance: expires height, id → (index of open proposals)
	PrefixValidatorUpdate    byte = 0x73 // governance: consensus key → power (queued for this block's FinalizeBlock)
	PrefixUpgradePlan        byte = 0x74 // governance: (no suffix) → UpgradePlan scheduled
	PrefixAppliedUpgrade     byte = 0x75 // governance: plan name → AppliedUpgrade
	PrefixAppVersion         byte = 0x76 // governance: (no suffix) → app version (8 bytes big-endian)
	PrefixRemovedParticipant byte = 0x77 // governance: id → Participant as it was when removed
)
