package redact

import "log/slog"

// String is a personal value that prints masked everywhere it is likely to leak: in
// slog (LogValuer), fmt (%v, %s, %q, %#v), encoding/json and other text encodings. Keep
// PII in a String from the moment it is read, and call Unmasked only where the real
// value is needed (storing it encrypted, comparing it, sending the SMS).
type String struct {
	kind  Kind
	value string
}

// New wraps s as personal information of kind k.
func New(k Kind, s string) String { return String{kind: k, value: s} }

// Kind is the kind the value was wrapped as.
func (s String) Kind() Kind { return s.kind }

// Unmasked is the real value.
func (s String) Unmasked() string { return s.value }

// String is the masked value.
func (s String) String() string { return s.kind.Mask(s.value) }

// GoString keeps %#v masked too.
func (s String) GoString() string { return `redact.String("` + s.String() + `")` }

// LogValue makes slog log the masked value.
func (s String) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText makes encoding/json (and other text encodings) write the masked value.
func (s String) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
