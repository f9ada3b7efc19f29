package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gaoxing-gov/gaoxing/pkg/sealed"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
)

// Tokens are signed with ES256: a P-256 signature costs tens of microseconds where an
// RSA-2048 one costs about a millisecond, and every verifier (pkg/authn, go-oidc) takes it.
const signingAlg = jose.ES256

// keyReload is how long a replica trusts its copy of the key table; a key made by another
// replica is seen within it, which is why new keys are published before they sign.
const keyReload = 10 * time.Second

// signingKey is one key of the table.
type signingKey struct {
	id        string
	priv      *ecdsa.PrivateKey
	createdAt time.Time
	signFrom  time.Time
}

// The op package's views of a key: a signer and a published public key.
type opSigningKey struct{ k *signingKey }

func (s opSigningKey) SignatureAlgorithm() jose.SignatureAlgorithm { return signingAlg }
func (s opSigningKey) Key() any                                    { return s.k.priv }
func (s opSigningKey) ID() string                                  { return s.k.id }

type opPublicKey struct{ k *signingKey }

func (p opPublicKey) ID() string                         { return p.k.id }
func (p opPublicKey) Algorithm() jose.SignatureAlgorithm { return signingAlg }
func (p opPublicKey) Use() string                        { return "sig" }
func (p opPublicKey) Key() any                           { return &p.k.priv.PublicKey }

// keyRing is the replica's view of the key table, reloaded every keyReload, rotating when
// the signing key is older than the rotation period.
type keyRing struct {
	db        *sqlstore.DB
	now       func() time.Time
	rotation  time.Duration // sign with a key at most this long; 0 never rotates by age
	ahead     time.Duration // a new key is published this long before it signs
	retention time.Duration // a key stays published this long after it stopped signing
	sealer    *sealed.Ring  // seals private keys at rest; nil stores them in clear (development)

	mu       sync.Mutex
	keys     []*signingKey // by sign_from, oldest first
	loadedAt time.Time
}

// current returns the keys, reloading them when stale and making the first key when
// there is none.
func (r *keyRing) current(ctx context.Context) ([]*signingKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if r.keys != nil && now.Sub(r.loadedAt) < keyReload {
		return r.keys, nil
	}
	keys, err := r.load(ctx)
	if err != nil {
		if r.keys != nil {
			// The database is down: keep signing with what we know, and ask again later
			// rather than on every token.
			r.loadedAt = now
			return r.keys, nil
		}
		return nil, err
	}
	if len(keys) == 0 || (r.rotation > 0 && now.Sub(keys[len(keys)-1].createdAt) > r.rotation) {
		// The very first key signs at once: nobody can hold an older one.
		ahead := r.ahead
		if len(keys) == 0 {
			ahead = 0
		}
		if _, err := r.create(ctx, ahead); err != nil {
			return nil, err
		}
		if keys, err = r.load(ctx); err != nil {
			return nil, err
		}
	}
	r.keys, r.loadedAt = keys, now
	return keys, nil
}

// signer is the newest key whose signing time has come.
func (r *keyRing) signer(ctx context.Context) (*signingKey, error) {
	keys, err := r.current(ctx)
	if err != nil {
		return nil, err
	}
	now := r.now()
	for i := len(keys) - 1; i >= 0; i-- {
		if !keys[i].signFrom.After(now) {
			return keys[i], nil
		}
	}
	return keys[0], nil
}

// published is every key a valid token may name: keys not yet signing (so verifiers
// have them before the first token) and retired keys until their tokens expire.
func (r *keyRing) published(ctx context.Context) ([]*signingKey, error) {
	keys, err := r.current(ctx)
	if err != nil {
		return nil, err
	}
	now := r.now()
	out := make([]*signingKey, 0, len(keys))
	for i, k := range keys {
		if i+1 < len(keys) && !keys[i+1].signFrom.After(now) && now.Sub(keys[i+1].signFrom) > r.retention {
			continue // replaced long enough ago that nothing it signed is still valid
		}
		out = append(out, k)
	}
	return out, nil
}

// rotate makes a new key that signs after the publishing delay and forgets cached keys.
func (r *keyRing) rotate(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, err := r.create(ctx, r.ahead)
	r.keys = nil
	return id, err
}

func (r *keyRing) create(ctx context.Context, ahead time.Duration) (string, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", fmt.Errorf("oidc: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", fmt.Errorf("oidc: encode key: %w", err)
	}
	now := r.now()
	id := "k" + now.UTC().Format("20060102T150405") + "-" + randomID(6)
	if r.sealer != nil {
		der = []byte(r.sealer.Seal(der, sealContext(id)))
	}
	_, err = r.db.Exec(ctx,
		`INSERT INTO oidc_signing_keys (id, alg, private_der, sealed, created_at, sign_from) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, string(signingAlg), der, r.sealer != nil, now.UnixMicro(), now.Add(ahead).UnixMicro())
	if err != nil {
		return "", fmt.Errorf("oidc: store key: %w", err)
	}
	return id, nil
}

func (r *keyRing) load(ctx context.Context) ([]*signingKey, error) {
	rows, err := r.db.Query(ctx, `SELECT id, alg, private_der, sealed, created_at, sign_from FROM oidc_signing_keys ORDER BY sign_from, id`)
	if err != nil {
		return nil, fmt.Errorf("oidc: load keys: %w", err)
	}
	defer rows.Close()
	var keys []*signingKey
	for rows.Next() {
		var (
			k                   signingKey
			alg                 string
			der                 []byte
			isSealed            bool
			createdAt, signFrom int64
		)
		if err := rows.Scan(&k.id, &alg, &der, &isSealed, &createdAt, &signFrom); err != nil {
			return nil, fmt.Errorf("oidc: read key: %w", err)
		}
		if alg != string(signingAlg) {
			continue
		}
		if isSealed {
			if r.sealer == nil {
				return nil, fmt.Errorf("oidc: key %s is sealed and no sealing keys are configured", k.id)
			}
			if der, err = r.sealer.Open(string(der), sealContext(k.id)); err != nil {
				return nil, fmt.Errorf("oidc: unseal key %s: %w", k.id, err)
			}
		}
		parsed, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("oidc: key %s: %w", k.id, err)
		}
		priv, ok := parsed.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("oidc: key %s is not an EC key", k.id)
		}
		k.priv, k.createdAt, k.signFrom = priv, time.UnixMicro(createdAt), time.UnixMicro(signFrom)
		keys = append(keys, &k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("oidc: load keys: %w", err)
	}
	if keys == nil {
		keys = []*signingKey{}
	}
	return keys, nil
}

// prune deletes keys no longer published.
func (r *keyRing) prune(ctx context.Context) error {
	keys, err := r.load(ctx)
	if err != nil {
		return err
	}
	now := r.now()
	for i := 0; i+1 < len(keys); i++ {
		if next := keys[i+1].signFrom; !next.After(now) && now.Sub(next) > r.retention {
			if _, err := r.db.Exec(ctx, `DELETE FROM oidc_signing_keys WHERE id = $1`, keys[i].id); err != nil {
				return fmt.Errorf("oidc: prune key: %w", err)
			}
		}
	}
	return nil
}

var (
	_ op.SigningKey = opSigningKey{}
	_ op.Key        = opPublicKey{}
)

// sealContext binds a sealed private key to its row, so it cannot be moved to another.
func sealContext(id string) string { return "oidc_signing_keys/" + id }
