package contracts

// State key prefixes: the first byte of every key in the state tree. One
// table for all contracts so that no two share a key space; docs/state.md
// describes the key after the prefix and the value for each. Never reuse a
// retired prefix.
const (
	PrefixParticipant byte = 0x01 // participants: id → Participant
	PrefixKey         byte = 0x02 // auth: signer address → KeyRecord
	PrefixParams      byte = 0x03 // chain parameters

	PrefixAccount       byte = 0x10 // accounts: account id → Account
	PrefixIdentityIndex byte = 0x11 // accounts: broker id, identity hash → account id
	PrefixFunds         byte = 0x12 // accounts: account id → Funds
	PrefixFundLedger    byte = 0x13 // accounts: account id, seq → LedgerEntry
	PrefixCustodyTotal  byte = 0x14 // accounts: bank id, broker id → total client balance
	PrefixSupply        byte = 0x15 // funds: (no suffix) → chain-wide total of client funds
	PrefixSystemAccount byte = 0x16 // funds: kind, owner → SystemAccount (fee, settlement, clearing house)

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

	PrefixMisbehaviour byte = 0x70 // evidence: height, validator address → MisbehaviourRecord
)
