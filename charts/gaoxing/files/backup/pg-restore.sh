#!/bin/sh
# pg-restore.sh SET_DIR: restores a backup set written by pg-dump.sh into the server the
# PG* variables name: each <db>.dump into a new database <db><SUFFIX> (it must not exist:
# a fresh server, or a suffix to restore beside the live databases and compare), in one
# transaction per database. The roles the dumps name (the migration user that owns the
# tables, the services' users) must exist first: run the chart's database Job.
# Environment: PGHOST, PGPORT, PGUSER, PGPASSWORD (a superuser), SUFFIX (default none).
set -eu
set_dir=${1:?usage: pg-restore.sh SET_DIR}
for dump in "$set_dir"/*.dump; do
  db=$(basename "$dump" .dump)${SUFFIX:-}
  createdb --template=template0 --encoding=UTF8 --locale=C "$db"
  pg_restore --exit-on-error --single-transaction --dbname="$db" "$dump"
  echo "restored $db"
done
