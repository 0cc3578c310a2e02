package chain

import (
	"reflect"
	"testing"

	custodyv1 "github.com/custody-ledger/custody/proto/custodyv1"
)

func TestGroupsOf_OneListPerIdentityAcrossBrokers(t *testing.T) {
	h := func(b byte) []byte { x := make([]byte, 32); x[0] = b; return x }
	as := []*custodyv1.Account{
		{Id: "X-1", BrokerId: "broker-1", IdentityHash: h(1), ShareholderAccounts: []string{"A111111111", "0100001111"}},
		{Id: "Y-9", BrokerId: "broker-2", IdentityHash: h(1), ShareholderAccounts: []string{"0600001111"}},
		{Id: "X-2", BrokerId: "broker-1", IdentityHash: h(2), ShareholderAccounts: []string{"0100002222"}},
		{Id: "X-3", BrokerId: "broker-1", IdentityHash: h(3)},
		{Id: "X-4", BrokerId: "broker-1", IdentityHash: make([]byte, 32), ShareholderAccounts: []string{"0100004444"}},
	}
	got := groupsOf(as)
	want := [][]string{
		{"0100001111", "0600001111", "A111111111", "X-1", "Y-9"},
		{"0100002222", "X-2"},
		{"0100004444", "X-4"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("groups %v, want %v", got, want)
	}
}

func TestFeed_HolderForPicksTheMarketsAccount(t *testing.T) {
	f := &Feed{holders: map[string][]string{"C1": {"0100001111", "A111111111"}}}
	for sec, want := range map[string]string{"000001": "0100001111", "300750": "0100001111", "600000": "A111111111", "510300": "A111111111"} {
		if got := f.holderFor("C1", sec); got != want {
			t.Errorf("%s: %s, want %s", sec, got, want)
		}
	}
	if got := f.holderFor("C9", "600000"); got != "C9" {
		t.Errorf("unknown account: %s", got)
	}
}
