#!/bin/sh
# etcd-snapshot.sh: a snapshot of the zone's etcd (the tenant tree, the Casbin policy, the
# configuration, the calendar, token revocations) as a new set directory under BACKUP_DIR
# holding snapshot.db, renamed into place only once the snapshot is whole and etcdutl has
# read it: a set whose name does not end in ".partial" is whole. Only the newest KEEP sets
# are kept.
#
# With etcdctl and etcdutl on PATH it takes the snapshot itself, from the first member of
# ETCDCTL_ENDPOINTS that gives one (etcd streams a snapshot from one member). The etcd
# image has both tools but no shell (it is distroless), so the chart's CronJob runs the
# two commands below in init containers of that image, into the file TAKEN on the backup
# volume, and this script in the PostgreSQL image's shell to file and rotate the set.
# Environment: ETCDCTL_ENDPOINTS (comma-separated), ETCDCTL_CACERT, ETCDCTL_CERT,
# ETCDCTL_KEY, ETCDCTL_USER with ETCD_PASSWORD_FILE (etcdctl reads its other ETCDCTL_*
# variables itself), BACKUP_DIR, KEEP; TAKEN: a snapshot already saved and checked.
set -eu
# shellcheck source-path=SCRIPTDIR source=sets.sh
. "$(dirname "$0")/sets.sh"
new_set
if [ -n "${TAKEN:-}" ]; then
  mv "$TAKEN" "$partial/snapshot.db"
else
  if [ -n "${ETCD_PASSWORD_FILE:-}" ]; then
    ETCDCTL_PASSWORD=$(cat "$ETCD_PASSWORD_FILE")
    export ETCDCTL_PASSWORD
  fi
  endpoints=$(echo "${ETCDCTL_ENDPOINTS:?}" | tr ',' ' ')
  unset ETCDCTL_ENDPOINTS # one member per save, from the flag
  saved=
  for endpoint in $endpoints; do
    if etcdctl --endpoints="$endpoint" snapshot save "$partial/snapshot.db"; then
      saved=$endpoint
      break
    fi
    echo "no snapshot from $endpoint" >&2
  done
  if [ -z "$saved" ]; then
    echo "no member gave a snapshot" >&2
    exit 1
  fi
  etcdutl snapshot status "$partial/snapshot.db" --write-out=table
fi
complete_set "etcd snapshot set"
