package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

const benchTable = `-- +goose Up
CREATE TABLE bench (id BIGINT NOT NULL PRIMARY KEY, tenant TEXT NOT NULL, payload TEXT NOT NULL);
`

const benchInsert = `INSERT INTO bench (id, tenant, payload) VALUES ($1, $2, $3)`

// BenchmarkInsert compares one single-row INSERT committed through sqlstore (InTx + Exec)
// with the same INSERT through database/sql on the very same pool: "rawtx" is
// BeginTx/Exec/Commit, "autocommit" a bare Exec (no BEGIN/COMMIT round trips). Every
// insert commits (fsync on PostgreSQL, WAL with synchronous=NORMAL on SQLite).
//
// Each iteration runs the three one after another and times each, so a machine whose load
// drifts during the run (other jobs, disk flushes) weighs on all three alike; ns/op is the
// sqlstore insert, and sqlstore/rawtx is the ratio of the summed times.
//
//	go test ./pkg/sqlstore -run '^$' -bench Insert -benchtime 3s -count 5
func BenchmarkInsert(b *testing.B) {
	engines := []struct {
		name string
		dsn  func(testing.TB) string
	}{{"sqlite", testenv.SQLite}, {"postgres", testenv.Postgres}}
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			ctx := context.Background()
			db := open(b, e.dsn(b), benchTable)
			var (
				id                          int64
				viaStore, viaTx, viaAutocmt time.Duration
			)
			for b.Loop() {
				id++
				start := time.Now()
				err := db.InTx(ctx, func(ctx context.Context) error {
					_, err := db.Exec(ctx, benchInsert, id, "ahz.s01.c07", "受理")
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				viaStore += time.Since(start)

				id++
				start = time.Now()
				tx, err := db.writer.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tx.ExecContext(ctx, benchInsert, id, "ahz.s01.c07", "受理"); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
				viaTx += time.Since(start)

				id++
				start = time.Now()
				if _, err := db.writer.ExecContext(ctx, benchInsert, id, "ahz.s01.c07", "受理"); err != nil {
					b.Fatal(err)
				}
				viaAutocmt += time.Since(start)
			}
			n := float64(b.N)
			b.ReportMetric(float64(viaStore.Nanoseconds())/n, "ns/op")
			b.ReportMetric(float64(viaTx.Nanoseconds())/n, "rawtx-ns/op")
			b.ReportMetric(float64(viaAutocmt.Nanoseconds())/n, "autocommit-ns/op")
			b.ReportMetric(float64(viaStore)/float64(viaTx), "sqlstore/rawtx")
			b.ReportMetric(float64(viaStore)/float64(viaAutocmt), "sqlstore/autocommit")
		})
	}
}
