#!/bin/sh
# etcd-restore.sh SNAPSHOT: makes DATA_DIR the data directory of one member of a new
# cluster holding SNAPSHOT (a set's snapshot.db from etcd-snapshot.sh): the procedure for
# a lost etcd. Run it once per member, with that member's name and the same snapshot,
# initial cluster and token on every member; then start the members on those
# directories. etcdutl restores into a fresh directory beside DATA_DIR, which is renamed
# into place once whole; what DATA_DIR held is moved aside, not deleted.
# The revision is raised by BUMP_REVISION and marked compacted: a client watching from a
# revision of the lost cluster is told it was compacted and reloads everything it
# watches (the services' Casbin policy, tenant tree, configuration and calendar) instead
# of waiting for revisions the restored cluster already used.
# Environment: DATA_DIR, ETCD_NAME, ETCD_INITIAL_CLUSTER, ETCD_INITIAL_ADVERTISE_PEER_URLS,
# ETCD_INITIAL_CLUSTER_TOKEN (the member's own etcd variables), BUMP_REVISION (default
# 1000000000: more writes than a cluster makes between two snapshots).
set -eu
snapshot=${1:?usage: etcd-restore.sh SNAPSHOT}
data=${DATA_DIR:?}
restoring="$data.restoring"
rm -rf "$restoring" # what an interrupted restore left
etcdutl snapshot restore "$snapshot" \
  --data-dir="$restoring" \
  --name="${ETCD_NAME:?}" \
  --initial-cluster="${ETCD_INITIAL_CLUSTER:?}" \
  --initial-advertise-peer-urls="${ETCD_INITIAL_ADVERTISE_PEER_URLS:?}" \
  --initial-cluster-token="${ETCD_INITIAL_CLUSTER_TOKEN:?}" \
  --bump-revision="${BUMP_REVISION:-1000000000}" \
  --mark-compacted
if [ -e "$data" ]; then
  aside="$data.replaced-$(date -u +%Y%m%dT%H%M%SZ)"
  mv "$data" "$aside"
  echo "moved the former $data aside to $aside"
fi
mv "$restoring" "$data"
echo "restored $ETCD_NAME into $data"
