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

	PrefixTransfer byte = 0x20 // transfers: transfer id → Transfer

	PrefixHolding    byte = 0x30 // trading: account id, security → Holding
	PrefixInstrument byte = 0x31 // trading: security → Instrument
	PrefixOrder      byte = 0x32 // trading: order id → Order
	PrefixFill       byte = 0x33 // trading: exec id → Fill
	PrefixSettlement byte = 0x34 // clearing: date, broker → SettlementReport
	PrefixReconcile  byte = 0x35 // reconciliation: date, bank, broker → result

	PrefixAnchor byte = 0x40 // risk: batch id → AlertBatchAnchor
)
