package interest

import (
	"encoding/binary"

	"github.com/custody-ledger/custody/contracts"
)

// ScheduleKey is a bank's InterestSchedule: 0x65 | bank id.
func ScheduleKey(bankID string) []byte {
	return append([]byte{contracts.PrefixInterestRates}, bankID...)
}

// AccrualsPrefix is the prefix of a bank's accruals: 0x61 | len(bank) | bank.
func AccrualsPrefix(bankID string) []byte {
	return contracts.LenPrefixed([]byte{contracts.PrefixAccrual}, bankID)
}

// AccrualKey is an account's Accrual: AccrualsPrefix(bank) | account id.
func AccrualKey(bankID, accountID string) []byte {
	return append(AccrualsPrefix(bankID), accountID...)
}

// ClosingBalancesPrefix is the prefix of an account's closing balances:
// 0x62 | len(account) | account.
func ClosingBalancesPrefix(accountID string) []byte {
	return contracts.LenPrefixed([]byte{contracts.PrefixClosingBalance}, accountID)
}

// ClosingBalanceKey is the closing balance of an account on a date its
// balance changed: ClosingBalancesPrefix(account) | date (4 bytes BE).
func ClosingBalanceKey(accountID string, date uint32) []byte {
	return binary.BigEndian.AppendUint32(ClosingBalancesPrefix(accountID), date)
}

// ClosingHoldingsPrefix is the prefix of an account's closing holdings of
// one security: 0x63 | len(account) | account | len(security) | security.
func ClosingHoldingsPrefix(accountID, security string) []byte {
	return contracts.LenPrefixed(contracts.LenPrefixed([]byte{contracts.PrefixClosingHolding}, accountID), security)
}

// ClosingHoldingKey is the closing holding on a date the account traded the
// security: ClosingHoldingsPrefix | date (4 bytes BE).
func ClosingHoldingKey(accountID, security string, date uint32) []byte {
	return binary.BigEndian.AppendUint32(ClosingHoldingsPrefix(accountID, security), date)
}

// JournalPrefix is the prefix of the chain's transfer journal of a date
// for (bank, broker): 0x64 | date | len(bank) | bank | len(broker) | broker.
func JournalPrefix(date uint32, bankID, brokerID string) []byte {
	k := binary.BigEndian.AppendUint32([]byte{contracts.PrefixDayJournal}, date)
	return contracts.LenPrefixed(contracts.LenPrefixed(k, bankID), brokerID)
}

// JournalKey is one line of it: JournalPrefix | item key ("<serial>" or
// "<serial>/reversal").
func JournalKey(date uint32, bankID, brokerID, itemKey string) []byte {
	return append(JournalPrefix(date, bankID, brokerID), itemKey...)
}

// PostingsPrefix is the prefix of the interest postings of a settlement
// day: 0x66 | period end date (4 bytes BE).
func PostingsPrefix(periodEnd uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{contracts.PrefixInterestPosting}, periodEnd)
}

// PostingKey is one account's InterestPosting: PostingsPrefix | account id.
func PostingKey(periodEnd uint32, accountID string) []byte {
	return append(PostingsPrefix(periodEnd), accountID...)
}
