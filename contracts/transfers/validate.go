package transfers

import (
	"strings"

	"github.com/custody-ledger/custody/contracts"
	"github.com/custody-ledger/custody/contracts/accounts"
	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Limits of the stateless checks.
const (
	// MaxAmount is the largest single transfer, in fen: 10^14 fen is one
	// trillion CNY. It keeps every sum of a few transfers far from int64's
	// end; the arithmetic is checked all the same.
	MaxAmount int64 = 100_000_000_000_000
	// MaxBankSerialLen bounds a bank's transfer serial (银转证).
	MaxBankSerialLen = 64
	// MaxSuffixLen bounds the part of a withdrawal id after "<account>/".
	MaxSuffixLen = 32
)

const serialExtra = "._-"

// ValidateAmount checks 0 < amount ≤ MaxAmount.
func ValidateAmount(amount int64) error {
	if amount <= 0 || amount > MaxAmount {
		return ErrBadAmount.Wrapf("%s", contracts.CNY(amount))
	}
	return nil
}

// ValidateBankSerial checks a bank's transfer id: 1-64 characters
// [0-9A-Za-z._-] (no '/', so it can never look like a withdrawal id).
func ValidateBankSerial(id string) error {
	if !accounts.IDChars(id, MaxBankSerialLen, serialExtra) {
		return ErrBadTransferID.Wrapf("%q is not 1-%d characters [0-9A-Za-z._-]", id, MaxBankSerialLen)
	}
	return nil
}

// SplitWithdrawalID splits "<account id>/<suffix>" and checks both parts.
func SplitWithdrawalID(id string) (accountID string, err error) {
	acct, suffix, ok := strings.Cut(id, "/")
	if !ok || accounts.ValidateAccountID(acct) != nil || !accounts.IDChars(suffix, MaxSuffixLen, serialExtra) {
		return "", ErrBadTransferID.Wrapf("%q is not <account id>/<1-%d characters [0-9A-Za-z._-]>", id, MaxSuffixLen)
	}
	return acct, nil
}

// ValidateBankToBroker is the stateless check of MsgBankToBroker.
func ValidateBankToBroker(m *custodyv1.MsgBankToBroker) error {
	if err := ValidateBankSerial(m.TransferId); err != nil {
		return err
	}
	if err := accounts.ValidateAccountID(m.AccountId); err != nil {
		return err
	}
	return ValidateAmount(m.Amount)
}

// ValidateRequestWithdrawal is the stateless check of MsgRequestWithdrawal:
// the transfer id must name the account it withdraws from.
func ValidateRequestWithdrawal(m *custodyv1.MsgRequestWithdrawal) error {
	if err := accounts.ValidateAccountID(m.AccountId); err != nil {
		return err
	}
	acct, err := SplitWithdrawalID(m.TransferId)
	if err != nil {
		return err
	}
	if acct != m.AccountId {
		return ErrBadTransferID.Wrapf("%q does not start with %q", m.TransferId, m.AccountId+"/")
	}
	return ValidateAmount(m.Amount)
}

// ValidateConfirmWithdrawal is the stateless check of MsgConfirmWithdrawal.
func ValidateConfirmWithdrawal(m *custodyv1.MsgConfirmWithdrawal) error {
	if _, err := SplitWithdrawalID(m.TransferId); err != nil {
		return err
	}
	return accounts.ValidateReason(m.Reason)
}
