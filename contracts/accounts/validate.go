package accounts

import (
	"unicode/utf8"

	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

// Limits of the stateless checks.
const (
	MaxAccountIDLen     = 32
	MaxParticipantIDLen = 32
	MaxReasonLen        = 256
	MaxShareholders     = 8
	ShareholderLen      = 10
	HashLen             = 32
	PubKeyLen           = 32
)

// ValidateAccountID checks an account id: 1-32 characters [0-9A-Za-z-].
func ValidateAccountID(id string) error {
	if !idChars(id, MaxAccountIDLen, isAlnum, "-") {
		return ErrBadAccountID.Wrapf("%q", id)
	}
	return nil
}

// ValidateParticipantID checks a participant id the way genesis does:
// 1-32 characters [a-z0-9-], not starting with '-'.
func ValidateParticipantID(id string) error {
	if !idChars(id, MaxParticipantIDLen, isLowerAlnum, "-") || id[0] == '-' {
		return ErrBadParticipantID.Wrapf("%q", id)
	}
	return nil
}

// ValidateReason checks free text: at most 256 bytes of UTF-8.
func ValidateReason(s string) error {
	if len(s) > MaxReasonLen || !utf8.ValidString(s) {
		return ErrBadReason.Wrapf("%d bytes", len(s))
	}
	return nil
}

func validateHash(what string, h []byte) error {
	if len(h) != HashLen {
		return ErrBadHash.Wrapf("%s has %d bytes", what, len(h))
	}
	for _, b := range h {
		if b != 0 {
			return nil
		}
	}
	return ErrBadHash.Wrapf("%s is all zero", what)
}

// ValidateOpen is the stateless check of MsgOpenAccount.
func ValidateOpen(m *custodyv1.MsgOpenAccount) error {
	if err := ValidateAccountID(m.AccountId); err != nil {
		return err
	}
	if len(m.ClientPubKey) != PubKeyLen {
		return ErrBadPubKey.Wrapf("got %d bytes", len(m.ClientPubKey))
	}
	if err := validateHash("identity hash", m.IdentityHash); err != nil {
		return err
	}
	if err := validateHash("bank card hash", m.BankCardHash); err != nil {
		return err
	}
	if err := ValidateParticipantID(m.BankId); err != nil {
		return err
	}
	if len(m.ShareholderAccounts) > MaxShareholders {
		return ErrBadShareholder.Wrapf("%d accounts, at most %d", len(m.ShareholderAccounts), MaxShareholders)
	}
	for i, s := range m.ShareholderAccounts {
		if len(s) != ShareholderLen || !idChars(s, ShareholderLen, isUpperAlnum, "") {
			return ErrBadShareholder.Wrapf("%q", s)
		}
		for _, prev := range m.ShareholderAccounts[:i] {
			if prev == s {
				return ErrBadShareholder.Wrapf("%q appears twice", s)
			}
		}
	}
	return nil
}

// ValidateConfirm is the stateless check of MsgConfirmAccount. A rejection
// must say why.
func ValidateConfirm(m *custodyv1.MsgConfirmAccount) error {
	if err := ValidateAccountID(m.AccountId); err != nil {
		return err
	}
	if err := ValidateReason(m.Reason); err != nil {
		return err
	}
	if !m.Approve && m.Reason == "" {
		return ErrRejectWithoutReason.Wrapf("account %s", m.AccountId)
	}
	return nil
}

// ValidateClose is the stateless check of MsgCloseAccount.
func ValidateClose(m *custodyv1.MsgCloseAccount) error {
	return ValidateAccountID(m.AccountId)
}

func idChars(s string, maxLen int, class func(byte) bool, extra string) bool {
	if len(s) == 0 || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if class(c) {
			continue
		}
		ok := false
		for j := 0; j < len(extra); j++ {
			ok = ok || c == extra[j]
		}
		if !ok {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
func isLowerAlnum(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' }
func isUpperAlnum(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' }

// IDChars reports whether s is 1..maxLen characters, each alphanumeric or
// in extra. Other contracts use it for their own id formats.
func IDChars(s string, maxLen int, extra string) bool { return idChars(s, maxLen, isAlnum, extra) }
