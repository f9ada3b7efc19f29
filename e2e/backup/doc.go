// Package backup tests the chart's PostgreSQL backup and restore scripts
// (charts/gaoxing/files/backup) against a real server: a backup taken while services
// write restores into fresh databases with every record committed before it and every
// audit chain verifying.
package backup
