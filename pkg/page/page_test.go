package page_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

func TestSize(t *testing.T) {
	tests := []struct {
		name           string
		requested      int32
		def, max, want int
	}{
		{"zero takes the default", 0, 20, 100, 20},
		{"within bounds is kept", 35, 20, 100, 35},
		{"one is kept", 1, 20, 100, 1},
		{"equal to max is kept", 100, 20, 100, 100},
		{"over max is clamped", 101, 20, 100, 100},
		{"huge is clamped", 1 << 30, 20, 100, 100},
		{"default above max is capped", 0, 500, 100, 100},
		{"non-positive default becomes 1", 0, 0, 100, 1},
		{"non-positive max becomes 1", 5, 20, 0, 1},
		{"a max above MaxSize is capped", 1 << 30, 20, 1 << 30, page.MaxSize},
		{"the largest request is capped", 1<<31 - 1, 20, 500, 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := page.Size(tc.requested, tc.def, tc.max)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestSizeNegativeIsInvalid(t *testing.T) {
	for _, n := range []int32{-1, -100, -1 << 31} {
		_, err := page.Size(n, 20, 100)
		requireViolation(t, err, page.ErrInvalidSize, "page_size", "INVALID_PAGE_SIZE")
	}
}

func TestHash(t *testing.T) {
	// Pinned value: a token made by one process (or release) must be accepted by another.
	require.Equal(t, uint64(0xe3b0c44298fc1c14), page.Hash(), "empty input is the SHA-256 prefix of nothing")
	require.Equal(t, page.Hash("state = 'open'", "create_time desc"), page.Hash("state = 'open'", "create_time desc"))
	require.NotEqual(t, page.Hash("ab", "c"), page.Hash("a", "bc"), "parts are length-delimited")
	require.NotEqual(t, page.Hash("a", ""), page.Hash("a"), "an empty part still counts")
	require.NotEqual(t, page.Hash("state = 'open'"), page.Hash("state = 'closed'"))
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	q := page.Hash("tenant = ahz.s01", "create_time desc, id")
	for _, after := range []string{"", "T-20261125-000123", "2026-11-25T08:00:00Z|01J9Z", "张三丰/工单", strings.Repeat("k", 1000)} {
		tok := page.Encode(after, q)
		require.NotEmpty(t, tok)
		require.NotContains(t, tok, "=", "no padding")
		require.NotContains(t, tok, "+")
		require.NotContains(t, tok, "/")

		// The token is a marshalled commonv1.PageToken, as the contract says.
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		require.NoError(t, err)
		var pt commonv1.PageToken
		require.NoError(t, proto.Unmarshal(raw, &pt))
		require.Equal(t, after, pt.GetAfter())
		require.Equal(t, q, pt.GetQueryHash())

		got, err := page.Decode(tok, q)
		require.NoError(t, err)
		require.Equal(t, after, got)
	}
}

func TestDecodeEmptyIsFirstPage(t *testing.T) {
	after, err := page.Decode("", page.Hash("x"))
	require.NoError(t, err)
	require.Empty(t, after)
}

func TestDecodeRefuses(t *testing.T) {
	q := page.Hash("state = 'open'", "id")
	withUnknown := protowire.AppendTag(mustMarshal(t, &commonv1.PageToken{After: "a", QueryHash: q}), 9, protowire.VarintType)
	withUnknown = protowire.AppendVarint(withUnknown, 1)
	badUTF8 := protowire.AppendTag(nil, 1, protowire.BytesType)
	badUTF8 = protowire.AppendBytes(badUTF8, []byte{0xff, 0xfe})
	badUTF8 = protowire.AppendTag(badUTF8, 2, protowire.Fixed64Type)
	badUTF8 = protowire.AppendFixed64(badUTF8, q)

	reordered := protowire.AppendTag(nil, 2, protowire.Fixed64Type)
	reordered = protowire.AppendFixed64(reordered, q)
	reordered = protowire.AppendTag(reordered, 1, protowire.BytesType)
	reordered = protowire.AppendString(reordered, "a")

	tests := []struct{ name, token string }{
		{"another query", page.Encode("a", page.Hash("state = 'closed'", "id"))},
		{"not base64", "!!!not a token!!!"},
		{"padded base64", base64.URLEncoding.EncodeToString(mustMarshal(t, &commonv1.PageToken{After: "ab", QueryHash: q}))},
		{"fields reordered", base64.RawURLEncoding.EncodeToString(reordered)},
		{"standard base64 alphabet", "++//"},
		{"not a proto", base64.RawURLEncoding.EncodeToString([]byte{0xff, 0xff, 0xff})},
		{"truncated", page.Encode("abcdef", q)[:5]},
		{"unknown fields", base64.RawURLEncoding.EncodeToString(withUnknown)},
		{"invalid utf-8 position", base64.RawURLEncoding.EncodeToString(badUTF8)},
		{"no query hash", base64.RawURLEncoding.EncodeToString(mustMarshal(t, &commonv1.PageToken{After: "a"}))},
		{"far too long", strings.Repeat("A", 5000)},
		{"whitespace", " " + page.Encode("a", q)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			after, err := page.Decode(tc.token, q)
			require.Empty(t, after)
			requireViolation(t, err, page.ErrInvalidToken, "page_token", "INVALID_PAGE_TOKEN")
		})
	}
}

func TestDecodeErrorReachesTheWire(t *testing.T) {
	_, err := page.Decode("garbage!", page.Hash())
	p := errs.Proto(t.Context(), err)
	require.Equal(t, int32(400), p.GetHttpStatus())
	require.Equal(t, "INVALID_PAGE_TOKEN", p.GetCode())
	require.Len(t, p.GetFieldViolations(), 1)
	require.Equal(t, "page_token", p.GetFieldViolations()[0].GetField())
}

func FuzzDecode(f *testing.F) {
	q := page.Hash("f")
	f.Add(page.Encode("T-1", q))
	f.Add(page.Encode("", q))
	f.Add("")
	f.Add("AAAA")
	f.Add("____")
	f.Fuzz(func(t *testing.T, token string) {
		after, err := page.Decode(token, q)
		if err != nil {
			require.Empty(t, after)
			requireViolation(t, err, page.ErrInvalidToken, "page_token", "INVALID_PAGE_TOKEN")
			return
		}
		// Anything accepted must be a token we could have made for this query.
		if token != "" {
			require.Equal(t, page.Encode(after, q), token)
		}
	})
}

func requireViolation(t *testing.T, err, sentinel error, field, code string) {
	t.Helper()
	require.Error(t, err)
	require.True(t, errors.Is(err, sentinel), "errors.Is(%v, %v)", err, sentinel)
	require.True(t, errs.IsKind(err, errs.InvalidArgument))
	e := errs.From(err)
	require.Equal(t, code, e.Code)
	require.Equal(t, []errs.FieldViolation{{Field: field, Code: code, Description: e.Message}}, e.Violations)
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	require.NoError(t, err)
	return b
}
