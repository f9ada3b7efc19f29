package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// The portable subset promised in doc.go, proved on both engines.
const portableV1 = `-- +goose Up
CREATE TABLE owners (
    id   TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE items (
    id         TEXT             NOT NULL PRIMARY KEY,
    owner_id   TEXT             NOT NULL REFERENCES owners (id),
    qty        BIGINT           NOT NULL CHECK (qty >= 0),
    price      DOUBLE PRECISION NOT NULL,
    active     BOOLEAN          NOT NULL DEFAULT TRUE,
    blob       BYTEA,
    created_us BIGINT           NOT NULL,
    name_lower TEXT             NOT NULL
);
CREATE INDEX IF NOT EXISTS items_owner ON items (owner_id, created_us);
CREATE UNIQUE INDEX IF NOT EXISTS items_one_active_name ON items (owner_id, name_lower) WHERE active = TRUE;

-- +goose Down
DROP TABLE items;
DROP TABLE owners;
`

func TestPortableSubset(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		ctx := ctxTimeout(t)
		db := open(t, dsn, portableV1)
		_, err := db.Exec(ctx, `INSERT INTO owners (id, name) VALUES ($1, $2)`, "o1", "街道")
		require.NoError(t, err)

		created := time.Date(2026, 11, 25, 9, 30, 0, 123456000, time.UTC)
		blob := []byte{0x00, 0xff, 0xfe, 'a', 0x00, 0x80} // NUL and invalid UTF-8 survive
		insert := `INSERT INTO items (id, owner_id, qty, price, active, blob, created_us, name_lower)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
		_, err = db.Exec(ctx, insert, "i1", "o1", int64(3), 12.5, true, blob, created.UnixMicro(), "desk")
		require.NoError(t, err)

		t.Run("types round-trip", func(t *testing.T) {
			var (
				qty     int64
				price   float64
				active  bool
				gotBlob []byte
				us      int64
			)
			require.NoError(t, db.QueryRow(ctx, `SELECT qty, price, active, blob, created_us FROM items WHERE id = $1`, "i1").
				Scan(&qty, &price, &active, &gotBlob, &us))
			require.EqualValues(t, 3, qty)
			require.InDelta(t, 12.5, price, 0)
			require.True(t, active)
			require.Equal(t, blob, gotBlob)
			require.True(t, created.Equal(time.UnixMicro(us).UTC()))
		})

		t.Run("placeholders repeat and come in any order", func(t *testing.T) {
			var n int
			require.NoError(t, db.QueryRow(ctx,
				`SELECT count(*) FROM items WHERE owner_id = $2 AND qty >= $1 AND qty <= $1 + 10 AND owner_id = $2`,
				int64(3), "o1").Scan(&n))
			require.Equal(t, 1, n)
		})

		t.Run("upsert with excluded and returning", func(t *testing.T) {
			var qty int64
			// A write that returns rows goes in a transaction: outside one, Query and
			// QueryRow use SQLite's read pool.
			require.NoError(t, db.InTx(ctx, func(ctx context.Context) error {
				return db.QueryRow(ctx, `INSERT INTO items (id, owner_id, qty, price, active, blob, created_us, name_lower)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (id) DO UPDATE SET qty = items.qty + excluded.qty RETURNING qty`,
					"i1", "o1", int64(4), 12.5, true, nil, created.UnixMicro(), "desk").Scan(&qty)
			}))
			require.EqualValues(t, 7, qty)
			res, err := db.Exec(ctx, insert+` ON CONFLICT (id) DO NOTHING`, "i1", "o1", int64(1), 1.0, true, nil, int64(0), "x")
			require.NoError(t, err)
			n, err := res.RowsAffected()
			require.NoError(t, err)
			require.Zero(t, n)
		})

		t.Run("partial unique index", func(t *testing.T) {
			// A second active "desk" violates it; an inactive one does not.
			_, err := db.Exec(ctx, insert, "i2", "o1", int64(1), 1.0, true, nil, int64(0), "desk")
			require.ErrorIs(t, err, ErrDuplicate)
			_, err = db.Exec(ctx, insert, "i3", "o1", int64(1), 1.0, false, nil, int64(0), "desk")
			require.NoError(t, err)
		})

		t.Run("foreign key and check are enforced", func(t *testing.T) {
			_, err := db.Exec(ctx, insert, "i4", "nobody", int64(1), 1.0, true, nil, int64(0), "chair")
			require.Error(t, err)
			_, err = db.Exec(ctx, insert, "i5", "o1", int64(-1), 1.0, true, nil, int64(0), "chair")
			require.Error(t, err)
		})

		t.Run("concatenation, boolean literals, limit and offset", func(t *testing.T) {
			rows, err := db.Query(ctx, `SELECT id || ':' || name_lower FROM items
WHERE active = FALSE OR active = TRUE ORDER BY id LIMIT $1 OFFSET $2`, 1, 1)
			require.NoError(t, err)
			defer rows.Close()
			var got []string
			for rows.Next() {
				var s string
				require.NoError(t, rows.Scan(&s))
				got = append(got, s)
			}
			require.NoError(t, rows.Err())
			require.Equal(t, []string{"i3:desk"}, got)
		})
	})
}
