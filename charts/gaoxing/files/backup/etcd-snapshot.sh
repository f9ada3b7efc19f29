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
stamp=$(date -u +%Y%m%dT%H%M%SZ)-$$ # the process id keeps two sets of one second apart
partial="$BACKUP_DIR/$stamp.partial"
mkdir -p "$partial"
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
mv "$partial" "$BACKUP_DIR/$stamp"
echo "etcd snapshot set $stamp complete"
n=0
# only names of whole sets: a leftover .partial or the volume's other files are no set.
# shellcheck disable=SC2010 # the pattern admits only digits, T, Z and -
for set in $(ls -1 "$BACKUP_DIR" | grep -E '^[0-9]{8}T[0-9]{6}Z-[0-9]+$' | sort -r); do
  n=$((n + 1))
  if [ "$n" -gt "${KEEP:-7}" ]; then
    rm -rf "${BACKUP_DIR:?}/$set"
    echo "removed etcd snapshot set $set"
  fi
done
