package redact

import (
	"log/slog"
	"strings"
)

// sensitiveKeys maps a normalised attribute key (lower snake case) to how its value is
// masked. A key also matches when it ends in "_" plus one of these (contact_phone,
// legal_person_id_card, client_secret, next_page_token: page tokens carry sort keys,
// which may be names).
var sensitiveKeys = map[string]Kind{
	"phone":     KindPhone,
	"mobile":    KindPhone,
	"telephone": KindPhone,
	"tel":       KindPhone,
	"cellphone": KindPhone,

	"id_card":   KindIDCard,
	"idcard":    KindIDCard,
	"id_number": KindIDCard,
	"idnumber":  KindIDCard,
	"id_no":     KindIDCard,

	"name_of_person": KindName,
	"person_name":    KindName,
	"real_name":      KindName,
	"full_name":      KindName,
	"contact_name":   KindName,
	"applicant_name": KindName,

	"email":         KindEmail,
	"e_mail":        KindEmail,
	"email_address": KindEmail,

	"address": KindAddress,

	"password":      KindSecret,
	"passwd":        KindSecret,
	"secret":        KindSecret,
	"token":         KindSecret,
	"authorization": KindSecret,
	"api_key":       KindSecret,
	"private_key":   KindSecret,
	"credential":    KindSecret,
	"credentials":   KindSecret,
	"cookie":        KindSecret,
}

// networkWords name keys whose "address" is a network address (server_address,
// remote_address), which operators need to read and which is not personal.
var networkWords = map[string]bool{
	"ip": true, "server": true, "client": true, "peer": true, "remote": true, "local": true,
	"listen": true, "bind": true, "net": true, "network": true, "host": true, "mac": true,
	"http": true, "grpc": true, "etcd": true, "minio": true, "advertise": true,
}

// KindOf says whether an attribute, field or header key names personal or secret
// information, and which. Keys are compared in lower snake case, so "idCard",
// "ID-Card" and "id_card" are the same key.
func KindOf(key string) Kind {
	k := normalise(key)
	if kind, ok := sensitiveKeys[k]; ok {
		return kind
	}
	// Longest suffix first, so "home_email_address" is an e-mail, not a postal address.
	for i := 0; i < len(k); i++ {
		if k[i] != '_' {
			continue
		}
		kind, ok := sensitiveKeys[k[i+1:]]
		if !ok {
			continue
		}
		if kind == KindAddress && networkWords[lastWord(k[:i])] {
			return KindNone
		}
		return kind
	}
	return KindNone
}

func lastWord(s string) string {
	return s[strings.LastIndexByte(s, '_')+1:]
}

// normalise turns camelCase, kebab-case and dotted keys into lower snake case. Keys that
// already are (most of ours) come back as they are, without allocating.
func normalise(key string) string {
	clean := true
	for i := 0; i < len(key) && clean; i++ {
		c := key[i]
		clean = !(c >= 'A' && c <= 'Z' || c == '-' || c == '.' || c == ' ')
	}
	if clean {
		return key
	}
	var b strings.Builder
	b.Grow(len(key) + 4)
	prevLowerOrDigit := false
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 'A' && c <= 'Z':
			if prevLowerOrDigit {
				b.WriteByte('_')
			}
			b.WriteByte(c + ('a' - 'A'))
			prevLowerOrDigit = false
		case c == '-' || c == '.' || c == ' ' || c == '_':
			b.WriteByte('_')
			prevLowerOrDigit = false
		default:
			b.WriteByte(c)
			prevLowerOrDigit = c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		}
	}
	return b.String()
}

// ByKey masks value as the key it is stored under asks: a phone under "phone", nothing
// under "matter_code". Use it for trace attributes and any other key/value output.
func ByKey(key, value string) string {
	return KindOf(key).Mask(value)
}

// ReplaceAttr is a slog.HandlerOptions.ReplaceAttr that keeps personal information out of
// log lines: attributes under a sensitive key (or inside a group with a sensitive name,
// such as an "address" group) are masked by the key's rule, whatever their type; other
// string and error values, and the message, go through Text so that mobile and ID
// numbers quoted in free text are masked too.
func ReplaceAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 {
		switch a.Key {
		case slog.TimeKey, slog.LevelKey, slog.SourceKey:
			return a
		case slog.MessageKey:
			a.Value = slog.StringValue(Text(a.Value.String()))
			return a
		}
	}
	kind := KindOf(a.Key)
	for i := len(groups) - 1; kind == KindNone && i >= 0; i-- {
		kind = KindOf(groups[i])
	}
	v := a.Value
	switch {
	case kind != KindNone:
		a.Value = slog.StringValue(kind.Mask(v.String()))
	case v.Kind() == slog.KindString:
		a.Value = slog.StringValue(Text(v.String()))
	case v.Kind() == slog.KindAny:
		if err, ok := v.Any().(error); ok {
			a.Value = slog.StringValue(Text(err.Error()))
		}
	}
	return a
}
