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

	PrefixTransfer   byte = 0x20 // transfers: transfer id → Transfer
	PrefixReceivable byte = 0x21 // funds: account id → Receivable (owed after a deposit reversal)

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

	PrefixAdjustment       byte = 0x50 // adjustments: adjustment id → Adjustment
	PrefixAdjustmentParams byte = 0x51 // adjustments: (no suffix) → AdjustmentParams
	PrefixAdjustmentBreak  byte = 0x52 // adjustments: kind, date, bank, broker → adjustment id (pending or applied)
	PrefixCalendarDay      byte = 0x53 // calendar: date → (a trading day)
	PrefixCalendarState    byte = 0x54 // calendar: 0x01 → CalendarParams, 0x02 → CalendarCoverage
	PrefixHeldSettlement   byte = 0x55 // trading: date, broker → HeldSettlement (settlement held by a break)
	// 0x60-0x6F: interest (结息), closing figures and the six reconciliation
	// checks (docs/state.md).
	PrefixBalanceChanged  byte = 0x60 // funds: account id → first ledger seq since the last close
	PrefixAccrual         byte = 0x61 // interest: bank, account id → Accrual (lazy 积数)
	PrefixClosingBalance  byte = 0x62 // interest: account id, date → ClosingFigure (on days its ledger moved)
	PrefixClosingHolding  byte = 0x63 // interest: account id, security, date → ClosingFigure (on days it traded)
	PrefixDayJournal      byte = 0x64 // interest: date, bank, broker, item key → JournalLine (the chain's transfer journal)
	PrefixInterestRates   byte = 0x65 // interest: bank → InterestSchedule
	PrefixInterestPosting byte = 0x66 // interest: date, account id → InterestPosting
	PrefixReconCheck      byte = 0x67 // reconcile: date, counterparty, broker, check → ReconCheck
	PrefixReconItemBreak  byte = 0x68 // reconcile: date, counterparty, broker, check, item key → ReconBreak

	PrefixAnchor byte = 0x40 // anchors: operator, kind, seq → alert batch or rule-parameter record (docs/state.md)

	PrefixMisbehaviour       byte = 0x70 // evidence: height, validator address → MisbehaviourRecord
	PrefixProposal           byte = 0x71 // governance: id → Proposal
	PrefixOpenProposal       byte = 0x72 // governance: expires height, id → (index of open proposals)
	PrefixValidatorUpdate    byte = 0x73 // governance: consensus key → power (queued for this block's FinalizeBlock)
	PrefixUpgradePlan        byte = 0x74 // governance: (no suffix) → UpgradePlan scheduled
	PrefixAppliedUpgrade     byte = 0x75 // governance: plan name → AppliedUpgrade
	PrefixAppVersion         byte = 0x76 // governance: (no suffix) → app version (8 bytes big-endian)
	PrefixRemovedParticipant byte = 0x77 // governance: id → Participant as it was when removed
)
