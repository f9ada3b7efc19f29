package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// Errors of opening sealed values. Both mean the stored data or the configuration is
// wrong, never the caller's input, so they are internal errors.
var (
	ErrTampered   = errs.New(errs.Internal, "SEALED_TAMPERED", "加密数据已损坏或被篡改")
	ErrUnknownKey = errs.New(errs.Internal, "SEALED_UNKNOWN_KEY", "加密数据所用密钥未配置")
	ErrBadKeys    = errs.New(errs.Internal, "SEALED_BAD_KEYS", "加密密钥配置不正确")
)

// KeySize is the size of every key: AES-256 and HMAC-SHA256 both take 32 bytes.
const KeySize = 32

var keyIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,15}$`)

// Key is one named secret key.
type Key struct {
	ID     string // short, lowercase, e.g. "k2"; written in front of every value it seals
	Secret []byte // KeySize bytes
}

// Ring holds the keys of one deployment: the current key seals, every key opens, and the
// index key makes blind indexes. The zero Ring is unusable; build one with NewRing or
// ParseRing.
type Ring struct {
	current  Key
	byID     map[string]cipher.AEAD
	indexKey []byte
}

// NewRing builds a ring from the current key, the index key and older keys kept for
// opening. Key ids must be distinct and every secret KeySize bytes.
func NewRing(current Key, indexKey []byte, old ...Key) (*Ring, error) {
	r := &Ring{current: current, byID: map[string]cipher.AEAD{}}
	if len(indexKey) != KeySize {
		return nil, ErrBadKeys.WithMessage("盲索引密钥应为 %d 字节", KeySize)
	}
	r.indexKey = append([]byte(nil), indexKey...)
	for _, k := range append([]Key{current}, old...) {
		if !keyIDPattern.MatchString(k.ID) {
			return nil, ErrBadKeys.WithMessage("密钥标识 %q 格式不正确", k.ID)
		}
		if len(k.Secret) != KeySize {
			return nil, ErrBadKeys.WithMessage("密钥 %s 应为 %d 字节", k.ID, KeySize)
		}
		if _, dup := r.byID[k.ID]; dup {
			return nil, ErrBadKeys.WithMessage("密钥标识 %s 重复", k.ID)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, ErrBadKeys.Wrap(err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, ErrBadKeys.Wrap(err)
		}
		r.byID[k.ID] = aead
	}
	return r, nil
}

// ParseRing reads a ring from its configuration form: keys is a comma-separated list of
// id=base64 pairs, the current key first ("k2=…,k1=…"), and index is the base64 index
// key. Standard and URL-safe base64, padded or not, are accepted.
func ParseRing(keys, index string) (*Ring, error) {
	var ring []Key
	for _, part := range strings.Split(keys, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, b64, ok := strings.Cut(part, "=")
		if !ok {
			return nil, ErrBadKeys.WithMessage("密钥配置应为 标识=base64，以逗号分隔")
		}
		secret, err := decodeBase64(b64)
		if err != nil {
			return nil, ErrBadKeys.WithMessage("密钥 %s 不是有效的 base64", strings.TrimSpace(id)).Wrap(err)
		}
		ring = append(ring, Key{ID: strings.TrimSpace(id), Secret: secret})
	}
	if len(ring) == 0 {
		return nil, ErrBadKeys.WithMessage("未配置加密密钥")
	}
	idx, err := decodeBase64(index)
	if err != nil {
		return nil, ErrBadKeys.WithMessage("盲索引密钥不是有效的 base64").Wrap(err)
	}
	return NewRing(ring[0], idx, ring[1:]...)
}

// Environment variables FromEnv reads (mounted from a secret in production).
const (
	EnvKeys  = "GAOXING_SEALED_KEYS"      // id=base64 pairs, current first
	EnvIndex = "GAOXING_SEALED_INDEX_KEY" // base64
)

// FromEnv is ParseRing of EnvKeys and EnvIndex.
func FromEnv() (*Ring, error) {
	return ParseRing(os.Getenv(EnvKeys), os.Getenv(EnvIndex))
}

// NewKeySecret returns KeySize random bytes, base64-encoded: a fresh key for configuration
// (and for tests).
func NewKeySecret() string {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.StdEncoding.EncodeToString(b)
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// CurrentKeyID is the id of the key Seal uses.
func (r *Ring) CurrentKeyID() string { return r.current.ID }

// Seal encrypts plaintext with the current key. context binds the value to where it is
// stored (e.g. "identity.users.id_number/u-123"): Open with another context fails, so a
// ciphertext copied into another row or column does not open there.
func (r *Ring) Seal(plaintext []byte, context string) string {
	aead := r.byID[r.current.ID]
	buf := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	_, _ = rand.Read(buf)
	buf = aead.Seal(buf, buf, plaintext, []byte(context))
	return r.current.ID + ":" + base64.RawURLEncoding.EncodeToString(buf)
}

// Open decrypts a value made by Seal with any key of the ring and the same context.
func (r *Ring) Open(sealed, context string) ([]byte, error) {
	id, b64, ok := strings.Cut(sealed, ":")
	if !ok {
		return nil, ErrTampered.WithMessage("加密数据格式不正确")
	}
	aead, ok := r.byID[id]
	if !ok {
		return nil, ErrUnknownKey.WithMessage("加密数据所用密钥 %q 未配置", id)
	}
	raw, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrTampered.WithMessage("加密数据格式不正确")
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, raw[:n], raw[n:], []byte(context))
	if err != nil {
		return nil, ErrTampered.Wrap(err)
	}
	return plain, nil
}

// SealString is Seal of a string.
func (r *Ring) SealString(plaintext, context string) string {
	return r.Seal([]byte(plaintext), context)
}

// OpenString is Open returning a string.
func (r *Ring) OpenString(sealed, context string) (string, error) {
	b, err := r.Open(sealed, context)
	return string(b), err
}

// Stale reports whether sealed was made with a key other than the current one, so it
// should be resealed (opened and sealed again) to let the old key retire.
func (r *Ring) Stale(sealed string) bool {
	id, _, _ := strings.Cut(sealed, ":")
	return id != r.current.ID
}

// Index is the blind index of value for purpose (e.g. "identity.id_number"): the base64
// of HMAC-SHA256 under the index key of purpose and value. Equal inputs give equal
// indexes; the purpose keeps indexes of different fields apart. Normalize value first
// (NormalizeIDNumber), or equal values written differently will not match. The index key
// does not rotate with the sealing keys: rotating it means recomputing every index.
func (r *Ring) Index(purpose, value string) string {
	m := hmac.New(sha256.New, r.indexKey)
	fmt.Fprintf(m, "%d:%s:", len(purpose), purpose)
	m.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
