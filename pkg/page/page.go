package page

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"

	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// Field names as they appear in every List request, used in field violations.
const (
	SizeField  = "page_size"
	TokenField = "page_token"
)

// MaxSize is the largest page any List method returns, whatever maximum it asks Size
// for: one call's work stays bounded even if a service's own cap is misconfigured.
const MaxSize = 1000

// maxTokenLen bounds what Decode will look at. Real tokens are a sort key plus a few
// bytes of framing; anything far longer is not ours and is refused before decoding.
const maxTokenLen = 4096

// Sentinels for errors.Is. The returned errors carry a field violation as well.
var (
	ErrInvalidSize  = errs.New(errs.InvalidArgument, "INVALID_PAGE_SIZE", "每页条数不能为负数")
	ErrInvalidToken = errs.New(errs.InvalidArgument, "INVALID_PAGE_TOKEN", "分页令牌无效或与当前查询条件不符，请从第一页重新查询")
)

// Size is the page size to use for a request that asked for requested items: 0 means
// def, more than maximum is clamped to maximum, negative is INVALID_PAGE_SIZE on field
// page_size. A misconfigured def or maximum below 1 is raised to 1, and def is capped at
// maximum, and maximum at MaxSize, so a service never asks its store for an empty or
// unbounded page.
func Size(requested int32, def, maximum int) (int, error) {
	maximum = min(max(maximum, 1), MaxSize)
	def = min(max(def, 1), maximum)
	switch {
	case requested < 0:
		return 0, ErrInvalidSize.WithField(SizeField, ErrInvalidSize.Code, ErrInvalidSize.Message)
	case requested == 0:
		return def, nil
	default:
		return min(int(requested), maximum), nil
	}
}

// Hash fingerprints a query's filter and order (and anything else that must not change
// between pages). It is stable across processes and releases: SHA-256 over the parts,
// each prefixed with its length so ("ab","c") and ("a","bc") differ.
func Hash(parts ...string) uint64 {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return binary.BigEndian.Uint64(h.Sum(nil))
}

var marshal = proto.MarshalOptions{Deterministic: true}

// Encode makes the next_page_token for a page whose last item has sort key after, in the
// query fingerprinted by queryHash: a commonv1.PageToken, marshalled, in unpadded
// base64url. after must be valid UTF-8 (Encode panics otherwise).
func Encode(after string, queryHash uint64) string {
	b, err := marshal.Marshal(&commonv1.PageToken{After: after, QueryHash: queryHash})
	if err != nil {
		// Only invalid UTF-8 in after can fail (proto3 strings must be UTF-8). Sort keys
		// come from the service's own rows, so this is a bug in the caller, not bad input;
		// failing loudly beats a token that silently resumes at the wrong place.
		panic("page: encode token: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode returns the position a page_token resumes after. An empty token is the first
// page (""). A token that is not one of ours, or that was made for another query, is
// INVALID_PAGE_TOKEN on field page_token.
func Decode(token string, queryHash uint64) (after string, err error) {
	if token == "" {
		return "", nil
	}
	if len(token) > maxTokenLen {
		return "", invalidToken(errors.New("token too long"))
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", invalidToken(err)
	}
	var pt commonv1.PageToken
	if err := proto.Unmarshal(b, &pt); err != nil {
		return "", invalidToken(err)
	}
	if pt.GetQueryHash() != queryHash {
		return "", invalidToken(errors.New("token belongs to another query"))
	}
	// Accept only the exact bytes Encode makes: one spelling per position, so a token
	// with extra fields or reordered or re-padded bytes is not ours.
	if Encode(pt.GetAfter(), queryHash) != token {
		return "", invalidToken(errors.New("token is not in canonical form"))
	}
	return pt.GetAfter(), nil
}

func invalidToken(cause error) error {
	return ErrInvalidToken.WithField(TokenField, ErrInvalidToken.Code, ErrInvalidToken.Message).Wrap(cause)
}
