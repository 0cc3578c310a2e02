// Package keys is the keyring of the Custody Ledger CLI and SDK: named
// ed25519 signing keys kept in a directory, one file per key, mode 0600.
//
// The default backend ("file") encrypts each private key at rest: the
// passphrase goes through Argon2id to a 32-byte key for AES-256-GCM, whose
// additional data is the public key, so a file whose public part was
// swapped does not decrypt. The public key and address are stored in
// clear, so List and Show need no passphrase.
//
// Key derivation. New files use Argon2id with RFC 9106's second
// recommended setting, t=3 passes over m=64 MiB with p=4 lanes, and a fresh
// 16-byte salt per file: about a quarter of a second per unlock on one
// core, and 64 MiB per guess for whoever copied the file. (RFC 9106's first
// setting, 2 GiB, is too much for a back-office CLI that unlocks a key per
// command.) Every file records its own KDF and parameters, so files
// written before Argon2id (scrypt N=2^15, r=8, p=1) still open; export and
// import a key to re-encrypt it with the current setting.
//
// The "test" backend stores keys unencrypted. It exists for the local
// testnet only: Open refuses it unless it is asked for by name, and the file
// backend refuses to read a test key (and the other way round), so a key
// never changes protection silently.
package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/scrypt"

	"github.com/custody-ledger/custody/contracts/auth"
)

// Backend says how keys are kept on disk.
type Backend string

const (
	// BackendFile encrypts every key with a passphrase (the default).
	BackendFile Backend = "file"
	// BackendTest keeps keys unencrypted: for the local testnet only.
	BackendTest Backend = "test"
)

// Errors returned by the keyring. Each names the call that returns it.
var (
	// ErrBadBackend: Open with a backend other than "file" or "test".
	ErrBadBackend = errors.New("keys: unknown keyring backend")
	// ErrBadName: a key name that is not 1-64 of [A-Za-z0-9_.-] (not
	// starting with a dot).
	ErrBadName = errors.New("keys: bad key name")
	// ErrNotFound: Show, Key, Export or Delete of a name not in the keyring.
	ErrNotFound = errors.New("keys: no such key")
	// ErrExists: Add or Import under a name already taken.
	ErrExists = errors.New("keys: key name already in use")
	// ErrWrongPassphrase: Key, Export or Import with a passphrase that does
	// not decrypt the key.
	ErrWrongPassphrase = errors.New("keys: wrong passphrase")
	// ErrEmptyPassphrase: Add or Import into the file backend without a
	// passphrase.
	ErrEmptyPassphrase = errors.New("keys: empty passphrase")
	// ErrWrongBackend: a key file written by the other backend.
	ErrWrongBackend = errors.New("keys: key file belongs to another backend")
	// ErrInsecureFile: a key file readable or writable by group or others.
	ErrInsecureFile = errors.New("keys: key file permissions are too open")
	// ErrCorrupt: a key file that does not parse or whose public part does
	// not match its private key.
	ErrCorrupt = errors.New("keys: corrupt key file")
)

// Argon2id parameters of new files (RFC 9106 §4, second recommended
// option); files record their own.
const (
	argonTime    = 3
	argonMemory  = 64 << 10 // KiB: 64 MiB
	argonThreads = 4
)

// defaultKDF is the derivation new files get (without its salt).
var defaultKDF = kdfParams{Name: kdfArgon2id, T: argonTime, M: argonMemory, P: argonThreads}

// newKDF is what seal uses: defaultKDF, except in this package's own tests,
// which seal many files with a cheap setting (TestNewFilesUseArgon2id
// checks the real one). Nothing else sets it.
var newKDF = defaultKDF

// KDF names in key files.
const (
	kdfArgon2id = "argon2id"
	kdfScrypt   = "scrypt" // files written before Argon2id: read, never written
)

const (
	saltLen   = 16
	fileExt   = ".key"
	fileMode  = 0o600
	dirMode   = 0o700
	formatVer = 1
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$`)

// Info is the public part of a key.
type Info struct {
	Name    string            `json:"name"`
	PubKey  ed25519.PublicKey `json:"-"`
	Address string            `json:"address"`
}

// PubKeyHex is the public key in lower-case hex.
func (i Info) PubKeyHex() string { return hex.EncodeToString(i.PubKey) }

// MarshalJSON prints name, address and the public key in hex.
func (i Info) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name    string `json:"name"`
		Address string `json:"address"`
		PubKey  string `json:"pub_key"`
	}{i.Name, i.Address, i.PubKeyHex()})
}

// keyFile is the on-disk form of a key (and of an exported key).
type keyFile struct {
	Version int    `json:"version"`
	Name    string `json:"name,omitempty"`
	Backend string `json:"backend"`
	PubKey  string `json:"pub_key"`
	Address string `json:"address"`
	// file backend
	KDF        *kdfParams `json:"kdf,omitempty"`
	Nonce      string     `json:"nonce,omitempty"`
	Ciphertext string     `json:"ciphertext,omitempty"`
	// test backend: the 32-byte seed in hex, unencrypted
	Seed string `json:"seed,omitempty"`
}

// kdfParams is a file's key derivation. Argon2id uses T (passes), M
// (memory in KiB) and P (lanes); scrypt uses N, R and P.
type kdfParams struct {
	Name string `json:"name"`
	T    uint32 `json:"t,omitempty"`
	M    uint32 `json:"m,omitempty"`
	N    int    `json:"n,omitempty"`
	R    int    `json:"r,omitempty"`
	P    int    `json:"p"`
	Salt string `json:"salt"`
}

// Keyring is a directory of keys under one backend.
type Keyring struct {
	dir     string
	backend Backend
}

// Open opens (creating it 0700 if needed) the keyring in dir. backend must
// be BackendFile or BackendTest; the empty string means BackendFile.
func Open(dir string, backend Backend) (*Keyring, error) {
	if backend == "" {
		backend = BackendFile
	}
	if backend != BackendFile && backend != BackendTest {
		return nil, fmt.Errorf("%w: %q (want %q or %q)", ErrBadBackend, backend, BackendFile, BackendTest)
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return &Keyring{dir: dir, backend: backend}, nil
}

// Dir is the keyring's directory.
func (k *Keyring) Dir() string { return k.dir }

// Backend is the keyring's backend.
func (k *Keyring) Backend() Backend { return k.backend }

func (k *Keyring) path(name string) (string, error) {
	if !nameRE.MatchString(name) {
		return "", fmt.Errorf("%w: %q", ErrBadName, name)
	}
	return filepath.Join(k.dir, name+fileExt), nil
}

// Add generates a new key under name, encrypted with passphrase (ignored by
// the test backend).
func (k *Keyring) Add(name string, passphrase []byte) (Info, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Info{}, fmt.Errorf("keys: generate: %w", err)
	}
	return k.ImportKey(name, priv, passphrase)
}

// ImportKey stores an existing private key under name.
func (k *Keyring) ImportKey(name string, priv ed25519.PrivateKey, passphrase []byte) (Info, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return Info{}, fmt.Errorf("%w: private key is %d bytes", ErrCorrupt, len(priv))
	}
	p, err := k.path(name)
	if err != nil {
		return Info{}, err
	}
	kf, err := seal(k.backend, name, priv, passphrase)
	if err != nil {
		return Info{}, err
	}
	bz, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return Info{}, fmt.Errorf("keys: %w", err)
	}
	if err := writeNew(p, bz); err != nil {
		return Info{}, err
	}
	return infoOf(name, priv.Public().(ed25519.PublicKey)), nil
}

// ImportSeed stores the key of a 32-byte ed25519 seed (as the testnet
// generator writes participant keys) under name.
func (k *Keyring) ImportSeed(name string, seed []byte, passphrase []byte) (Info, error) {
	if len(seed) != ed25519.SeedSize {
		return Info{}, fmt.Errorf("%w: seed is %d bytes, want %d", ErrCorrupt, len(seed), ed25519.SeedSize)
	}
	return k.ImportKey(name, ed25519.NewKeyFromSeed(seed), passphrase)
}

// Export returns the key under name as a portable armor: the same JSON as a
// key file of the file backend, encrypted with exportPassphrase. passphrase
// unlocks the key in this keyring (ignored by the test backend).
func (k *Keyring) Export(name string, passphrase, exportPassphrase []byte) ([]byte, error) {
	priv, err := k.Key(name, passphrase)
	if err != nil {
		return nil, err
	}
	kf, err := seal(BackendFile, "", priv, exportPassphrase)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(kf, "", "  ")
}

// ImportArmor stores, under name, a key exported by Export; armorPassphrase
// opens the armor and passphrase protects the key in this keyring.
func (k *Keyring) ImportArmor(name string, armor, armorPassphrase, passphrase []byte) (Info, error) {
	var kf keyFile
	if err := json.Unmarshal(armor, &kf); err != nil {
		return Info{}, fmt.Errorf("%w: armor: %v", ErrCorrupt, err)
	}
	priv, err := open(BackendFile, &kf, armorPassphrase)
	if err != nil {
		return Info{}, err
	}
	return k.ImportKey(name, priv, passphrase)
}

// List returns every key's public part, sorted by name.
func (k *Keyring) List() ([]Info, error) {
	entries, err := os.ReadDir(k.dir)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	var out []Info
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), fileExt)
		if !ok || e.IsDir() || !nameRE.MatchString(name) {
			continue
		}
		info, err := k.Show(name)
		if errors.Is(err, ErrWrongBackend) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Show returns the public part of the key under name; no passphrase needed.
func (k *Keyring) Show(name string) (Info, error) {
	kf, err := k.read(name)
	if err != nil {
		return Info{}, err
	}
	pub, err := hex.DecodeString(kf.PubKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return Info{}, fmt.Errorf("%w: %s: public key", ErrCorrupt, name)
	}
	return infoOf(name, pub), nil
}

// Key unlocks and returns the private key under name.
func (k *Keyring) Key(name string, passphrase []byte) (ed25519.PrivateKey, error) {
	kf, err := k.read(name)
	if err != nil {
		return nil, err
	}
	return open(k.backend, kf, passphrase)
}

// Delete removes the key under name.
func (k *Keyring) Delete(name string) error {
	p, err := k.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return fmt.Errorf("keys: %w", err)
	}
	return nil
}

func (k *Keyring) read(name string) (*keyFile, error) {
	p, err := k.path(name)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return nil, fmt.Errorf("keys: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o, want 0600", ErrInsecureFile, p, st.Mode().Perm())
	}
	bz, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	var kf keyFile
	if err := json.Unmarshal(bz, &kf); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, p, err)
	}
	if kf.Backend != string(k.backend) {
		return nil, fmt.Errorf("%w: %s is a %q key, keyring is %q", ErrWrongBackend, name, kf.Backend, k.backend)
	}
	return &kf, nil
}

func infoOf(name string, pub ed25519.PublicKey) Info {
	return Info{Name: name, PubKey: pub, Address: auth.Address(pub)}
}

// writeNew writes bz to a new file at p, mode 0600, refusing to replace an
// existing one. It writes a temporary file and links it into place, so a
// crash never leaves half a key.
func writeNew(p string, bz []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(fileMode); err != nil {
		tmp.Close()
		return fmt.Errorf("keys: %w", err)
	}
	if _, err := tmp.Write(bz); err != nil {
		tmp.Close()
		return fmt.Errorf("keys: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("keys: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if err := os.Link(tmp.Name(), p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s", ErrExists, strings.TrimSuffix(filepath.Base(p), fileExt))
		}
		return fmt.Errorf("keys: %w", err)
	}
	return nil
}

func seal(backend Backend, name string, priv ed25519.PrivateKey, passphrase []byte) (*keyFile, error) {
	pub := priv.Public().(ed25519.PublicKey)
	kf := &keyFile{
		Version: formatVer,
		Name:    name,
		Backend: string(backend),
		PubKey:  hex.EncodeToString(pub),
		Address: auth.Address(pub),
	}
	if backend == BackendTest {
		kf.Seed = hex.EncodeToString(priv.Seed())
		return kf, nil
	}
	if len(passphrase) == 0 {
		return nil, ErrEmptyPassphrase
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("keys: salt: %w", err)
	}
	kdf := newKDF
	kdf.Salt = hex.EncodeToString(salt)
	aead, err := newAEAD(&kdf, passphrase)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("keys: nonce: %w", err)
	}
	kf.KDF = &kdf
	kf.Nonce = hex.EncodeToString(nonce)
	kf.Ciphertext = hex.EncodeToString(aead.Seal(nil, nonce, priv.Seed(), pub))
	return kf, nil
}

func open(backend Backend, kf *keyFile, passphrase []byte) (ed25519.PrivateKey, error) {
	if kf.Backend != string(backend) {
		return nil, fmt.Errorf("%w: %q key, want %q", ErrWrongBackend, kf.Backend, backend)
	}
	pub, err := hex.DecodeString(kf.PubKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: public key", ErrCorrupt)
	}
	var seed []byte
	switch backend {
	case BackendTest:
		seed, err = hex.DecodeString(kf.Seed)
		if err != nil {
			return nil, fmt.Errorf("%w: seed", ErrCorrupt)
		}
	case BackendFile:
		if kf.KDF == nil || (kf.KDF.Name != kdfArgon2id && kf.KDF.Name != kdfScrypt) {
			return nil, fmt.Errorf("%w: unknown key derivation", ErrCorrupt)
		}
		nonce, err1 := hex.DecodeString(kf.Nonce)
		ct, err2 := hex.DecodeString(kf.Ciphertext)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%w: nonce or ciphertext", ErrCorrupt)
		}
		aead, err := newAEAD(kf.KDF, passphrase)
		if err != nil {
			return nil, err
		}
		if len(nonce) != aead.NonceSize() {
			return nil, fmt.Errorf("%w: nonce", ErrCorrupt)
		}
		seed, err = aead.Open(nil, nonce, ct, pub)
		if err != nil {
			return nil, ErrWrongPassphrase
		}
	default:
		return nil, fmt.Errorf("%w: %q", ErrBadBackend, backend)
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: seed length", ErrCorrupt)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if !priv.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(pub)) {
		return nil, fmt.Errorf("%w: public key does not match the private key", ErrCorrupt)
	}
	return priv, nil
}

func newAEAD(kdf *kdfParams, passphrase []byte) (cipher.AEAD, error) {
	salt, err := hex.DecodeString(kdf.Salt)
	if err != nil || len(salt) == 0 {
		return nil, fmt.Errorf("%w: salt", ErrCorrupt)
	}
	// Bound the parameters a file may ask for, so that a crafted file (an
	// armor is someone else's file) cannot make the derivation take
	// gigabytes or minutes. Weak parameters are accepted for reading: they
	// weaken only that file.
	var dk []byte
	switch kdf.Name {
	case kdfArgon2id:
		if kdf.T < 1 || kdf.T > 16 || kdf.P < 1 || kdf.P > 16 || kdf.M < 8*uint32(kdf.P) || kdf.M > 1<<20 {
			return nil, fmt.Errorf("%w: argon2id parameters", ErrCorrupt)
		}
		dk = argon2.IDKey(passphrase, salt, kdf.T, kdf.M, uint8(kdf.P), 32)
	case kdfScrypt:
		if kdf.N < 2 || kdf.N > 1<<20 || kdf.R < 1 || kdf.R > 32 || kdf.P < 1 || kdf.P > 16 {
			return nil, fmt.Errorf("%w: scrypt parameters", ErrCorrupt)
		}
		if dk, err = scrypt.Key(passphrase, salt, kdf.N, kdf.R, kdf.P, 32); err != nil {
			return nil, fmt.Errorf("%w: scrypt: %v", ErrCorrupt, err)
		}
	default:
		return nil, fmt.Errorf("%w: unknown key derivation %q", ErrCorrupt, kdf.Name)
	}
	block, err := aes.NewCipher(dk)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return cipher.NewGCM(block)
}
