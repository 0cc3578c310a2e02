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

// ValidateOpen is the stateless check of MsgOpenAccount: the request's
// fields, then the client's signature over it (proof that whoever asks
// holds the key). The chain and the broker the request names are checked
// by Open, which knows them.
func ValidateOpen(m *custodyv1.MsgOpenAccount) error {
	r := m.Request
	if r == nil {
		return ErrNoClientRequest.Wrapf("open_account without an opening request")
	}
	if err := ValidateAccountID(r.AccountId); err != nil {
		return err
	}
	if err := ValidateParticipantID(r.BrokerId); err != nil {
		return err
	}
	if err := validatePubKey(r.ClientPubKey); err != nil {
		return err
	}
	if err := validateHash("identity hash", r.IdentityHash); err != nil {
		return err
	}
	if err := validateHash("bank card hash", r.BankCardHash); err != nil {
		return err
	}
	if err := ValidateParticipantID(r.BankId); err != nil {
		return err
	}
	if len(r.ShareholderAccounts) > MaxShareholders {
		return ErrBadShareholder.Wrapf("%d accounts, at most %d", len(r.ShareholderAccounts), MaxShareholders)
	}
	for i, s := range r.ShareholderAccounts {
		if len(s) != ShareholderLen || !idChars(s, ShareholderLen, isUpperAlnum, "") {
			return ErrBadShareholder.Wrapf("%q", s)
		}
		for _, prev := range r.ShareholderAccounts[:i] {
			if prev == s {
				return ErrBadShareholder.Wrapf("%q appears twice", s)
			}
		}
	}
	if !verify(r.ClientPubKey, OpeningSignBytes(r), m.ClientSignature) {
		return ErrBadClientSignature.Wrapf("opening request of %s", r.AccountId)
	}
	return nil
}

// ValidateConfirm is the stateless check of MsgConfirmAccount. A rejection
// must say why; an approval must name the client key the bank received.
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
	if m.Approve {
		return validatePubKey(m.ClientPubKey)
	}
	return nil
}

// ValidateProposeKey is the stateless check of MsgProposeClientKey: the
// request's fields, the reason, and the new key's signature over the
// request.
func ValidateProposeKey(m *custodyv1.MsgProposeClientKey) error {
	r := m.Request
	if r == nil {
		return ErrNoClientRequest.Wrapf("propose_client_key without a key request")
	}
	if err := ValidateAccountID(r.AccountId); err != nil {
		return err
	}
	if err := ValidateParticipantID(r.BrokerId); err != nil {
		return err
	}
	if err := ValidateParticipantID(r.BankId); err != nil {
		return err
	}
	if err := validatePubKey(r.NewClientPubKey); err != nil {
		return err
	}
	if err := ValidateReason(m.Reason); err != nil {
		return err
	}
	if !verify(r.NewClientPubKey, ClientKeySignBytes(r), m.ClientSignature) {
		return ErrBadClientSignature.Wrapf("key request of %s", r.AccountId)
	}
	return nil
}

// ValidateConfirmKey is the stateless check of MsgConfirmClientKey, with
// the same rules as ValidateConfirm.
func ValidateConfirmKey(m *custodyv1.MsgConfirmClientKey) error {
	if err := ValidateAccountID(m.AccountId); err != nil {
		return err
	}
	if err := ValidateReason(m.Reason); err != nil {
		return err
	}
	if !m.Approve && m.Reason == "" {
		return ErrRejectWithoutReason.Wrapf("key replacement of %s", m.AccountId)
	}
	if m.Approve {
		return validatePubKey(m.NewClientPubKey)
	}
	return nil
}

func validatePubKey(k []byte) error {
	if len(k) != PubKeyLen {
		return ErrBadPubKey.Wrapf("got %d bytes", len(k))
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
