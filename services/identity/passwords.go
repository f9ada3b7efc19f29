package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// Argon2Params are the argon2id cost parameters (RFC 9106). They are written into every
// hash, so raising them later only affects new hashes; old ones verify with their own.
type Argon2Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultArgon2 is m=64 MiB, t=1, p=2: RFC 9106's second recommended option with the
// memory lowered from 2 GiB to 64 MiB (OWASP's floor is 19 MiB) and two lanes for the two
// cores. BenchmarkAuthenticate (bench_test.go) measures a login at about 45 ms on one core.
var DefaultArgon2 = Argon2Params{MemoryKiB: 64 * 1024, Time: 1, Threads: 2}

const (
	saltLen = 16
	keyLen  = 32
)

// hashPassword returns the PHC string of password under p.
func hashPassword(password string, p Argon2Params) string {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// checkPassword reports whether password matches the PHC string, in constant time.
func checkPassword(password, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || p.Time == 0 || p.Threads == 0 || p.MemoryKiB > 1<<21 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// checkPassword is checkPassword under the Core's limit on concurrent argon2id runs: each
// takes MemoryKiB of memory, so a burst of logins must queue rather than exhaust it.
func (c *Core) checkPassword(ctx context.Context, password, encoded string) (bool, error) {
	select {
	case c.argonSlots <- struct{}{}:
	case <-ctx.Done():
		return false, errs.From(ctx.Err())
	}
	defer func() { <-c.argonSlots }()
	return checkPassword(password, encoded), nil
}

// Password policy (密码策略).
const (
	MinPasswordRunes = 10
	maxPasswordBytes = 128 // bounds the work an attacker can ask argon2 for
)

// checkPolicy refuses weak passwords with WEAK_PASSWORD: shorter than 10 characters,
// longer than 128 bytes, of only one class (lower case, upper case, digits, others), or
// containing the username.
func checkPolicy(password, username string) error {
	weak := func(why string) error {
		return ErrWeakPassword.WithMessage("密码强度不足：%s", why).WithField("password", "WEAK_PASSWORD", why)
	}
	if utf8.RuneCountInString(password) < MinPasswordRunes {
		return weak(fmt.Sprintf("至少 %d 个字符", MinPasswordRunes))
	}
	if len(password) > maxPasswordBytes || !utf8.ValidString(password) {
		return weak("过长或含有无效字符")
	}
	var classes [4]bool
	for _, r := range password {
		switch {
		case unicode.IsLower(r):
			classes[0] = true
		case unicode.IsUpper(r):
			classes[1] = true
		case unicode.IsDigit(r):
			classes[2] = true
		default:
			classes[3] = true
		}
	}
	n := 0
	for _, c := range classes {
		if c {
			n++
		}
	}
	if n < 2 {
		return weak("不能只由同一类字符组成，请混合字母、数字或符号")
	}
	if username != "" && strings.Contains(strings.ToLower(password), strings.ToLower(username)) {
		return weak("不能包含用户名")
	}
	return nil
}

// randomPassword makes a password that passes the policy, for the bootstrap admin.
func randomPassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	// URL-safe base64 of 18 bytes is 24 characters; the fixed suffix guarantees a digit
	// and a symbol whatever the random part looks like.
	return base64.RawURLEncoding.EncodeToString(b) + "-7"
}
