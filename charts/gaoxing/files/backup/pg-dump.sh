#!/bin/sh
# pg-dump.sh: a logical backup of every database of the zone. Each database is dumped
# from one snapshot (pg_dump's own transaction), in custom format, into a new set
# directory under BACKUP_DIR that is renamed into place once complete: a set whose name
# does not end in ".partial" is whole. Only the newest KEEP sets are kept.
# Environment: PGHOST, PGPORT, PGUSER, PGPASSWORD (libpq), DATABASES, BACKUP_DIR, KEEP.
set -eu
# shellcheck source-path=SCRIPTDIR source=sets.sh
. "$(dirname "$0")/sets.sh"
new_set
for db in $DATABASES; do
  pg_dump --format=custom --file="$partial/$db.dump" --dbname="$db"
  echo "dumped $db"
done
complete_set "backup set"
