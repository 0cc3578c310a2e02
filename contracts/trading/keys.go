package trading

import (
	"encoding/binary"
	"strings"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
)

// present is the value of a pure index entry: the key says it all. (IAVL
// values may not be nil, and an empty value reads like an absent one.)
var present = []byte{1}

// Keys of the trading state. docs/state.md gives them byte by byte; every
// one is exported so that a client can read a record with its proof.

// ParamsKey is the key of the TradingParams: 0x36 0x01.
func ParamsKey() []byte { return []byte{contracts.PrefixTradingState, 0x01} }

// BusinessDayKey is the key of the BusinessDay: 0x36 0x02.
func BusinessDayKey() []byte { return []byte{contracts.PrefixTradingState, 0x02} }

// InstrumentKey is the key of an Instrument: 0x31 | security.
func InstrumentKey(security string) []byte {
	return append([]byte{contracts.PrefixInstrument}, security...)
}

// PositionKey is the key of the clearing house's Position in a security:
// 0x3A | security.
func PositionKey(security string) []byte {
	return append([]byte{contracts.PrefixPosition}, security...)
}

// HoldingKey is the key of a Holding: accounts.HoldingsPrefix(account) |
// security, that is 0x30 | len(account id) | account id | security.
func HoldingKey(accountID, security string) []byte {
	return append(accounts.HoldingsPrefix(accountID), security...)
}

// SplitOrderID splits an order id "<account id>/<suffix>". ok is false when
// there is no '/'; the parts are not checked (ValidateOrderID does that).
func SplitOrderID(orderID string) (accountID, suffix string, ok bool) {
	return strings.Cut(orderID, "/")
}

// OrdersPrefix is the prefix of an account's orders: 0x32 | len(account id)
// | account id.
func OrdersPrefix(accountID string) []byte {
	return contracts.LenPrefixed([]byte{contracts.PrefixOrder}, accountID)
}

// OrderKey is the key of an Order: OrdersPrefix(account id) | suffix. An
// order id that does not split gives a key no order has.
func OrderKey(orderID string) []byte {
	acct, suffix, _ := SplitOrderID(orderID)
	return append(OrdersPrefix(acct), suffix...)
}

// OpenOrdersPrefix is the prefix of an account's open-order index entries:
// 0x37 | len(account id) | account id.
func OpenOrdersPrefix(accountID string) []byte {
	return contracts.LenPrefixed([]byte{contracts.PrefixOpenOrder}, accountID)
}

// OpenOrderKey is the open-order index entry of an order: present while the
// order is OPEN or PARTIALLY_FILLED.
func OpenOrderKey(orderID string) []byte {
	acct, suffix, _ := SplitOrderID(orderID)
	return append(OpenOrdersPrefix(acct), suffix...)
}

// FillKey is the key of a Fill: 0x33 | exec id.
func FillKey(execID string) []byte {
	return append([]byte{contracts.PrefixFill}, execID...)
}

// DayFillsPrefix is the prefix of a business date's fill index:
// 0x38 | date (4 bytes big-endian).
func DayFillsPrefix(date uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{contracts.PrefixDayFill}, date)
}

// BrokerDayFillsPrefix is DayFillsPrefix(date) | len(broker id) | broker id.
func BrokerDayFillsPrefix(date uint32, brokerID string) []byte {
	return contracts.LenPrefixed(DayFillsPrefix(date), brokerID)
}

// DayFillKey is the day-index entry of a fill:
// BrokerDayFillsPrefix(date, broker) | exec id. Clearing walks it in exec-id
// order, broker by broker.
func DayFillKey(date uint32, brokerID, execID string) []byte {
	return append(BrokerDayFillsPrefix(date, brokerID), execID...)
}

// OrderFillsPrefix is the prefix of an order's fill index:
// 0x39 | len(account id) | account id | len(suffix) | suffix.
func OrderFillsPrefix(orderID string) []byte {
	acct, suffix, _ := SplitOrderID(orderID)
	return contracts.LenPrefixed(contracts.LenPrefixed([]byte{contracts.PrefixOrderFill}, acct), suffix)
}

// OrderFillKey is the order-index entry of a fill: OrderFillsPrefix | exec id.
func OrderFillKey(orderID, execID string) []byte {
	return append(OrderFillsPrefix(orderID), execID...)
}
