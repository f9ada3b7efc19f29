#!/bin/sh
# offsite.sh: backup sets off the cluster, into a bucket of an object store elsewhere (a
# backup on the cluster's own disks is no backup).
#   offsite.sh push       copies every whole set under BACKUP_DIR that the store does not
#                         have yet to OFFSITE_BUCKET/OFFSITE_PREFIX/<set>/, then a
#                         COMPLETE marker: a set without one (an interrupted push) is
#                         copied again next time. A set never changes once whole, so one
#                         with its marker is skipped. Expiry is the bucket's lifecycle rule.
#   offsite.sh pull SET   copies one set back into BACKUP_DIR/SET, for the restore scripts.
# Environment: OFFSITE_URL (http(s)://host:port), OFFSITE_CREDENTIALS (a directory with
# access-key and secret-key), OFFSITE_BUCKET, OFFSITE_PREFIX (e.g. <namespace>/<release>/
# postgresql), BACKUP_DIR. Needs mc; the chart runs it in the MinIO client image.
set -eu
export MC_CONFIG_DIR="${MC_CONFIG_DIR:-${TMPDIR:-/tmp}/mc}"
# Read first, so missing credentials stop the script here (an export would hide cat's failure).
access=$(cat "$OFFSITE_CREDENTIALS/access-key")
secret=$(cat "$OFFSITE_CREDENTIALS/secret-key")
export MC_HOST_offsite="${OFFSITE_URL%%://*}://$access:$secret@${OFFSITE_URL#*://}"
q() { mc --quiet --no-color "$@"; }
dest="offsite/$OFFSITE_BUCKET/${OFFSITE_PREFIX%/}"

case "${1:?usage: offsite.sh push | pull SET}" in
push)
  for dir in "$BACKUP_DIR"/*/; do
    set=$(basename "$dir")
    # only whole sets, named as pg-dump.sh and etcd-snapshot.sh name them.
    case "$set" in
    *.partial) continue ;;
    [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z-*) ;;
    *) continue ;;
    esac
    if q stat "$dest/$set/COMPLETE" >/dev/null 2>&1; then
      continue
    fi
    q cp --recursive "$dir" "$dest/$set/" >/dev/null
    echo "$set" | q pipe "$dest/$set/COMPLETE" >/dev/null
    echo "shipped $set to $OFFSITE_URL/$OFFSITE_BUCKET/${OFFSITE_PREFIX%/}"
  done
  ;;
pull)
  set=${2:?usage: offsite.sh pull SET}
  q stat "$dest/$set/COMPLETE" >/dev/null || { echo "$set is not whole in the store" >&2; exit 1; }
  mkdir -p "$BACKUP_DIR/$set"
  q cp --recursive "$dest/$set/" "$BACKUP_DIR/$set/" >/dev/null
  rm -f "$BACKUP_DIR/$set/COMPLETE"
  echo "pulled $set into $BACKUP_DIR/$set"
  ;;
*)
  echo "usage: offsite.sh push | pull SET" >&2
  exit 2
  ;;
esac
