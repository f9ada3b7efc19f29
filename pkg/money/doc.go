// Package money reads and writes the platform's amounts exactly: the API carries yuan as
// a decimal string with at most two decimals ("1250000.50"), storage and every sum an
// int64 of fen (分). Binary floating point never touches an amount; exponents, signs,
// separators and a third decimal are refused rather than rounded. Each service says in
// its own error codes what a refusal means to its callers.
package money
