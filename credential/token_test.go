package credential_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/custody-ledger/custody/credential"
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
	tok, err := credential.NewToken(key, "chain-a", now, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// The header is the standard EdDSA JWS header, readable by any JWT tool.
	head, _, _ := strings.Cut(tok, ".")
	hb, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil || string(hb) != `{"alg":"EdDSA","typ":"JWT"}` {
		t.Fatalf("header %q (%v)", hb, err)
	}
	p, err := credential.ParseToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	want := credential.TokenClaims{Subject: credential.Address(pub), Audience: "chain-a", IssuedAt: now, ExpiresAt: now.Add(2 * time.Minute)}
	if p.Claims != want {
		t.Fatalf("claims %+v, want %+v", p.Claims, want)
	}
	for _, at := range []time.Time{now, now.Add(-credential.TokenLeeway), now.Add(2*time.Minute + credential.TokenLeeway)} {
		if err := p.Verify(pub, "chain-a", at); err != nil {
			t.Errorf("verify at %s: %v", at, err)
		}
	}
}

func TestTokenRefusals(t *testing.T) {
	key, other := tokenKey(t, 1), tokenKey(t, 2)
	pub := key.Public().(ed25519.PublicKey)
	sub := credential.Address(pub)
	now := time.Unix(1_700_000_000, 0)
	good, err := credential.NewToken(key, "chain-a", now, 0)
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
		{"empty", "", pub, now, "", credential.ErrTokenMalformed},
		{"two parts", parts[0] + "." + parts[1], pub, now, "", credential.ErrTokenMalformed},
		{"bad base64", parts[0] + ".!!." + parts[2], pub, now, "", credential.ErrTokenMalformed},
		{"alg none", forge(key, `{"alg":"none"}`, claims(now.Unix(), now.Unix()+60, "chain-a")), pub, now, "", credential.ErrTokenMalformed},
		{"alg HS256", forge(key, `{"alg":"HS256"}`, claims(now.Unix(), now.Unix()+60, "chain-a")), pub, now, "", credential.ErrTokenMalformed},
		{"crit header", forge(key, `{"alg":"EdDSA","crit":["b64"]}`, claims(now.Unix(), now.Unix()+60, "chain-a")), pub, now, "", credential.ErrTokenMalformed},
		{"no exp", forge(key, hdr, `{"sub":"`+sub+`","aud":"chain-a","iat":1}`), pub, now, "", credential.ErrTokenMalformed},
		{"bad sub", forge(key, hdr, `{"sub":"ABC","aud":"chain-a","iat":1,"exp":2}`), pub, now, "", credential.ErrTokenMalformed},
		{"short signature", parts[0] + "." + parts[1] + ".AAAA", pub, now, "", credential.ErrTokenMalformed},
		{"oversized", strings.Repeat("a", 4096), pub, now, "", credential.ErrTokenMalformed},
		{"another key signed", forge(other, hdr, claims(now.Unix(), now.Unix()+60, "chain-a")), pub, now, "", credential.ErrTokenSignature},
		{"verified with another key", good, other.Public().(ed25519.PublicKey), now, "", credential.ErrTokenSignature},
		{"tampered claims", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(claims(now.Unix(), now.Unix()+290, "chain-a"))) + "." + parts[2], pub, now, "", credential.ErrTokenSignature},
		{"other chain", good, pub, now, "chain-b", credential.ErrTokenAudience},
		{"expired", good, pub, now.Add(credential.TokenMaxLifetime + credential.TokenLeeway + time.Second), "", credential.ErrTokenExpired},
		{"not yet valid", good, pub, now.Add(-credential.TokenLeeway - time.Second), "", credential.ErrTokenExpired},
		{"lifetime too long", forge(key, hdr, claims(now.Unix(), now.Unix()+301, "chain-a")), pub, now, "", credential.ErrTokenLifetime},
		{"exp before iat", forge(key, hdr, claims(now.Unix(), now.Unix()-1, "chain-a")), pub, now, "", credential.ErrTokenLifetime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chain := tc.chain
			if chain == "" {
				chain = "chain-a"
			}
			p, err := credential.ParseToken(tc.token)
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
	tok := forge(key, `{"alg":"EdDSA"}`, `{"sub":"`+credential.Address(pub)+`","aud":["chain-a"],"iat":1700000000,"exp":1700000060}`)
	p, err := credential.ParseToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(pub, "chain-a", now); err != nil {
		t.Fatal(err)
	}
	if _, err := credential.ParseToken(forge(key, `{"alg":"EdDSA"}`, `{"sub":"`+credential.Address(pub)+`","aud":["a","b"],"iat":1,"exp":2}`)); !errors.Is(err, credential.ErrTokenMalformed) {
		t.Fatalf("two audiences: err = %v, want ErrTokenMalformed", err)
	}
}

func TestNewTokenLimits(t *testing.T) {
	key := tokenKey(t, 1)
	now := time.Now()
	if _, err := credential.NewToken(key, "c", now, credential.TokenMaxLifetime+time.Second); !errors.Is(err, credential.ErrTokenLifetime) {
		t.Errorf("ttl too long: err = %v", err)
	}
	if _, err := credential.NewToken(key[:10], "c", now, 0); !errors.Is(err, credential.ErrBadKey) {
		t.Errorf("bad key: err = %v", err)
	}
	if _, err := credential.NewToken(key, "", now, 0); err == nil {
		t.Error("empty chain id: no error")
	}
}
