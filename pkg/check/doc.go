// Package check holds the checks of request fields that every service makes the same way,
// so a field that is wrong gets the same field violation, stable code and message in
// every service: today free text (required, at most so many characters).
package check
