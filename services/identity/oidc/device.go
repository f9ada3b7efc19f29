package oidc

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
)

// The device authorization grant (RFC 8628) for the command line: the op package answers
// /device_authorization and the device_code grant at the token endpoint; this file keeps
// the authorizations, and the verification page (login.go) is where a person enters the
// user code, signs in and approves.

// Device flow defaults.
const (
	DefaultDeviceLifetime     = 10 * time.Minute
	DefaultDevicePollInterval = 5 * time.Second
)

// The states of a device authorization.
const (
	devicePending  = "pending"
	deviceApproved = "approved"
	deviceIssued   = "issued" // its one token response was given
	deviceDenied   = "denied"
)

var (
	errDeviceUnknown = errors.New("device authorization unknown, used or expired")
	errStepUnknown   = errors.New("sign-in step unknown, used or expired")
)

// StoreDeviceAuthorization keeps a new device authorization. Scopes the client may not be
// granted are left out (RFC 6749 §3.3 lets the server narrow them); none asked means all
// of the client's.
func (s *storage) StoreDeviceAuthorization(ctx context.Context, clientID, deviceCode, userCode string, expires time.Time, scopes []string) error {
	c, err := s.dir.Client(ctx, clientID)
	if err != nil {
		return err
	}
	if c.Disabled || !c.Device {
		return errClientDisabled
	}
	var granted []string
	for _, sc := range scopes {
		if slices.Contains(c.Scopes, sc) && !slices.Contains(granted, sc) {
			granted = append(granted, sc)
		}
	}
	if len(scopes) == 0 {
		granted = c.Scopes
	}
	now := s.now()
	return s.db.InTx(ctx, func(ctx context.Context) error {
		// Expired codes go first: user codes are short, so the fewer live the better.
		if _, err := s.db.Exec(ctx, `DELETE FROM oidc_device_authorizations WHERE expires_at < $1`, now.UnixMicro()); err != nil {
			return err
		}
		_, err := s.db.Exec(ctx, `INSERT INTO oidc_device_authorizations (device_hash, user_code, client_id, scopes, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, hashSecret(deviceCode), userCode, clientID, strings.Join(granted, " "),
			now.UnixMicro(), expires.UnixMicro())
		if errors.Is(err, sqlstore.ErrDuplicate) {
			return op.ErrDuplicateUserCode
		}
		return err
	})
}

// GetDeviceAuthorizatonState answers the command line's polls. An approval gives one token
// response: the poll that sees it approved marks it issued, and later polls are refused.
func (s *storage) GetDeviceAuthorizatonState(ctx context.Context, clientID, deviceCode string) (*op.DeviceAuthorizationState, error) {
	var (
		scopes, state, subject string
		authTime, expires      int64
	)
	hash := hashSecret(deviceCode)
	err := s.db.QueryRow(ctx, `SELECT scopes, state, subject, auth_time, expires_at FROM oidc_device_authorizations
		WHERE device_hash = $1 AND client_id = $2`, hash, clientID).Scan(&scopes, &state, &subject, &authTime, &expires)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, errDeviceUnknown
	}
	if err != nil {
		return nil, err
	}
	st := &op.DeviceAuthorizationState{ClientID: clientID, Audience: []string{Audience}, Scopes: strings.Fields(scopes),
		Expires: time.UnixMicro(expires)}
	switch state {
	case devicePending:
		return st, nil
	case deviceDenied:
		st.Denied = true
		return st, nil
	case deviceApproved:
	default:
		return nil, errDeviceUnknown
	}
	res, err := s.db.Exec(ctx, `UPDATE oidc_device_authorizations SET state = $2 WHERE device_hash = $1 AND state = $3`,
		hash, deviceIssued, deviceApproved)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, errDeviceUnknown // a concurrent poll took it
	}
	acc, err := s.dir.AccountByID(ctx, subject)
	if err != nil || acc.Status != AccountActive || time.UnixMicro(authTime).Before(acc.SessionsAfter) {
		return nil, errors.Join(errors.New("account not active or its sessions ended"), err)
	}
	st.Done, st.Subject, st.AuthTime, st.AMR = true, subject, time.UnixMicro(authTime), []string{"pwd"}
	return st, nil
}

// deviceRequest is a device authorization waiting on the verification page.
type deviceRequest struct {
	UserCode string
	ClientID string
	Scopes   []string
}

// pendingDevice returns the device authorization of a user code while it waits.
func (s *storage) pendingDevice(ctx context.Context, userCode string) (deviceRequest, error) {
	d := deviceRequest{UserCode: userCode}
	var scopes string
	err := s.db.QueryRow(ctx, `SELECT client_id, scopes FROM oidc_device_authorizations WHERE user_code = $1 AND state = $2 AND expires_at > $3`,
		userCode, devicePending, s.now().UnixMicro()).Scan(&d.ClientID, &scopes)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return d, errDeviceUnknown
	}
	d.Scopes = strings.Fields(scopes)
	return d, err
}

// decideDevice records the person's answer for a waiting device authorization, once.
func (s *storage) decideDevice(ctx context.Context, userCode string, acc Account, approve bool) error {
	now := s.now()
	state, action := deviceDenied, "identity.DenyDevice"
	if approve {
		state, action = deviceApproved, "identity.SignIn"
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		var client string
		err := s.db.QueryRow(ctx, `UPDATE oidc_device_authorizations SET state = $2, subject = $3, auth_time = $4
			WHERE user_code = $1 AND state = $5 AND expires_at > $4 RETURNING client_id`,
			userCode, state, acc.ID, now.UnixMicro(), devicePending).Scan(&client)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return errDeviceUnknown
		}
		if err != nil {
			return err
		}
		_, err = s.audit.Record(ctx, audit.Entry{Tenant: acc.Tenant, Actor: acc.ID, Action: action,
			Resource: userResource(acc.Tenant, acc.ID), After: map[string]string{"device": userCode, "client": client}, Time: now})
		return err
	})
}

// deviceAccount is the account a device token is issued to, as it is now.
func (s *storage) deviceAccount(ctx context.Context, st *op.DeviceAuthorizationState) (Account, error) {
	acc, err := s.dir.AccountByID(ctx, st.Subject)
	if err != nil {
		return Account{}, err
	}
	if acc.Status != AccountActive {
		return Account{}, oidc.ErrAccessDenied().WithDescription("account not active")
	}
	return acc, nil
}

// ---- sign-in steps ----

// The kinds of sign-in step, and the flows they continue.
const (
	stepPassword = "password" // choose a new password
	stepApprove  = "approve"  // approve a device
	flowAuth     = "auth"     // an authorization request, by its id
	flowDevice   = "device"   // a device authorization, by its user code
)

// signinStep is what a step token stands for.
type signinStep struct {
	Subject string
	Flow    string
	FlowID  string
}

// newStep makes the token of a step the person who just proved their password takes next.
func (s *storage) newStep(ctx context.Context, kind string, step signinStep) (string, error) {
	token := randomID(32)
	now := s.now()
	return token, s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, `DELETE FROM oidc_signin_steps WHERE expires_at < $1`, now.UnixMicro()); err != nil {
			return err
		}
		_, err := s.db.Exec(ctx, `INSERT INTO oidc_signin_steps (token_hash, kind, subject, flow, flow_id, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, hashSecret(token), kind, step.Subject, step.Flow, step.FlowID,
			now.Add(s.cfg.AuthRequestTTL).UnixMicro())
		return err
	})
}

// step reads a step without using it (a rejected new password is asked for again).
func (s *storage) step(ctx context.Context, token, kind string) (signinStep, error) {
	var st signinStep
	err := s.db.QueryRow(ctx, `SELECT subject, flow, flow_id FROM oidc_signin_steps WHERE token_hash = $1 AND kind = $2 AND expires_at > $3`,
		hashSecret(token), kind, s.now().UnixMicro()).Scan(&st.Subject, &st.Flow, &st.FlowID)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return st, errStepUnknown
	}
	return st, err
}

// takeStep uses a step: it works once.
func (s *storage) takeStep(ctx context.Context, token, kind string) (signinStep, error) {
	var st signinStep
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		return s.db.QueryRow(ctx, `DELETE FROM oidc_signin_steps WHERE token_hash = $1 AND kind = $2 AND expires_at > $3
			RETURNING subject, flow, flow_id`, hashSecret(token), kind, s.now().UnixMicro()).Scan(&st.Subject, &st.Flow, &st.FlowID)
	})
	if errors.Is(err, sqlstore.ErrNotFound) {
		return st, errStepUnknown
	}
	return st, err
}

var _ op.DeviceAuthorizationStorage = (*storage)(nil)
