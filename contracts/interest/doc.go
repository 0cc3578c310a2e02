// Package interest pays the custodian bank's interest on clients' trading
// settlement funds (结息) and keeps the closing figures that interest and
// reconciliation are computed from.
//
// The rule (DOMAIN.md). Client funds earn their custodian bank's
// demand-deposit rate, a dated schedule per bank that the bank sets by a
// message (MsgSetInterestRate). Interest accrues on the daily closing
// balance — every calendar day, a weekend or holiday carrying the last
// business day's close — and is settled quarterly on the bank's settlement
// day (the 20th of March, June, September and December by default) and
// credited the next day. Day count actual/360:
//
//	积数    = Σ over the period's calendar days of the closing balance (fen × days)
//	interest = round_half_up(Σ_rate 积数_rate × annual rate / 360) to the fen
//
// with the rate in parts per 10^8, so in integers
//
//	interest = ⌊(Σ 积数_r × r + 180 × 10^8) / (360 × 10^8)⌋
//
// one rounding per account and period (a rate change within a period splits
// the 积数 by rate before the one rounding). The bank computes the same
// figure from its mirror accounts; check 6 of package reconcile compares
// the two.
//
// Cost. End-of-day clearing calls Close once. It visits only the accounts
// whose balance changed that day (funds marks them), integrating lazily:
// an account keeps its last closing balance and the date from which it
// holds (Accrual), so the days in between are added as balance × days when
// the balance next changes, or at settlement. The close costs the day's
// activity, not the number of accounts ever opened; only the quarterly
// settlement visits every account that holds money, as it must (each gets
// a ledger entry).
//
// Closing figures. The same close records, for every changed account, its
// closing balance of the date, for every account and security traded that
// day, its closing holding, and the chain's transfer journal of the date
// (the transfers and reversals among the ledger entries since the last
// close): reconciliation compares a bank's or the clearing house's file for
// a date with these, however late the file arrives.
//
// Money. Interest enters custody at the bank boundary, like a deposit: the
// supply grows by it (Supply.interest) and so does the bank's custody total
// for the broker.
//
// Determinism: integer arithmetic only (128-bit products), dates as day
// numbers computed by arithmetic, ordered prefix iteration, no maps ranged.
package interest
