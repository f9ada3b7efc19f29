#!/bin/sh
# pg-dump.sh: a logical backup of every database of the zone. Each database is dumped
# from one snapshot (pg_dump's own transaction), in custom format, into a new set
# directory under BACKUP_DIR that is renamed into place once complete: a set whose name
# does not end in ".partial" is whole. Only the newest KEEP sets are kept.
# Environment: PGHOST, PGPORT, PGUSER, PGPASSWORD (libpq), DATABASES, BACKUP_DIR, KEEP.
set -eu
stamp=$(date -u +%Y%m%dT%H%M%SZ)-$$ # the process id keeps two sets of one second apart
partial="$BACKUP_DIR/$stamp.partial"
mkdir -p "$partial"
for db in $DATABASES; do
  pg_dump --format=custom --file="$partial/$db.dump" --dbname="$db"
  echo "dumped $db"
done
mv "$partial" "$BACKUP_DIR/$stamp"
echo "backup set $stamp complete"
n=0
# only names of whole sets: not a leftover .partial, the etcd snapshots' directory or the
# file system's lost+found.
# shellcheck disable=SC2010 # the pattern admits only digits, T, Z and -
for set in $(ls -1 "$BACKUP_DIR" | grep -E '^[0-9]{8}T[0-9]{6}Z-[0-9]+$' | sort -r); do
  n=$((n + 1))
  if [ "$n" -gt "${KEEP:-7}" ]; then
    rm -rf "${BACKUP_DIR:?}/$set"
    echo "removed backup set $set"
  fi
done
