// Package redact masks personal information (个人信息) before it leaves a service: in
// API responses, log lines and trace attributes. It knows the shapes Gaoxing handles —
// mobile and landline numbers, resident ID card numbers (居民身份证号码, GB 11643), names
// of natural persons, e-mail and postal addresses — and credentials, which are never
// shown at all. Masking keeps just enough for a clerk to confirm a value with the person
// in front of them ("the number ending 5678") and never the whole value, whatever the
// input: short, empty, malformed or not UTF-8. Unified social credit codes (统一社会信用代码,
// GB 32100) identify enterprises, are public in the enterprise registry and are not
// masked. For logs, String carries a value that only ever prints masked, ReplaceAttr
// masks attributes by key and Text masks mobile and ID numbers inside free text.
package redact
