package client_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/custody-ledger/custody/client"
)

func tokenKey(t *testing.T, seed byte) ed25519.PrivateKey {
	t.Helper()
	return ed25519.NewKeyFromSeed(append(make([]byte, 31), seed))
}

// forge builds a token from raw header and claims JSON, signed by key.
func forge(key ed25519.PrivateKey, header, claims string) string {
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(claims))
	return signed + "." + enc.EncodeToString(ed25519.Sign(key, []byte(signed)))
}

func TestTokenRoundTrip(t *testing.T) {
	key := tokenKey(t, 1)
	pub := key.Public().(ed25519.PublicKey)
	now := time.Unix(1_700_000_000, 0)
	tok, err := client.NewToken(key, "chain-a", now, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// The header is the standard EdDSA JWS header, readable by any JWT tool.
	head, _, _ := strings.Cut(tok, ".")
	hb, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil || string(hb) != `{"alg":"EdDSA","typ":"JWT"}` {
		t.Fatalf("header %q (%v)", hb, err)
	}
	p, err := client.ParseToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	want := client.TokenClaims{Subject: client.Address(pub), Audience: "chain-a", IssuedAt: now, ExpiresAt: now.Add(2 * time.Minute)}
	if p.Claims != want {
		t.Fatalf("claims %+v, want %+v", p.Claims, want)
	}
	for _, at := range []time.Time{now, now.Add(-client.TokenLeeway), now.Add(2*time.Minute + client.TokenLeeway)} {
		if err := p.Verify(pub, "chain-a", at); err != nil {
			t.Errorf("verify at %s: %v", at, err)
		}
	}
}

func TestTokenRefusals(t *testing.T) {
	key, other := tokenKey(t, 1), tokenKey(t, 2)
	pub := key.Public().(ed25519.PublicKey)
	sub := client.Address(pub)
	now := time.Unix(1_700_000_000, 0)
	good, err := client.NewToken(key, "chain-a", now, 0)
	if err != nil {
		t.Fatal(err)
	}
	claims := func(iat, exp int64, aud string) string {
		bz, _ := json.Marshal(map[string]any{"sub": sub, "aud": aud, "iat": iat, "exp": exp})
		return string(bz)
	}
	const hdr = `{"alg":"EdDSA","typ":"JWT"}`
	parts := strings.Split(good, ".")
	for _, tc := range []struct {
		name  string
		token string
		pub   ed25519.PublicKey
		at    time.Time
		chain string // "" is chain-a
		want  error
	}{
		{"empty", "", pub, now, "", client.ErrTokenMalformed},
		{"two parts", parts[0] + "." + parts[1], pub, now, "", client.ErrTokenMalformed},
		{"bad base64", parts[0] + ".!!." + parts[2], pub, now, "", client.ErrTokenMalformed},
		{"alg none", forge(key, `{"alg":"none"}`, claims(now.Unix(), now.Unix()+60, "chain-a")), pub, now, "", client.ErrTokenMalformed},
		{"alg HS256", forge(key, `{"alg":"HS256"}`, claims(now.Unix(), now.Unix()+60, "chain-a")), pub, now, "", client.ErrTokenMalformed},
		{"crit header", forge(key, `{"alg":"EdDSA","crit":["b64"]}`, claims(now.Unix(), now.Unix()+60, "chain-a")), pub, now, "", client.ErrTokenMalformed},
		{"no exp", forge(key, hdr, `{"sub":"`+sub+`","aud":"chain-a","iat":1}`), pub, now, "", client.ErrTokenMalformed},
		{"bad sub", forge(key, hdr, `{"sub":"ABC","aud":"chain-a","iat":1,"exp":2}`), pub, now, "", client.ErrTokenMalformed},
		{"short signature", parts[0] + "." + parts[1] + ".AAAA", pub, now, "", client.ErrTokenMalformed},
		{"oversized", strings.Repeat("a", 4096), pub, now, "", client.ErrTokenMalformed},
		{"another key signed", forge(other, hdr, claims(now.Unix(), now.Unix()+60, "chain-a")), pub, now, "", client.ErrTokenSignature},
		{"verified with another key", good, other.Public().(ed25519.PublicKey), now, "", client.ErrTokenSignature},
		{"tampered claims", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(claims(now.Unix(), now.Unix()+290, "chain-a"))) + "." + parts[2], pub, now, "", client.ErrTokenSignature},
		{"other chain", good, pub, now, "chain-b", client.ErrTokenAudience},
		{"expired", good, pub, now.Add(client.TokenMaxLifetime + client.TokenLeeway + time.Second), "", client.ErrTokenExpired},
		{"not yet valid", good, pub, now.Add(-client.TokenLeeway - time.Second), "", client.ErrTokenExpired},
		{"lifetime too long", forge(key, hdr, claims(now.Unix(), now.Unix()+301, "chain-a")), pub, now, "", client.ErrTokenLifetime},
		{"exp before iat", forge(key, hdr, claims(now.Unix(), now.Unix()-1, "chain-a")), pub, now, "", client.ErrTokenLifetime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chain := tc.chain
			if chain == "" {
				chain = "chain-a"
			}
			p, err := client.ParseToken(tc.token)
			if err == nil {
				err = p.Verify(tc.pub, chain, tc.at)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestTokenAudienceArray(t *testing.T) {
	key := tokenKey(t, 3)
	pub := key.Public().(ed25519.PublicKey)
	now := time.Unix(1_700_000_000, 0)
	tok := forge(key, `{"alg":"EdDSA"}`, `{"sub":"`+client.Address(pub)+`","aud":["chain-a"],"iat":1700000000,"exp":1700000060}`)
	p, err := client.ParseToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(pub, "chain-a", now); err != nil {
		t.Fatal(err)
	}
	if _, err := client.ParseToken(forge(key, `{"alg":"EdDSA"}`, `{"sub":"`+client.Address(pub)+`","aud":["a","b"],"iat":1,"exp":2}`)); !errors.Is(err, client.ErrTokenMalformed) {
		t.Fatalf("two audiences: err = %v, want ErrTokenMalformed", err)
	}
}

func TestNewTokenLimits(t *testing.T) {
	key := tokenKey(t, 1)
	now := time.Now()
	if _, err := client.NewToken(key, "c", now, client.TokenMaxLifetime+time.Second); !errors.Is(err, client.ErrTokenLifetime) {
		t.Errorf("ttl too long: err = %v", err)
	}
	if _, err := client.NewToken(key[:10], "c", now, 0); !errors.Is(err, client.ErrBadKey) {
		t.Errorf("bad key: err = %v", err)
	}
	if _, err := client.NewToken(key, "", now, 0); err == nil {
		t.Error("empty chain id: no error")
	}
}
