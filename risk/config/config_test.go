package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custody-ledger/custody/risk"
)

func TestParse_GroupsAndRuleOverrides(t *testing.T) {
	c, err := Parse(strings.NewReader(`
[[associated]]
accounts = ["0601234567", "0607654321"]

[rules.spoofing]
per_day = 4
cancel_within = "30s"

[rules.off_hours]
enabled = false
`))
	require.NoError(t, err)
	g := c.Groups()
	require.Equal(t, g.Key("0601234567"), g.Key("0607654321"))
	require.Equal(t, int64(4), c.Rules.Spoofing.PerDay)
	require.Equal(t, 30*time.Second, c.Rules.Spoofing.CancelWithin.D())
	require.Equal(t, int64(300_000), c.Rules.Spoofing.MinQty, "unset keys keep the DOMAIN.md default")
	require.False(t, c.Rules.OffHours.Enabled)
	require.True(t, c.Rules.Spoofing.Enabled)
}

func TestParse_EmptyIsDefault(t *testing.T) {
	c, err := Parse(strings.NewReader(""))
	require.NoError(t, err)
	require.Equal(t, risk.DefaultParams().Hash(), c.Rules.Hash())
	d, err := Load("")
	require.NoError(t, err)
	require.Equal(t, Default(), d)
}

func TestParse_RefusesTyposAndBadValues(t *testing.T) {
	_, err := Parse(strings.NewReader("[rules.spoofing]\nper_dya = 4\n"))
	require.ErrorIs(t, err, ErrUnknownKey)
	require.ErrorContains(t, err, "rules.spoofing.per_dya")

	_, err = Parse(strings.NewReader("[rules.order_rate]\nper_second = -1\n"))
	require.ErrorIs(t, err, risk.ErrInvalidParams)
	var ve *ValidationError
	require.True(t, errors.As(err, &ve))
	require.Equal(t, "rules", ve.Field)

	_, err = Parse(strings.NewReader("[[associated]]\naccounts = [\"x\"]\n"))
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "associated[0].accounts", ve.Field)
}

// A standby authenticates its leader (https, pinned certificate) and
// itself (a chain key); TLS files come in pairs.
func TestValidate_TLSAndStandby(t *testing.T) {
	chain := "[chain]\nnode = \"tcp://127.0.0.1:1\"\nkey = \"risk-1\"\n"
	for _, tc := range []struct {
		name, toml, field string
	}{
		{"cert without key", "[admin]\ntls_cert = \"a.crt\"\n", "admin.tls_key"},
		{"http leader", chain + "[standby]\nleader = \"http://10.0.0.1:8089\"\nleader_cert = \"l.crt\"\n", "standby.leader: must be an https"},
		{"no pinned cert", chain + "[standby]\nleader = \"https://10.0.0.1:8089\"\n", "standby.leader_cert"},
		{"no chain key", "[standby]\nleader = \"https://10.0.0.1:8089\"\nleader_cert = \"l.crt\"\n", "needs [chain] node and key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.toml))
			require.ErrorContains(t, err, tc.field)
		})
	}
	c, err := Parse(strings.NewReader(chain + "[admin]\ntls_cert = \"a.crt\"\ntls_key = \"a.key\"\n[standby]\nleader = \"https://10.0.0.1:8089\"\nleader_cert = \"l.crt\"\n"))
	require.NoError(t, err)
	require.Equal(t, "l.crt", c.Standby.LeaderCert)
}
