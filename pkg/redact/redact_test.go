package redact_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/redact"
)

// Valid GB 11643 numbers (check digits computed), none of them a real person's.
const (
	idWithX = "11010519491231002X"
	idPlain = "330106199003071236"
)

func TestMaskers(t *testing.T) {
	tests := []struct {
		name string
		mask func(string) string
		in   string
		want string
	}{
		{"phone mobile", redact.Phone, "13812345678", "138****5678"},
		{"phone with country code", redact.Phone, "+8613812345678", "+86*******5678"},
		{"phone landline", redact.Phone, "0571-88886666", "057******6666"},
		{"phone 8 digits", redact.Phone, "88886666", "8******6"},
		{"phone 6 digits", redact.Phone, "123456", "1****6"},
		{"phone 5 digits", redact.Phone, "12345", "*****"},
		{"phone 1 digit", redact.Phone, "1", "*"},
		{"phone empty", redact.Phone, "", ""},

		{"id 18 with X", redact.IDCard, idWithX, "110***********002X"},
		{"id 18", redact.IDCard, idPlain, "330***********1236"},
		{"id 15 (old card)", redact.IDCard, "110105491231002", "110********1002"},
		{"id short", redact.IDCard, "1101", "****"},
		{"id 10", redact.IDCard, "1101051949", "1********9"},
		{"id empty", redact.IDCard, "", ""},

		{"name three", redact.Name, "张三丰", "张**"},
		{"name two", redact.Name, "张三", "张*"},
		{"name compound surname", redact.Name, "欧阳娜娜", "欧***"},
		{"name one", redact.Name, "张", "*"},
		{"name latin", redact.Name, "Li Lei", "L*****"},
		{"name empty", redact.Name, "", ""},
		{"name invalid utf-8", redact.Name, "\xff\xfe", "\uFFFD*"},

		{"email", redact.Email, "zhangsan@example.com", "z***@example.com"},
		{"email one-letter mailbox", redact.Email, "z@example.com", "***@example.com"},
		{"email chinese mailbox", redact.Email, "张三@例子.中国", "张***@例子.中国"},
		{"email two at signs", redact.Email, "a@b@example.com", "a***@example.com"},
		{"email without at", redact.Email, "zhangsan", "z***"},
		{"email empty", redact.Email, "", ""},

		{"address long", redact.Address, "浙江省杭州市西湖区文三路100号", "浙江省杭州市****"},
		{"address short", redact.Address, "文三路100号", "文三路****"},
		{"address two", redact.Address, "北京", "北****"},
		{"address one", redact.Address, "京", "****"},
		{"address empty", redact.Address, "", ""},

		{"secret", redact.Secret, "hunter2", redact.Redacted},
		{"secret one", redact.Secret, "x", redact.Redacted},
		{"secret empty", redact.Secret, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.mask(tc.in))
		})
	}
}

func TestKindMask(t *testing.T) {
	require.Equal(t, "138****5678", redact.KindPhone.Mask("13812345678"))
	require.Equal(t, "110***********002X", redact.KindIDCard.Mask(idWithX))
	require.Equal(t, "张**", redact.KindName.Mask("张三丰"))
	require.Equal(t, "z***@example.com", redact.KindEmail.Mask("zhangsan@example.com"))
	require.Equal(t, "北****", redact.KindAddress.Mask("北京"))
	require.Equal(t, redact.Redacted, redact.KindSecret.Mask("s3cr3t"))
	require.Equal(t, "91330100MA2XXXXXXX", redact.KindNone.Mask("91330100MA2XXXXXXX"))
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		key  string
		want redact.Kind
	}{
		{"phone", redact.KindPhone},
		{"mobile", redact.KindPhone},
		{"contact_phone", redact.KindPhone},
		{"contactPhone", redact.KindPhone},
		{"Contact-Mobile", redact.KindPhone},
		{"id_card", redact.KindIDCard},
		{"idCard", redact.KindIDCard},
		{"IDCard", redact.KindIDCard},
		{"id_number", redact.KindIDCard},
		{"legal_person_id_card", redact.KindIDCard},
		{"name_of_person", redact.KindName},
		{"applicant.real_name", redact.KindName},
		{"email", redact.KindEmail},
		{"home_email_address", redact.KindEmail},
		{"address", redact.KindAddress},
		{"mailing_address", redact.KindAddress},
		{"password", redact.KindSecret},
		{"client_secret", redact.KindSecret},
		{"access_token", redact.KindSecret},
		{"next_page_token", redact.KindSecret},
		{"Authorization", redact.KindSecret},

		// Not personal: operators need these, and credit codes identify enterprises.
		{"credit_code", redact.KindNone},
		{"unified_social_credit_code", redact.KindNone},
		{"name", redact.KindNone},
		{"matter_name", redact.KindNone},
		{"tenant", redact.KindNone},
		{"server_address", redact.KindNone},
		{"server.address", redact.KindNone},
		{"remote_ip_address", redact.KindNone},
		{"phone_verified", redact.KindNone},
		{"token_count", redact.KindNone},
		{"telemetry", redact.KindNone},
		{"", redact.KindNone},
		{"_", redact.KindNone},
		{"phone_", redact.KindNone},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			require.Equal(t, tc.want, redact.KindOf(tc.key))
		})
	}
}

func TestByKey(t *testing.T) {
	require.Equal(t, "138****5678", redact.ByKey("applicant_phone", "13812345678"))
	require.Equal(t, "91330100MA2CXXXX8E", redact.ByKey("credit_code", "91330100MA2CXXXX8E"))
	require.Equal(t, "ahz.s01", redact.ByKey("tenant", "ahz.s01"))
}

func TestText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"nothing to mask", "call failed: NOT_FOUND", "call failed: NOT_FOUND"},
		{"empty", "", ""},
		{"mobile in chinese text", "联系电话13812345678请回电", "联系电话138****5678请回电"},
		{"mobile with 86", "tel:+8613812345678.", "tel:+86138****5678."},
		{"two mobiles", "13812345678,15900001111", "138****5678,159****1111"},
		{"id with X", "身份证" + idWithX + "核验失败", "身份证110***********002X核验失败"},
		{"id with lower x", "id=11010519491231002x", "id=110***********002x"},
		{"id at the end", "applicant " + idPlain, "applicant 330***********1236"},
		{"id with bad check digit", "330106199003071237", "330106199003071237"},
		{"id with impossible date", "330106199013071236", "330106199013071236"},
		{"12 digits are not a mobile", "138123456789", "138123456789"},
		{"10 digits are not a mobile", "1381234567", "1381234567"},
		{"11 digits not starting 1[3-9]", "12812345678", "12812345678"},
		{"unix millis", "took 1732500000000", "took 1732500000000"},
		{"inside a hex trace id", "4bf92f35a13812345678b34da6a3ce92", "4bf92f35a13812345678b34da6a3ce92"},
		{"inside a credit code", "91330100MA13812345678", "91330100MA13812345678"},
		{"case number", "T-20261125-000123", "T-20261125-000123"},
		{"invalid utf-8 around", "\xff13812345678\xfe", "\xff138****5678\xfe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, redact.Text(tc.in))
		})
	}
}

func TestTextDoesNotAllocateOnCleanText(t *testing.T) {
	s := "call failed: tenant ahz.s01.c07 method CreateTicket took 1.2ms trace 4bf92f3577b34da6a3ce929d0e0e4736"
	allocs := testing.AllocsPerRun(100, func() { _ = redact.Text(s) })
	require.Zero(t, allocs)
}

// maskers are the shape-preserving masks, with the fewest characters each must hide in
// an input of n characters.
var maskers = map[string]struct {
	mask      func(string) string
	minHidden func(n int) int
}{
	"Phone":  {redact.Phone, func(n int) int { return min(n, 4) }},
	"IDCard": {redact.IDCard, func(n int) int { return min(n, 4) }},
	"Name":   {redact.Name, func(n int) int { return max(n-1, min(n, 1)) }},
}

func FuzzMaskers(f *testing.F) {
	for _, s := range []string{"", "1", "张", "13812345678", idWithX, "张三丰", "zhangsan@example.com", "浙江省杭州市西湖区", "\xff", "****", "a@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n := utf8.RuneCountInString(in)
		for name, m := range maskers {
			out := m.mask(in)
			require.Equal(t, n, utf8.RuneCountInString(out), "%s keeps the length", name)
			require.GreaterOrEqual(t, strings.Count(out, "*"), m.minHidden(n), "%s hides enough of %q: %q", name, in, out)
		}
		if n > 0 {
			addr := redact.Address(in)
			require.True(t, strings.HasSuffix(addr, "****"))
			require.LessOrEqual(t, utf8.RuneCountInString(addr)-4, n/2, "Address shows at most half")
			require.Equal(t, redact.Redacted, redact.Secret(in))
			require.Contains(t, redact.Email(in), "***")
		}
		// Text only ever turns digits into '*', never changes length, and is idempotent.
		out := redact.Text(in)
		require.Len(t, out, len(in))
		for i := 0; i < len(in); i++ {
			if in[i] != out[i] {
				require.True(t, in[i] >= '0' && in[i] <= '9' && out[i] == '*', "Text changed %q at %d", in, i)
			}
		}
		require.Equal(t, out, redact.Text(out))
	})
}
