// Package console holds the staff console's browser tests: `gaoxing up` on a fresh data
// directory, driven through headless Chromium (chromedp) the way clerks and hotline
// handlers use it — sign in, work a queue, act on records — with axe-core checking the
// main pages. Under CI=true a missing browser or unbuilt console fails; elsewhere it skips.
package console
