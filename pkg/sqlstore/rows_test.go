package sqlstore

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

func TestQueryAll(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		ctx := ctxTimeout(t)
		db := open(t, dsn, notesV1)
		for _, id := range []string{"b", "a", "c"} {
			require.NoError(t, insertNote(ctx, db, id, "title "+id))
		}

		tests := []struct {
			name  string
			query string
			want  []string
		}{
			{"every row in order", `SELECT id FROM notes ORDER BY id`, []string{"a", "b", "c"}},
			{"no rows is nil, not an error", `SELECT id FROM notes WHERE id = 'z'`, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := QueryAll(ctx, db, ScanOne[string], tt.query)
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
			})
		}

		t.Run("inside a transaction it reads the transaction's rows", func(t *testing.T) {
			err := db.InTx(ctx, func(ctx context.Context) error {
				require.NoError(t, insertNote(ctx, db, "d", "title d"))
				got, err := QueryAll(ctx, db, ScanOne[string], `SELECT id FROM notes WHERE id > $1 ORDER BY id`, "b")
				require.NoError(t, err)
				require.Equal(t, []string{"c", "d"}, got)
				return errors.New("roll back")
			})
			require.Error(t, err)
		})

		t.Run("a scan error stops and is returned", func(t *testing.T) {
			boom := errors.New("boom")
			_, err := QueryAll(ctx, db, func(Scanner) (string, error) { return "", boom }, `SELECT id FROM notes`)
			require.ErrorIs(t, err, boom)
		})

		t.Run("a query error is returned", func(t *testing.T) {
			_, err := QueryAll(ctx, db, ScanOne[string], `SELECT id FROM no_such_table`)
			require.Error(t, err)
		})
	})
}
