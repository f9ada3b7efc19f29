package authn

import (
	"slices"
	"sync"
	"time"
)

// verifiedCap bounds the tokens remembered per generation; two generations are kept.
const verifiedCap = 4096

// verified remembers tokens whose signature and claims checked out, so a client that
// sends the same token on every call pays for the signature check (about 50 µs for
// ES256 on these machines) once per token, not once per call. A remembered token is
// still refused once it expires, once its signing key is no longer published, and
// whenever the revocation check says so: only the signature and claim parsing are saved.
type verified struct {
	mu        sync.Mutex
	cur, prev map[string]verifiedToken
}

type verifiedToken struct {
	p        Principal
	notAfter time.Time // expiry plus skew
	notBefor time.Time // not-before minus skew
	issued   time.Time // iat
	jti, kid string
}

// ref is what the revocation check is asked about.
func (t verifiedToken) ref() TokenRef {
	return TokenRef{ID: t.jti, Subject: t.p.Subject, ClientID: t.p.ClientID, IssuedAt: t.issued}
}

func (c *verified) get(token string) (verifiedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.cur[token]
	if !ok {
		t, ok = c.prev[token]
	}
	return t, ok
}

// put remembers t; when the current generation is full it becomes the previous one, so
// memory stays bounded and recently used tokens survive one turnover.
func (c *verified) put(token string, t verifiedToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil || len(c.cur) >= verifiedCap {
		c.prev, c.cur = c.cur, make(map[string]verifiedToken, verifiedCap/4)
	}
	c.cur[token] = t
}

// principal returns a copy the caller may change without touching the cache.
func (t verifiedToken) principal() Principal {
	p := t.p
	p.Scopes = slices.Clone(p.Scopes)
	p.ActsFor = Mandates{Subjects: slices.Clone(p.ActsFor.Subjects), Orgs: slices.Clone(p.ActsFor.Orgs)}
	return p
}
