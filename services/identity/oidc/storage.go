package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// refreshPrefix marks the ids GetRefreshTokenInfo hands back to RevokeToken, telling
// them apart from access token ids.
const refreshPrefix = "rt:"

var (
	errAuthRequestUnknown = errors.New("auth request not found or expired")
	errRefreshReused      = errors.New("refresh token reused")
	errClientDisabled     = errors.New("client disabled")
)

// storage is op.Storage on our SQL tables, the Directory and etcd.
type storage struct {
	cfg      Config
	dir      Directory
	db       *sqlstore.DB
	audit    *audit.Sealer
	etcd     *clientv3.Client
	keys     *keyRing
	revoked  *authn.Revocations
	log      *slog.Logger
	now      func() time.Time
	loginURL func(id string) string
}

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is how codes and refresh tokens are kept: they are high-entropy, so one
// SHA-256 is enough to make a copy of the table useless.
func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// ---- authorization requests ----

const authRequestColumns = `id, client_id, redirect_uri, scopes, state, nonce, response_type, response_mode,
	code_challenge, code_challenge_method, subject, tenant, kind, auth_time, done, expires_at`

func scanAuthRequest(row interface{ Scan(...any) error }) (*authRequest, error) {
	var (
		a                   authRequest
		scopes, rt, rm, ccm string
		tenant, kind        string
		authTime, expires   int64
	)
	err := row.Scan(&a.ID, &a.ClientID, &a.RedirectURI, &scopes, &a.State, &a.Nonce, &rt, &rm,
		&a.Challenge, &ccm, &a.Subject, &tenant, &kind, &authTime, &a.IsDone, &expires)
	if err != nil {
		return nil, err
	}
	a.Scopes = strings.Fields(scopes)
	a.ResponseType, a.ResponseMode, a.ChallengeMeth = oidc.ResponseType(rt), oidc.ResponseMode(rm), oidc.CodeChallengeMethod(ccm)
	a.Tenant, a.Kind = tenancy.ID(tenant), authn.Kind(kind)
	if authTime != 0 {
		a.AuthTime = time.UnixMicro(authTime)
	}
	a.ExpiresAt = time.UnixMicro(expires)
	return &a, nil
}

func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	c, err := s.dir.Client(ctx, req.ClientID)
	if err == nil && c.Disabled {
		err = errClientDisabled
	}
	if err != nil {
		return nil, oidc.ErrInvalidClient().WithParent(err)
	}
	if req.ResponseType != oidc.ResponseTypeCode {
		return nil, oidc.ErrInvalidRequest().WithDescription("only response_type=code is supported")
	}
	// PKCE: public clients must use it; whoever uses it must use S256 (plain protects nothing).
	if req.CodeChallenge == "" && c.Public {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE with code_challenge_method=S256 is required")
	}
	if req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	now := s.now()
	a := &authRequest{
		ID: randomID(24), ClientID: req.ClientID, RedirectURI: req.RedirectURI, Scopes: req.Scopes,
		State: req.State, Nonce: req.Nonce, ResponseType: req.ResponseType, ResponseMode: req.ResponseMode,
		Challenge: req.CodeChallenge, ChallengeMeth: req.CodeChallengeMethod, ExpiresAt: now.Add(s.cfg.AuthRequestTTL),
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		// Requests abandoned on the login page go with the next one.
		if _, err := s.db.Exec(ctx, `DELETE FROM oidc_auth_requests WHERE expires_at < $1`, now.UnixMicro()); err != nil {
			return err
		}
		_, err := s.db.Exec(ctx, `INSERT INTO oidc_auth_requests (id, client_id, redirect_uri, scopes, state, nonce,
			response_type, response_mode, code_challenge, code_challenge_method, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			a.ID, a.ClientID, a.RedirectURI, strings.Join(a.Scopes, " "), a.State, a.Nonce, string(a.ResponseType),
			string(a.ResponseMode), a.Challenge, string(a.ChallengeMeth), now.UnixMicro(), a.ExpiresAt.UnixMicro())
		return err
	})
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return a, nil
}

func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	return s.authRequest(ctx, id)
}

func (s *storage) authRequest(ctx context.Context, id string) (*authRequest, error) {
	a, err := scanAuthRequest(s.db.QueryRow(ctx, `SELECT `+authRequestColumns+` FROM oidc_auth_requests WHERE id = $1`, id))
	if errors.Is(err, sqlstore.ErrNotFound) || (err == nil && !a.ExpiresAt.After(s.now())) {
		return nil, errAuthRequestUnknown
	}
	return a, err
}

// AuthRequestByCode consumes the code: a code works once, even when the exchange then
// fails (a wrong PKCE verifier burns it).
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	var a *authRequest
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		a, err = scanAuthRequest(s.db.QueryRow(ctx, `UPDATE oidc_auth_requests SET code_hash = NULL
			WHERE code_hash = $1 AND expires_at > $2 RETURNING `+authRequestColumns, hashSecret(code), s.now().UnixMicro()))
		return err
	})
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, errors.New("unknown, used or expired code")
	}
	return a, err
}

// SaveAuthCode attaches the code once: a replayed callback gets no second code.
func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	res, err := s.db.Exec(ctx, `UPDATE oidc_auth_requests SET code_hash = $2, code_issued = TRUE
		WHERE id = $1 AND done = TRUE AND code_issued = FALSE AND expires_at > $3`, id, hashSecret(code), s.now().UnixMicro())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errAuthRequestUnknown
	}
	return nil
}

func (s *storage) DeleteAuthRequest(ctx context.Context, id string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM oidc_auth_requests WHERE id = $1`, id)
	return err
}

// completeLogin marks the request signed in by acc; it fails if the request was already
// used, so a login form cannot be replayed.
func (s *storage) completeLogin(ctx context.Context, id string, acc Account) error {
	now := s.now()
	return s.db.InTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, `UPDATE oidc_auth_requests SET subject = $2, tenant = $3, kind = $4, auth_time = $5, done = TRUE
			WHERE id = $1 AND done = FALSE AND expires_at > $5`, id, acc.ID, string(acc.Tenant), string(acc.Kind), now.UnixMicro())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errAuthRequestUnknown
		}
		_, err = s.audit.Record(ctx, audit.Entry{Tenant: acc.Tenant, Actor: acc.ID, Action: "identity.SignIn",
			Resource: userResource(acc.Tenant, acc.ID), After: map[string]string{"auth_request": id}, Time: now})
		return err
	})
}

// userResource and clientResource name people and clients as the identity service does.
func userResource(t tenancy.ID, id string) string   { return "tenants/" + string(t) + "/users/" + id }
func clientResource(t tenancy.ID, id string) string { return "tenants/" + string(t) + "/clients/" + id }

// ---- tokens ----

func (s *storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	jti, exp := randomID(16), s.now().Add(s.cfg.AccessTTL)
	switch a := req.(type) {
	case *authRequest:
		if err := s.recordAccess(ctx, jti, "", a.ClientID, a.Subject, exp); err != nil {
			return "", time.Time{}, err
		}
	case *op.DeviceAuthorizationState:
		if err := s.recordAccess(ctx, jti, "", a.ClientID, a.Subject, exp); err != nil {
			return "", time.Time{}, err
		}
	}
	// Machine tokens are not kept (a revocation publishes them for the longest access
	// token lifetime), but their issue is audited in the client's tenant.
	if m, ok := req.(*machineRequest); ok {
		err := s.db.InTx(ctx, func(ctx context.Context) error {
			_, err := s.audit.Record(ctx, audit.Entry{Tenant: m.Tenant, Actor: m.ClientID, Action: "identity.IssueClientToken",
				Resource: clientResource(m.Tenant, m.ClientID), After: map[string]any{"jti": jti, "scopes": m.Scopes, "expires": exp.Unix()}})
			return err
		})
		if err != nil {
			return "", time.Time{}, err
		}
	}
	return jti, exp, nil
}

func (s *storage) recordAccess(ctx context.Context, jti, family, client, subject string, exp time.Time) error {
	_, err := s.db.Exec(ctx, `INSERT INTO oidc_access_tokens (jti, family_id, client_id, subject, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		jti, family, client, subject, exp.UnixMicro())
	return err
}

// insertRefresh adds a refresh token to family, begun at created: it lasts RefreshTTL,
// but never past the sign-in's absolute end (RefreshMaxAge after created).
func (s *storage) insertRefresh(ctx context.Context, family string, created time.Time, scopes []string) (string, error) {
	token := randomID(32)
	now := s.now()
	expires := now.Add(s.cfg.RefreshTTL)
	if end := created.Add(s.cfg.RefreshMaxAge); end.Before(expires) {
		expires = end
	}
	_, err := s.db.Exec(ctx, `INSERT INTO oidc_refresh_tokens (id, token_hash, family_id, scopes, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, randomID(12), hashSecret(token), family, strings.Join(scopes, " "),
		now.UnixMicro(), expires.UnixMicro())
	return token, err
}

func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	jti, exp := randomID(16), s.now().Add(s.cfg.AccessTTL)
	var refresh string
	// A sign-in's first tokens start its family.
	newFamily := func(client, subject string, tenant tenancy.ID, authTime time.Time, scopes []string) error {
		return s.db.InTx(ctx, func(ctx context.Context) error {
			family, created := randomID(12), s.now()
			if _, err := s.db.Exec(ctx, `INSERT INTO oidc_token_families (id, client_id, subject, tenant, auth_time, created_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, family, client, subject, string(tenant), authTime.UnixMicro(), created.UnixMicro()); err != nil {
				return err
			}
			var err error
			if refresh, err = s.insertRefresh(ctx, family, created, scopes); err != nil {
				return err
			}
			return s.recordAccess(ctx, jti, family, client, subject, exp)
		})
	}
	switch r := req.(type) {
	case *authRequest:
		if err := newFamily(r.ClientID, r.Subject, r.Tenant, r.AuthTime, r.Scopes); err != nil {
			return "", "", time.Time{}, err
		}
	case *op.DeviceAuthorizationState:
		acc, err := s.deviceAccount(ctx, r)
		if err != nil {
			return "", "", time.Time{}, err
		}
		if err := newFamily(r.ClientID, r.Subject, acc.Tenant, r.AuthTime, r.Scopes); err != nil {
			return "", "", time.Time{}, err
		}
	case *refreshRequest:
		err := s.db.InTx(ctx, func(ctx context.Context) error {
			// Rotation: the presented token is spent here, once. Losing this race to a
			// concurrent use of the same token is reuse.
			res, err := s.db.Exec(ctx, `UPDATE oidc_refresh_tokens SET used_at = $2
				WHERE token_hash = $1 AND used_at = 0
				AND family_id IN (SELECT id FROM oidc_token_families WHERE revoked_at = 0)`,
				hashSecret(current), s.now().UnixMicro())
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return errRefreshReused
			}
			if refresh, err = s.insertRefresh(ctx, r.FamilyID, r.Created, r.Granted); err != nil {
				return err
			}
			return s.recordAccess(ctx, jti, r.FamilyID, r.ClientID, r.Subject, exp)
		})
		if errors.Is(err, errRefreshReused) {
			s.revokeFamily(ctx, r.FamilyID, "refresh token reused")
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token already used; the session has been revoked")
		}
		if err != nil {
			return "", "", time.Time{}, err
		}
	default:
		return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	return jti, refresh, exp, nil
}

func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	var (
		r                         refreshRequest
		scopes                    string
		authTime, expires, usedAt int64
		revokedAt, created        int64
	)
	err := s.db.QueryRow(ctx, `SELECT t.id, t.family_id, t.scopes, t.expires_at, t.used_at, f.client_id, f.subject, f.auth_time, f.revoked_at, f.created_at
		FROM oidc_refresh_tokens t JOIN oidc_token_families f ON f.id = t.family_id WHERE t.token_hash = $1`, hashSecret(token)).
		Scan(&r.TokenID, &r.FamilyID, &scopes, &expires, &usedAt, &r.ClientID, &r.Subject, &authTime, &revokedAt, &created)
	switch {
	case errors.Is(err, sqlstore.ErrNotFound):
		return nil, oidc.ErrInvalidGrant().WithDescription("unknown refresh token")
	case err != nil:
		return nil, oidc.ErrServerError().WithParent(err)
	case revokedAt != 0:
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token revoked")
	case usedAt != 0:
		// A rotated token presented again: either the client or a thief holds a copy.
		// Nobody can tell which, so the whole family goes.
		s.revokeFamily(ctx, r.FamilyID, "refresh token reused")
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token already used; the session has been revoked")
	case time.UnixMicro(expires).Before(s.now()):
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token expired")
	case !time.UnixMicro(created).Add(s.cfg.RefreshMaxAge).After(s.now()):
		return nil, oidc.ErrInvalidGrant().WithDescription("the sign-in has reached its maximum age; sign in again")
	}
	acc, err := s.dir.AccountByID(ctx, r.Subject)
	if err != nil || acc.Status != AccountActive {
		return nil, oidc.ErrInvalidGrant().WithDescription("account not active").WithParent(err)
	}
	if time.UnixMicro(authTime).Before(acc.SessionsAfter) {
		// The password changed since this sign-in: it is over, and so is its family.
		s.revokeFamily(ctx, r.FamilyID, "password changed")
		return nil, oidc.ErrInvalidGrant().WithDescription("the password has changed since this sign-in; sign in again")
	}
	if c, err := s.dir.Client(ctx, r.ClientID); err != nil || c.Disabled {
		return nil, oidc.ErrInvalidClient().WithDescription("client unknown or disabled").WithParent(err)
	}
	r.Scopes, r.AuthTime, r.Created = strings.Fields(scopes), time.UnixMicro(authTime), time.UnixMicro(created)
	r.Granted = r.Scopes
	r.Tenant, r.Kind = acc.Tenant, acc.Kind
	return &r, nil
}

// ---- revocation ----

// revokeFamily revokes a family and publishes its live access tokens. Failures are
// logged: the family is refused here at once, and its access tokens end within AccessTTL.
func (s *storage) revokeFamily(ctx context.Context, family, reason string) {
	if err := s.revokeFamilies(ctx, revocation{actor: "system:reuse-detection", reason: reason}, `id = $1`, family); err != nil {
		s.log.Error("revoking token family", "family", family, "reason", reason, "err", err)
		return
	}
	s.log.Warn("token family revoked", "family", family, "reason", reason)
}

// revocation says who ended sign-ins and why, for their audit records.
type revocation struct{ actor, reason string }

// revokeFamilies revokes the families matching where (args from $1; $n is the time),
// audits each in its tenant, and publishes their live access tokens to etcd.
func (s *storage) revokeFamilies(ctx context.Context, by revocation, where string, args ...any) error {
	now := s.now()
	type live struct {
		jti string
		exp time.Time
	}
	var tokens []live
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		n := len(args) + 1
		var err error
		tokens, err = sqlstore.QueryAll(ctx, s.db, func(row sqlstore.Scanner) (live, error) {
			var l live
			var exp int64
			err := row.Scan(&l.jti, &exp)
			l.exp = time.UnixMicro(exp)
			return l, err
		}, fmt.Sprintf(`SELECT jti, expires_at FROM oidc_access_tokens
			WHERE family_id IN (SELECT id FROM oidc_token_families WHERE %s) AND expires_at > $%d`, where, n), append(args, now.UnixMicro())...)
		if err != nil {
			return err
		}
		return s.endFamilies(ctx, by, now, n, where, args)
	})
	if err != nil {
		return err
	}
	var errList []error
	for _, l := range tokens {
		errList = append(errList, authn.Revoke(ctx, s.etcd, l.jti, l.exp))
	}
	return errors.Join(errList...)
}

// endFamilies marks the live families matching where revoked and audits each.
func (s *storage) endFamilies(ctx context.Context, by revocation, now time.Time, n int, where string, args []any) error {
	type ended struct{ id, tenant, subject, client string }
	all, err := sqlstore.QueryAll(ctx, s.db, func(row sqlstore.Scanner) (ended, error) {
		var e ended
		return e, row.Scan(&e.id, &e.tenant, &e.subject, &e.client)
	}, fmt.Sprintf(`UPDATE oidc_token_families SET revoked_at = $%d WHERE %s AND revoked_at = 0
		RETURNING id, tenant, subject, client_id`, n, where), append(args, now.UnixMicro())...)
	if err != nil {
		return err
	}
	for _, e := range all {
		t := tenancy.ID(e.tenant)
		if !t.Valid() {
			s.log.Warn("revoked sign-in has no tenant to audit in", "family", e.id)
			continue
		}
		if _, err := s.audit.Record(ctx, audit.Entry{Tenant: t, Actor: by.actor, Action: "identity.RevokeSignIn",
			Resource: userResource(t, e.subject), After: map[string]string{"sign_in": e.id, "client": e.client, "reason": by.reason},
			Time: now}); err != nil {
			return err
		}
	}
	return nil
}

// endSessions ends every sign-in of subject: its families are revoked and audited, and
// every live access token it holds is published as revoked by its id.
func (s *storage) endSessions(ctx context.Context, subject, reason string) error {
	err := s.revokeFamilies(ctx, revocation{actor: "system:sessions", reason: reason}, `subject = $1`, subject)
	// Access tokens issued without a refresh token belong to no family.
	rows, qerr := s.db.Query(ctx, `SELECT jti, expires_at FROM oidc_access_tokens WHERE subject = $1 AND family_id = '' AND expires_at > $2`,
		subject, s.now().UnixMicro())
	if qerr != nil {
		return errors.Join(err, qerr)
	}
	type live struct {
		jti string
		exp int64
	}
	var all []live
	for rows.Next() {
		var l live
		if serr := rows.Scan(&l.jti, &l.exp); serr != nil {
			rows.Close()
			return errors.Join(err, serr)
		}
		all = append(all, l)
	}
	rows.Close()
	for _, l := range all {
		err = errors.Join(err, authn.Revoke(ctx, s.etcd, l.jti, time.UnixMicro(l.exp)))
	}
	return errors.Join(err, rows.Err())
}

// TerminateSession ends a person's sign-ins at a client (end_session with an id_token_hint).
func (s *storage) TerminateSession(ctx context.Context, userID, clientID string) error {
	if userID == "" {
		return nil // no hint: nobody to sign out but the browser
	}
	return s.revokeFamilies(ctx, revocation{actor: userID, reason: "signed out"}, `subject = $1 AND client_id = $2`, userID, clientID)
}

// RevokeToken (RFC 7009) gets a refresh token's id (from GetRefreshTokenInfo), or an
// access token's jti and subject, or, for a token that is neither, the token itself.
func (s *storage) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	if id, ok := strings.CutPrefix(tokenOrID, refreshPrefix); ok {
		var family, owner string
		err := s.db.QueryRow(ctx, `SELECT f.id, f.client_id FROM oidc_refresh_tokens t JOIN oidc_token_families f ON f.id = t.family_id WHERE t.id = $1`, id).Scan(&family, &owner)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return nil
		}
		if err != nil {
			return oidc.ErrServerError().WithParent(err)
		}
		if owner != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		if err := s.revokeFamilies(ctx, revocation{actor: clientID, reason: "refresh token revoked"}, `id = $1`, family); err != nil {
			return oidc.ErrServerError().WithParent(err)
		}
		return nil
	}
	if userID == "" {
		// Neither a known refresh token nor a valid access token as hinted: perhaps a
		// refresh token sent with the wrong hint (RFC 7009 §2.1 asks us to look anyway).
		if _, id, err := s.GetRefreshTokenInfo(ctx, clientID, tokenOrID); err == nil {
			return s.RevokeToken(ctx, id, "", clientID)
		}
		return nil // not a token of ours, or already expired: nothing to do (§2.2)
	}
	var owner string
	var exp int64
	err := s.db.QueryRow(ctx, `SELECT client_id, expires_at FROM oidc_access_tokens WHERE jti = $1`, tokenOrID).Scan(&owner, &exp)
	switch {
	case errors.Is(err, sqlstore.ErrNotFound):
		// A machine token: its subject is its client.
		if userID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		exp = s.now().Add(s.cfg.AccessTTL).UnixMicro()
	case err != nil:
		return oidc.ErrServerError().WithParent(err)
	case owner != clientID:
		return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
	}
	if err := authn.Revoke(ctx, s.etcd, tokenOrID, time.UnixMicro(exp)); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if err := s.auditTokenRevoked(ctx, tokenOrID, userID, clientID); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

// auditTokenRevoked records the revocation of one access token in its owner's tenant: the
// person's for a sign-in's token, the client's for a machine token.
func (s *storage) auditTokenRevoked(ctx context.Context, jti, userID, clientID string) error {
	resource, tenant := "", tenancy.ID("")
	if userID == clientID {
		c, err := s.dir.Client(ctx, clientID)
		if err != nil {
			return err
		}
		tenant, resource = c.Tenant, clientResource(c.Tenant, clientID)
	} else {
		acc, err := s.dir.AccountByID(ctx, userID)
		if err != nil {
			return err
		}
		tenant, resource = acc.Tenant, userResource(acc.Tenant, userID)
	}
	// The revocation itself lives in etcd; the record needs a transaction of its own.
	return s.db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.audit.Record(ctx, audit.Entry{Tenant: tenant, Actor: clientID, Action: "identity.RevokeToken",
			Resource: resource, After: map[string]string{"jti": jti, "client": clientID}})
		return err
	})
}

func (s *storage) GetRefreshTokenInfo(ctx context.Context, _ string, token string) (string, string, error) {
	var id, subject string
	err := s.db.QueryRow(ctx, `SELECT t.id, f.subject FROM oidc_refresh_tokens t JOIN oidc_token_families f ON f.id = t.family_id WHERE t.token_hash = $1`,
		hashSecret(token)).Scan(&id, &subject)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return "", "", op.ErrInvalidRefreshToken
	}
	if err != nil {
		return "", "", err
	}
	return subject, refreshPrefix + id, nil
}

// ---- keys ----

func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	k, err := s.keys.signer(ctx)
	if err != nil {
		return nil, err
	}
	return opSigningKey{k}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{signingAlg}, nil
}

func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	keys, err := s.keys.published(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, len(keys))
	for i, k := range keys {
		out[i] = opPublicKey{k}
	}
	return out, nil
}

// ---- clients ----

func (s *storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.dir.Client(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Disabled {
		return nil, errClientDisabled
	}
	return &opClient{c: c, loginURL: s.loginURL, idTTL: s.cfg.IDTokenTTL, devMode: s.cfg.Insecure}, nil
}

func (s *storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	return s.dir.CheckClientSecret(ctx, id, secret)
}

func (s *storage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	if err := s.dir.CheckClientSecret(ctx, id, secret); err != nil {
		return nil, err
	}
	c, err := s.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.GrantTypes(), oidc.GrantTypeClientCredentials) {
		return nil, errors.New("client may not use client credentials")
	}
	return c, nil
}

func (s *storage) ClientCredentialsTokenRequest(ctx context.Context, id string, scopes []string) (op.TokenRequest, error) {
	c, err := s.dir.Client(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Disabled {
		return nil, oidc.ErrInvalidClient().WithParent(errClientDisabled)
	}
	if !c.Tenant.Valid() {
		return nil, oidc.ErrServerError().WithDescription("client has no valid tenant")
	}
	for _, sc := range scopes {
		if !slices.Contains(c.Scopes, sc) {
			return nil, oidc.ErrInvalidScope().WithDescription("scope %s is not granted to this client", sc)
		}
	}
	if len(scopes) == 0 {
		scopes = c.Scopes
	}
	return &machineRequest{ClientID: c.ID, Tenant: c.Tenant, Scopes: scopes}, nil
}

// ---- claims ----

// GetPrivateClaimsFromRequest adds what pkg/authn reads: home tenant, kind and scope,
// an enterprise's org and an agent's acts_for.
func (s *storage) GetPrivateClaimsFromRequest(ctx context.Context, req op.TokenRequest, scopes []string) (map[string]any, error) {
	var tenant tenancy.ID
	var kind authn.Kind
	switch r := req.(type) {
	case *authRequest:
		tenant, kind = r.Tenant, r.Kind
	case *refreshRequest:
		tenant, kind = r.Tenant, r.Kind
	case *machineRequest:
		tenant, kind = r.Tenant, authn.Service
	case *op.DeviceAuthorizationState:
		acc, err := s.deviceAccount(ctx, r)
		if err != nil {
			return nil, err
		}
		tenant, kind = acc.Tenant, acc.Kind
	default:
		return nil, fmt.Errorf("oidc: unexpected token request %T", req)
	}
	claims := map[string]any{
		authn.ClaimTenant: string(tenant),
		authn.ClaimKind:   string(kind),
		authn.ClaimScope:  strings.Join(scopes, " "),
	}
	if kind == authn.Service {
		return claims, nil
	}
	acc, err := s.dir.AccountByID(ctx, req.GetSubject())
	if err != nil {
		return nil, err
	}
	if kind == authn.Enterprise && acc.Org != "" {
		// The enterprise the account acts for: colleagues share its records.
		claims[authn.ClaimOrg] = acc.Org
	}
	if len(acc.ActsFor) > 0 {
		// The parties that mandated a 帮代办 agent: their records are its too.
		claims[authn.ClaimActsFor] = acc.ActsFor
	}
	return claims, nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil // GetPrivateClaimsFromRequest is used instead
}

// SetUserinfoFromScopes is deprecated by the op package (SetUserinfoFromRequest does the
// work) but still called first; the subject must be set, since the ID token takes it.
func (s *storage) SetUserinfoFromScopes(_ context.Context, ui *oidc.UserInfo, userID, _ string, _ []string) error {
	ui.Subject = userID
	return nil
}

// SetUserinfoFromRequest puts the profile into ID tokens when the profile scope was asked.
func (s *storage) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	ui.Subject = req.GetSubject() // the ID token takes its sub from here
	if !slices.Contains(scopes, oidc.ScopeProfile) {
		return nil
	}
	acc, err := s.dir.AccountByID(ctx, req.GetSubject())
	if err != nil {
		return err
	}
	ui.Name, ui.PreferredUsername = acc.DisplayName, acc.Username
	return nil
}

func (s *storage) userinfo(ctx context.Context, ui *oidc.UserInfo, jti, subject string) error {
	if s.revoked.Revoked(ctx, jti) {
		return authn.ErrTokenRevoked
	}
	ui.Subject = subject
	acc, err := s.dir.AccountByID(ctx, subject)
	if err == nil {
		if acc.Status != AccountActive {
			return errors.New("account not active")
		}
		ui.Name, ui.PreferredUsername = acc.DisplayName, acc.Username
		ui.AppendClaims(authn.ClaimTenant, string(acc.Tenant))
		ui.AppendClaims(authn.ClaimKind, string(acc.Kind))
		return nil
	}
	c, cerr := s.dir.Client(ctx, subject)
	if cerr != nil {
		return errors.Join(err, cerr)
	}
	ui.AppendClaims(authn.ClaimTenant, string(c.Tenant))
	ui.AppendClaims(authn.ClaimKind, string(authn.Service))
	return nil
}

func (s *storage) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, jti, subject, _ string) error {
	return s.userinfo(ctx, ui, jti, subject)
}

func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, jti, subject, _ string) error {
	ui := new(oidc.UserInfo)
	if err := s.userinfo(ctx, ui, jti, subject); err != nil {
		return err
	}
	resp.SetUserInfo(ui)
	resp.TokenType = oidc.BearerToken
	return nil
}

// JWT profile grants (a client signing its own assertion) are not offered.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("jwt profile not supported")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("jwt profile not supported")
}

func (s *storage) Health(ctx context.Context) error { return s.db.Ping(ctx) }

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.ClientCredentialsStorage       = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*storage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*storage)(nil)
)

// prune deletes what can no longer be used: expired auth requests, access token records
// past their expiry, refresh tokens past theirs (a rotated one is kept until then, so its
// reuse is still recognised), families left without tokens, and withdrawn keys.
func (s *storage) prune(ctx context.Context) error {
	now := s.now().UnixMicro()
	for _, q := range []string{
		`DELETE FROM oidc_auth_requests WHERE expires_at < $1`,
		`DELETE FROM oidc_device_authorizations WHERE expires_at < $1`,
		`DELETE FROM oidc_signin_steps WHERE expires_at < $1`,
		`DELETE FROM oidc_access_tokens WHERE expires_at < $1`,
		`DELETE FROM oidc_refresh_tokens WHERE expires_at < $1`,
		`DELETE FROM oidc_token_families WHERE created_at < $1
			AND NOT EXISTS (SELECT 1 FROM oidc_refresh_tokens t WHERE t.family_id = oidc_token_families.id)
			AND NOT EXISTS (SELECT 1 FROM oidc_access_tokens a WHERE a.family_id = oidc_token_families.id)`,
	} {
		if _, err := s.db.Exec(ctx, q, now); err != nil {
			return fmt.Errorf("oidc: prune: %w", err)
		}
	}
	return s.keys.prune(ctx)
}
