package authn

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// A JWKS larger than this is refused: a real one holds a handful of keys.
const maxJWKSBytes = 1 << 20

// fetchTimeout bounds one JWKS request; it is not the caller's deadline because every
// caller waiting for the same fetch shares it.
const fetchTimeout = 5 * time.Second

// minRSABits refuses keys too short to trust.
const minRSABits = 2048

var errUnknownKey = errors.New("no published key has this kid")

// publicKey is one usable key of the set.
type publicKey struct {
	key crypto.PublicKey
	alg string // the key's own "alg", "" when the JWKS leaves it open
}

// keyCache holds the issuer's published keys. A kid it does not know triggers a refetch,
// but fetches start at most once per interval however many callers ask, and callers
// that ask while one is running wait for that one.
type keyCache struct {
	url      string
	client   *http.Client
	interval time.Duration // least time between two fetch attempts
	maxAge   time.Duration // keys older than this are refreshed in the background
	now      func() time.Time

	mu        sync.Mutex
	keys      map[string]publicKey
	fetchedAt time.Time     // last successful fetch
	attemptAt time.Time     // start of the last attempt
	inflight  chan struct{} // closed when the running fetch ends; nil when none runs
	lastErr   error         // result of the last attempt
}

// has reports, without fetching, whether kid is in a key set that is not due for a
// refresh: remembered tokens stop being accepted when their key is withdrawn.
func (c *keyCache) has(kid string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.keys[kid]
	return ok && c.now().Sub(c.fetchedAt) < c.maxAge
}

// get returns the key named kid.
func (c *keyCache) get(ctx context.Context, kid string) (publicKey, error) {
	c.mu.Lock()
	k, ok := c.keys[kid]
	if ok && c.now().Sub(c.fetchedAt) < c.maxAge {
		c.mu.Unlock()
		return k, nil
	}
	done := c.startLocked(ctx, false)
	c.mu.Unlock()
	if ok {
		// A stale key is still the best answer; the refresh runs in the background.
		return k, nil
	}
	if done == nil {
		return publicKey{}, c.missing()
	}
	select {
	case <-done:
	case <-ctx.Done():
		return publicKey{}, ctx.Err()
	}
	c.mu.Lock()
	k, ok = c.keys[kid]
	err := c.lastErr
	c.mu.Unlock()
	switch {
	case ok:
		return k, nil
	case err != nil:
		return publicKey{}, ErrKeysUnavailable.Wrap(err)
	}
	return publicKey{}, errUnknownKey
}

// missing is the error for a kid not in the set when no fetch may start now. Only a set
// fetched by the last attempt says the kid is not published; while the issuer cannot be
// reached (its release briefly down) the kid may be a key it rotated to meanwhile, so the
// caller is told to retry, not that its token is bad (which would sign it out).
func (c *keyCache) missing() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.fetchedAt.IsZero():
		return ErrKeysUnavailable.Wrap(fmt.Errorf("no key set fetched yet: %w", c.lastErr))
	case c.lastErr != nil:
		return ErrKeysUnavailable.Wrap(fmt.Errorf("key set not refreshed: %w", c.lastErr))
	}
	return errUnknownKey
}

// startLocked returns the channel of the running fetch, starting one unless the last
// attempt is more recent than the interval (then nil). force ignores the interval.
func (c *keyCache) startLocked(ctx context.Context, force bool) chan struct{} {
	if c.inflight != nil {
		return c.inflight
	}
	now := c.now()
	if !force && !c.attemptAt.IsZero() && now.Sub(c.attemptAt) < c.interval {
		return nil
	}
	done := make(chan struct{})
	c.inflight, c.attemptAt = done, now
	// Keep the caller's values (trace) but not its cancellation: others wait on this fetch.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	go func() {
		defer cancel()
		keys, err := c.fetch(fctx)
		c.mu.Lock()
		if err == nil {
			c.keys, c.fetchedAt = keys, c.now()
		}
		c.lastErr, c.inflight = err, nil
		c.mu.Unlock()
		close(done)
	}()
	return done
}

// refresh fetches now (ignoring the interval) and reports the result.
func (c *keyCache) refresh(ctx context.Context) error {
	c.mu.Lock()
	done := c.startLocked(ctx, true)
	c.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

func (c *keyCache) fetch(ctx context.Context) (map[string]publicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch jwks: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch jwks: %s answered %s", c.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read jwks: %w", err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("jwks over %d bytes", maxJWKSBytes)
	}
	return parseJWKS(body)
}

// jwk is the subset of RFC 7517/7518/8037 members we read.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Crv string `json:"crv"`
	N   string `json:"n"`
	E   string `json:"e"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS keeps the signing keys it understands and skips the others (an issuer may
// publish encryption keys or newer key types); a set with no usable key is an error.
func parseJWKS(body []byte) (map[string]publicKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("decode jwks: %w", err)
	}
	keys := make(map[string]publicKey, len(set.Keys))
	var skipped []error
	for _, k := range set.Keys {
		if k.Kid == "" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		pub, err := k.publicKey()
		if err != nil {
			skipped = append(skipped, fmt.Errorf("key %q: %w", k.Kid, err))
			continue
		}
		keys[k.Kid] = publicKey{key: pub, alg: k.Alg}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("jwks has no usable signing key: %w", errors.Join(skipped...))
	}
	return keys, nil
}

func (k jwk) publicKey() (crypto.PublicKey, error) {
	switch k.Kty {
	case "RSA":
		n, err := b64(k.N)
		if err != nil {
			return nil, err
		}
		e, err := b64(k.E)
		if err != nil {
			return nil, err
		}
		if len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA exponent")
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < minRSABits || pub.E < 3 || pub.E%2 == 0 {
			return nil, fmt.Errorf("weak RSA key (%d bits, e=%d)", pub.N.BitLen(), pub.E)
		}
		return pub, nil
	case "EC":
		var curve elliptic.Curve
		switch k.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, fmt.Errorf("unsupported curve %q", k.Crv)
		}
		size := (curve.Params().BitSize + 7) / 8
		x, err := b64(k.X)
		if err != nil {
			return nil, err
		}
		y, err := b64(k.Y)
		if err != nil {
			return nil, err
		}
		if len(x) != size || len(y) != size {
			return nil, errors.New("bad EC coordinate length")
		}
		// Parsing the uncompressed point also checks that it lies on the curve.
		return ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
	case "OKP":
		if k.Crv != "Ed25519" {
			return nil, fmt.Errorf("unsupported curve %q", k.Crv)
		}
		x, err := b64(k.X)
		if err != nil {
			return nil, err
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, errors.New("bad Ed25519 key length")
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, fmt.Errorf("unsupported key type %q", k.Kty)
}

func b64(s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("bad base64url: %w", err)
	}
	return b, nil
}
