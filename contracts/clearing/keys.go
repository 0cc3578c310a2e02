package clearing

import (
	"encoding/binary"

	"github.com/custody-ledger/custody/contracts"
)

// ReportsPrefix is the prefix of a business date's settlement reports:
// 0x34 | date (4 bytes big-endian).
func ReportsPrefix(date uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{contracts.PrefixSettlement}, date)
}

// ReportKey is the key of a broker's SettlementReport for a date:
// ReportsPrefix(date) | broker id.
func ReportKey(date uint32, brokerID string) []byte {
	return append(ReportsPrefix(date), brokerID...)
}

// BreaksPrefix is the prefix of a date's settlement breaks: 0x3B | date.
// With date 0 omitted (BreaksPrefixAll) it spans every date.
func BreaksPrefix(date uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{contracts.PrefixSettleBreak}, date)
}

// BreaksPrefixAll is the prefix of every settlement break: 0x3B.
func BreaksPrefixAll() []byte { return []byte{contracts.PrefixSettleBreak} }

// BreakKey is the key of a broker's SettlementBreak for a date.
func BreakKey(date uint32, brokerID string) []byte {
	return append(BreaksPrefix(date), brokerID...)
}

// SnapshotsPrefix is the prefix of a date's custody snapshots: 0x3C | date.
func SnapshotsPrefix(date uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{contracts.PrefixCustodySnap}, date)
}

// SnapshotKey is the key of the CustodySnapshot of (bank, broker) at the
// close of a date: SnapshotsPrefix(date) | len(bank id) | bank id | broker id.
func SnapshotKey(date uint32, bankID, brokerID string) []byte {
	return append(contracts.LenPrefixed(SnapshotsPrefix(date), bankID), brokerID...)
}
