#!/bin/sh
# restore.sh: brings the documents bucket back from its replica (provision.sh's
# REPLICA_URL) into a fresh object store, every version under its own version id, so
# the documents database restored beside it (files/backup/pg-restore.sh) finds each
# version it names. Run it with mc on PATH after the new release's provisioning Job has
# created the bucket and users; the services can start once it reports the counts equal.
# It replicates the replica's bucket to the new store (existing objects included, started
# at once rather than at the next scan), waits until the new store holds every version
# and delete marker the replica holds, and then removes that rule again.
# Environment: REPLICA_URL (http(s)://host:port), REPLICA_USER, REPLICA_PASSWORD (an
# administrator of the replica), REPLICA_BUCKET, ENDPOINT, ROOT_USER, ROOT_PASSWORD,
# BUCKET (the new store's); optional TIMEOUT in seconds (default 3600).
set -eu
export MC_CONFIG_DIR="${MC_CONFIG_DIR:-${TMPDIR:-/tmp}/mc}"
export MC_HOST_replica="${REPLICA_URL%%://*}://$REPLICA_USER:$REPLICA_PASSWORD@${REPLICA_URL#*://}"
export MC_HOST_gaoxing="${ENDPOINT%%://*}://$ROOT_USER:$ROOT_PASSWORD@${ENDPOINT#*://}"
q() { mc --quiet --no-color "$@"; }
q ready replica >/dev/null
q ready gaoxing >/dev/null

# every version and delete marker of a bucket, one "key version-id" per line, sorted.
versions() {
  q ls --recursive --versions --json "$1" |
    sed -n 's/.*"key":"\([^"]*\)".*"versionId":"\([^"]*\)".*/\1 \2/p' | sort
}

q mb --ignore-existing --with-lock "gaoxing/$BUCKET" >/dev/null
q replicate add "replica/$REPLICA_BUCKET" \
  --remote-bucket "${ENDPOINT%%://*}://$ROOT_USER:$ROOT_PASSWORD@${ENDPOINT#*://}/$BUCKET" \
  --replicate "delete,delete-marker,existing-objects" >/dev/null
arn=$(q replicate ls "replica/$REPLICA_BUCKET" --json | sed -n 's/.*"Bucket":"\(arn:[^"]*:'"$BUCKET"'\)".*/\1/p' | head -n 1)
q replicate resync start "replica/$REPLICA_BUCKET" --remote-bucket "$arn" >/dev/null
echo "replicating $REPLICA_URL/$REPLICA_BUCKET to $ENDPOINT/$BUCKET"

want=$(versions "replica/$REPLICA_BUCKET")
deadline=$(($(date +%s) + ${TIMEOUT:-3600}))
while :; do
  got=$(versions "gaoxing/$BUCKET")
  [ "$got" = "$want" ] && break
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "timed out: $(printf '%s\n' "$got" | grep -c . || true) of $(printf '%s\n' "$want" | grep -c .) versions restored" >&2
    exit 1
  fi
  sleep 2
done
q replicate rm --all --force "replica/$REPLICA_BUCKET" >/dev/null
echo "restored $(printf '%s\n' "$want" | grep -c .) object versions into $BUCKET"
