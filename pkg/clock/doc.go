// Package clock gives code that reads the time one shape to take it in (a func() time.Time,
// usually a service's Now option) and tests one clock to hand it: Fake, a time that only
// moves when the test says so, safe to read from the service's goroutines.
package clock
