package console

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// panels.json is the one list of the ops pages' charts: each names the chart's Grafana
// dashboard panel whose PromQL it carries, verbatim, so that the console and the
// dashboards show the same numbers (the chart's tests compare them).
//
//go:embed panels.json
var panelsJSON []byte

// Panel is one chart of the ops pages.
type Panel struct {
	ID    string `json:"id"`
	Page  string `json:"page"` // red, sla, platform
	Title string `json:"title"`
	Unit  string `json:"unit"` // Grafana's unit names: reqps, percentunit, s, short
	// Kind is "series" (a range query over the chosen window) or "gauge" (the values now).
	Kind string `json:"kind"`
	// Traces is the label whose value finds example traces (service, method, tenant);
	// "" when the panel's series are not calls.
	Traces         string  `json:"traces"`
	Dashboard      string  `json:"dashboard"`
	DashboardPanel string  `json:"dashboardPanel"`
	Queries        []Query `json:"queries"`
}

// Query is one PromQL expression with Grafana's variables ($service, $method, $tenant)
// and its legend ({{label}}).
type Query struct {
	Expr   string `json:"expr"`
	Legend string `json:"legend"`
}

// Panels are the ops pages' charts.
func Panels() []Panel {
	var ps []Panel
	if err := json.Unmarshal(panelsJSON, &ps); err != nil {
		panic(fmt.Sprintf("console: panels.json: %v", err)) // embedded: a test reads it
	}
	return ps
}

// variables are the values a panel's query may be narrowed by: exact values, quoted
// into the regular expression each dashboard matches with (=~), or every value.
var variables = []string{"service", "method", "tenant"}

// labelValue is what a label value narrowing a query may look like: service and method
// names, tenant ids. Anything else (quotes, braces, regular expressions) is refused, so a
// caller cannot change a query, only narrow it.
var labelValue = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,100}$`)

// expand fills a query's variables: a value given matches exactly, none matches all.
func expand(expr string, values map[string]string) string {
	for _, v := range variables {
		re := ".*"
		if s := values[v]; s != "" {
			// Inside a PromQL string literal a backslash is itself escaped.
			re = strings.ReplaceAll(regexp.QuoteMeta(s), `\`, `\\`)
		}
		expr = strings.ReplaceAll(expr, "$"+v, re)
	}
	return expr
}
