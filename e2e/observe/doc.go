// Package observe holds the end-to-end tests of what the operations team sees: every
// service running in-process as the launcher runs them, exporting spans over OTLP to a
// real Jaeger and scraped by a real Prometheus that evaluates the chart's alerting
// rules. The tests read both back only through their query APIs, as the console does:
// one request is one trace across services with its SQL and object-store work, no span
// carries personal information, and a stopped MinIO shows up as error spans and a
// firing alert.
package observe
