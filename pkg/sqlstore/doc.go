// Package sqlstore is the SQL store every Gaoxing service keeps its data in: one DSN opens
// PostgreSQL ("postgres://…", through pgx) in production or SQLite ("sqlite:<path>",
// modernc.org/sqlite, pure Go) as the embedded default, runs the service's embedded
// migrations, and gives the service one transaction per call carried in the context, so
// middlewares (idempotency, audit, outbox) and the service's own store share it.
//
// On SQLite every write goes through exactly one writer connection and reads through a
// separate pool of read-only connections: several writer connections make SQLite's lock
// waits unfair (seconds of waiting, then SQLITE_BUSY), while one writer in WAL mode
// serialises commits fairly and lets readers run beside it. On PostgreSQL one pool does both.
// So inside InTx every statement uses the transaction; outside, Exec uses the writer and
// Query/QueryRow the readers. A write outside InTx must go through Exec (an INSERT …
// RETURNING goes inside InTx): on SQLite the read pool refuses writes. While an InTx runs,
// call the DB only with the context InTx passed in: on SQLite a call with another context
// waits for the one writer connection, which the transaction holds.
//
// An InTx inside another is a savepoint: its failure undoes its own work and leaves the
// outer transaction usable. InLazyTx gives a caller (the idempotency middleware) a
// transaction that opens only at the first InTx inside it, so that the service's checks
// and calls to other services before its writes hold no transaction. Make no network call
// inside a transaction: HasAnyTx lets such code refuse.
//
// # Portable SQL
//
// The same migration and query text runs on both engines when it keeps to this subset
// (what it allows is exercised on both engines by portable_test.go):
//
//   - Placeholders are $1, $2, … (modernc binds $N by position; a placeholder may repeat).
//   - Types: TEXT, BIGINT (also for timestamps: Unix microseconds UTC, made by the app),
//     BOOLEAN (SQLite stores 0/1; Go bool round-trips), BYTEA for bytes (SQLite gives the
//     column NUMERIC affinity, which stores a []byte as a BLOB unchanged), DOUBLE PRECISION.
//     No SERIAL or AUTOINCREMENT: the app makes ids (random, or NextSeq for readable numbers).
//     No TIMESTAMP columns: drivers disagree on their text form.
//   - Pass Go values of the column's type: PostgreSQL does not coerce '1' into a BIGINT,
//     and SQLite's affinity rules then differ from PostgreSQL's.
//   - INSERT … ON CONFLICT (cols) DO NOTHING / DO UPDATE SET x = excluded.x, RETURNING,
//     LIMIT/OFFSET, CREATE [UNIQUE] INDEX IF NOT EXISTS (partial indexes with WHERE too),
//     FOREIGN KEY (enforced on both), CHECK, TRUE/FALSE literals, || for concatenation.
//   - Not portable, so not used: ILIKE, ::casts, SELECT … FOR UPDATE (use a version column
//     and UPDATE … WHERE version = $n), now()/CURRENT_TIMESTAMP (the app passes times),
//     ALTER TABLE beyond ADD/DROP COLUMN and RENAME (SQLite cannot change a column's type
//     or constraints: create the new table, copy, rename), sequences and SERIAL.
//   - LIKE is case-insensitive for ASCII on SQLite and case-sensitive on PostgreSQL: store
//     a lower-cased copy for case-insensitive search. Text sorts by bytes on SQLite and by
//     the database collation on PostgreSQL (the test cluster uses C, like SQLite).
//   - After a failed statement a PostgreSQL transaction accepts no more statements; SQLite's
//     does. Return the error (InTx rolls back) instead of carrying on, or run the statement
//     in a nested InTx (a savepoint) to carry on after it; use ON CONFLICT for get-or-create.
//
// # Migrations
//
// Migrations are goose SQL files ("00001_notes.sql" with "-- +goose Up" / "-- +goose Down"),
// embedded by the service and passed to Open with their files at the root of the fs.FS
// (fs.Sub(embedded, "migrations")). Open applies them in order, each in a transaction; on
// PostgreSQL an advisory lock keeps replicas that start together from racing. The service's
// versions are kept in goose's default table; sqlstore's own tables (kit_sequences for
// NextSeq, kit_idempotency for package idempotency) have their own version table
// (kit_db_version), so the two histories never collide. Table names starting with kit_
// belong to sqlstore. Other shared packages keep their tables the same way with Migrate.
package sqlstore
