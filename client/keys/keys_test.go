package keys

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custody-ledger/custody/contracts/auth"
)

var pass = []byte("correct horse battery staple")

// TestMain seals this package's test files with a cheap Argon2id (one
// pass over 64 KiB): the tests are about the file format and the errors,
// and the real cost (64 MiB, three passes) would make them slow on a
// shared machine. TestNewFilesUseArgon2id uses the real setting.
func TestMain(m *testing.M) {
	newKDF = kdfParams{Name: kdfArgon2id, T: 1, M: 64, P: 1}
	os.Exit(m.Run())
}

func TestFileRoundTripAndWrongPassphrase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kr")
	kr, err := Open(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if kr.Backend() != BackendFile {
		t.Fatalf("default backend %q", kr.Backend())
	}
	info, err := kr.Add("alice", pass)
	if err != nil {
		t.Fatal(err)
	}
	if info.Address != auth.Address(info.PubKey) {
		t.Fatalf("address %s is not auth.Address of the public key", info.Address)
	}
	priv, err := kr.Key("alice", pass)
	if err != nil {
		t.Fatal(err)
	}
	if !priv.Public().(ed25519.PublicKey).Equal(info.PubKey) {
		t.Fatal("unlocked key does not match the public key Add returned")
	}
	if _, err := kr.Key("alice", []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: err = %v", err)
	}
	if _, err := kr.Key("alice", nil); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("no passphrase: err = %v", err)
	}

	// On disk: 0600, in a 0700 directory, and the seed is nowhere in clear.
	p := filepath.Join(dir, "alice.key")
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %04o, want 0600", st.Mode().Perm())
	}
	dst, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if dst.Mode().Perm() != 0o700 {
		t.Fatalf("keyring dir mode %04o, want 0700", dst.Mode().Perm())
	}
	bz, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range [][]byte{priv.Seed(), []byte(hex.EncodeToString(priv.Seed()))} {
		if bytes.Contains(bz, secret) {
			t.Fatal("the private seed is stored in clear")
		}
	}

	// A reopened keyring reads the same key.
	kr2, err := Open(dir, BackendFile)
	if err != nil {
		t.Fatal(err)
	}
	again, err := kr2.Key("alice", pass)
	if err != nil || !again.Equal(priv) {
		t.Fatalf("reopen: %v", err)
	}
}

func TestNamesListShowDelete(t *testing.T) {
	kr, err := Open(t.TempDir(), BackendTest)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", ".hidden", "a/b", "../x", strings.Repeat("x", 65), "sp ace"} {
		if _, err := kr.Add(bad, nil); !errors.Is(err, ErrBadName) {
			t.Errorf("Add(%q) err = %v, want ErrBadName", bad, err)
		}
	}
	for _, n := range []string{"zed", "bank-1", "broker_1"} {
		if _, err := kr.Add(n, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := kr.Add("zed", nil); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate name: err = %v", err)
	}
	list, err := kr.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range list {
		names = append(names, i.Name)
	}
	if got := strings.Join(names, ","); got != "bank-1,broker_1,zed" {
		t.Fatalf("List = %s", got)
	}
	shown, err := kr.Show("bank-1")
	if err != nil || !shown.PubKey.Equal(list[0].PubKey) {
		t.Fatalf("Show: %v %v", shown, err)
	}
	out, err := json.Marshal(shown)
	if err != nil || !strings.Contains(string(out), shown.Address) || !strings.Contains(string(out), shown.PubKeyHex()) {
		t.Fatalf("json %s %v", out, err)
	}
	if err := kr.Delete("zed"); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Show("zed"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := kr.Delete("zed"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestBackendsDoNotMix(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir, "plaintext"); !errors.Is(err, ErrBadBackend) {
		t.Fatalf("unknown backend: %v", err)
	}
	test, err := Open(dir, BackendTest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := test.Add("t", nil); err != nil {
		t.Fatal(err)
	}
	file, err := Open(dir, BackendFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := file.Add("f", nil); !errors.Is(err, ErrEmptyPassphrase) {
		t.Fatalf("file key without passphrase: %v", err)
	}
	if _, err := file.Add("f", pass); err != nil {
		t.Fatal(err)
	}
	if _, err := file.Key("t", pass); !errors.Is(err, ErrWrongBackend) {
		t.Fatalf("file backend read a test key: %v", err)
	}
	if _, err := test.Key("f", nil); !errors.Is(err, ErrWrongBackend) {
		t.Fatalf("test backend read a file key: %v", err)
	}
	// Each backend lists only its own keys.
	for kr, want := range map[*Keyring]string{test: "t", file: "f"} {
		l, err := kr.List()
		if err != nil || len(l) != 1 || l[0].Name != want {
			t.Fatalf("%s List = %v %v", kr.Backend(), l, err)
		}
	}
}

func TestInsecureFileRefused(t *testing.T) {
	dir := t.TempDir()
	kr, err := Open(dir, BackendTest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Add("k", nil); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "k.key"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Key("k", nil); !errors.Is(err, ErrInsecureFile) {
		t.Fatalf("0644 key file: %v", err)
	}
}

func TestTamperedFileRefused(t *testing.T) {
	dir := t.TempDir()
	kr, err := Open(dir, BackendFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Add("k", pass); err != nil {
		t.Fatal(err)
	}
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	p := filepath.Join(dir, "k.key")
	bz, _ := os.ReadFile(p)
	var kf keyFile
	if err := json.Unmarshal(bz, &kf); err != nil {
		t.Fatal(err)
	}
	// Swapping the clear public key breaks the AEAD's additional data.
	kf.PubKey = hex.EncodeToString(other.Public().(ed25519.PublicKey))
	bz, _ = json.Marshal(kf)
	if err := os.WriteFile(p, bz, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Key("k", pass); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("swapped public key: %v", err)
	}
	// A crafted cost is refused before any work.
	for _, craft := range []func(*kdfParams){
		func(k *kdfParams) { k.M = 1 << 30 },                                 // a TiB of memory
		func(k *kdfParams) { k.T = 1000 },                                    // a thousand passes
		func(k *kdfParams) { k.P = 0 },                                       // no lanes
		func(k *kdfParams) { k.Name, k.N, k.R, k.P = "scrypt", 1<<30, 8, 1 }, // a huge scrypt N
		func(k *kdfParams) { k.Name = "pbkdf2" },
	} {
		crafted := kf
		kdf := *kf.KDF
		craft(&kdf)
		crafted.KDF = &kdf
		bz, _ = json.Marshal(crafted)
		if err := os.WriteFile(p, bz, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := kr.Key("k", pass); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("crafted kdf %+v: %v", kdf, err)
		}
	}
}

func TestExportImport(t *testing.T) {
	src, err := Open(t.TempDir(), BackendFile)
	if err != nil {
		t.Fatal(err)
	}
	info, err := src.Add("alice", pass)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Export("alice", []byte("nope"), []byte("x")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("export with wrong passphrase: %v", err)
	}
	armor, err := src.Export("alice", pass, []byte("transport"))
	if err != nil {
		t.Fatal(err)
	}
	dst, err := Open(t.TempDir(), BackendTest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dst.ImportArmor("a2", armor, []byte("wrong"), nil); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("import with wrong armor passphrase: %v", err)
	}
	got, err := dst.ImportArmor("a2", armor, []byte("transport"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Address != info.Address {
		t.Fatalf("imported %s, exported %s", got.Address, info.Address)
	}
	want, _ := src.Key("alice", pass)
	have, err := dst.Key("a2", nil)
	if err != nil || !have.Equal(want) {
		t.Fatalf("imported key differs: %v", err)
	}

	seed := bytes.Repeat([]byte{3}, 32)
	si, err := dst.ImportSeed("seeded", seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if si.Address != auth.Address(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)) {
		t.Fatal("seed import gives another key")
	}
	if _, err := dst.ImportSeed("short", seed[:31], nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("short seed: %v", err)
	}
}

// TestNewFilesUseArgon2id: a new file records Argon2id at RFC 9106's
// second recommended setting, and opens with it.
func TestNewFilesUseArgon2id(t *testing.T) {
	newKDF = defaultKDF
	t.Cleanup(func() { newKDF = kdfParams{Name: kdfArgon2id, T: 1, M: 64, P: 1} })
	dir := t.TempDir()
	kr, err := Open(dir, BackendFile)
	if err != nil {
		t.Fatal(err)
	}
	info, err := kr.Add("strong", pass)
	if err != nil {
		t.Fatal(err)
	}
	bz, err := os.ReadFile(filepath.Join(dir, "strong.key"))
	if err != nil {
		t.Fatal(err)
	}
	var kf keyFile
	if err := json.Unmarshal(bz, &kf); err != nil {
		t.Fatal(err)
	}
	k := kf.KDF
	if k == nil || k.Name != "argon2id" || k.T != 3 || k.M != 64<<10 || k.P != 4 || len(k.Salt) != 32 || k.N != 0 || k.R != 0 {
		t.Fatalf("kdf of a new file: %+v", k)
	}
	priv, err := kr.Key("strong", pass)
	if err != nil || !priv.Public().(ed25519.PublicKey).Equal(info.PubKey) {
		t.Fatalf("open: %v", err)
	}
	// Two files never share a salt.
	if _, err := kr.Add("strong2", pass); err != nil {
		t.Fatal(err)
	}
	bz2, _ := os.ReadFile(filepath.Join(dir, "strong2.key"))
	var kf2 keyFile
	_ = json.Unmarshal(bz2, &kf2)
	if kf2.KDF.Salt == k.Salt {
		t.Fatal("two key files share a salt")
	}
}

// TestLegacyScryptFileOpens: a key file written before Argon2id (scrypt
// N=2^15, r=8, p=1; testdata/legacy-scrypt.key, passphrase "legacy
// passphrase", seed 32 bytes of 0x07) still opens, and exports into a file
// with the current setting.
func TestLegacyScryptFileOpens(t *testing.T) {
	dir := t.TempDir()
	bz, err := os.ReadFile(filepath.Join("testdata", "legacy-scrypt.key"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(bz, []byte(`"name": "scrypt"`)) {
		t.Fatalf("the fixture is not a scrypt file:\n%s", bz)
	}
	if err := os.WriteFile(filepath.Join(dir, "old.key"), bz, 0o600); err != nil {
		t.Fatal(err)
	}
	kr, err := Open(dir, BackendFile)
	if err != nil {
		t.Fatal(err)
	}
	legacyPass := []byte("legacy passphrase")
	priv, err := kr.Key("old", legacyPass)
	if err != nil {
		t.Fatal(err)
	}
	if !priv.Equal(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))) {
		t.Fatal("the legacy file opened to another key")
	}
	if _, err := kr.Key("old", pass); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase on a legacy file: %v", err)
	}
	// Re-encrypting: export and import under a new name.
	armor, err := kr.Export("old", legacyPass, []byte("transport"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.ImportArmor("renewed", armor, []byte("transport"), legacyPass); err != nil {
		t.Fatal(err)
	}
	nb, _ := os.ReadFile(filepath.Join(dir, "renewed.key"))
	if !bytes.Contains(nb, []byte(`"argon2id"`)) {
		t.Fatalf("re-encrypted file: %s", nb)
	}
}
