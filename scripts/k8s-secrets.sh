#!/usr/bin/env bash
# Creates, in NAMESPACE, the Secrets the gaoxing chart refers to by default, with random
# keys and passwords: PII sealing keys, the database passwords and the object store's keys.
# A Secret or key that already exists is left as it is (the sealing keys seal data already
# stored; the passwords are the servers' already).
#
#   scripts/k8s-secrets.sh NAMESPACE
#       a pooled or district release.
#   scripts/k8s-secrets.sh NAMESPACE --tier-of DISTRICT_NAMESPACE DB_USER OBJECT_USER
#       a street or community release of the district in DISTRICT_NAMESPACE, whose
#       postgresql.user is DB_USER and minio.user OBJECT_USER (the district's
#       postgresql.tierUsers and minio.tierUsers name them): the district's Secrets gain the
#       tier's password and key if they lack them, the tier's Secrets hold only those, and
#       the sealing keys are the district's (both seal and open the same records).
set -euo pipefail
ns=${1:?usage: $0 NAMESPACE [--tier-of DISTRICT_NAMESPACE DB_USER OBJECT_USER]}
rand() { head -c "$1" /dev/urandom | base64 | tr -d '\n'; }
token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

exists() { kubectl -n "$1" get secret "$2" >/dev/null 2>&1; }
create() {
  local in=$1 name=$2; shift 2
  if exists "$in" "$name"; then
    echo "secret/$name exists in $in, kept"
    return
  fi
  kubectl -n "$in" create secret generic "$name" "$@"
}
# key prints one key of a Secret, decoded ("" when absent).
key() { kubectl -n "$1" get secret "$2" -o "jsonpath={.data['$3']}" | base64 -d; }
# ensure_key adds key $3 with value $4 to Secret $2 in $1 unless it has one.
ensure_key() {
  if [ -z "$(key "$1" "$2" "$3")" ]; then
    kubectl -n "$1" patch secret "$2" --type merge -p "{\"stringData\":{\"$3\":\"$4\"}}" >/dev/null
    echo "secret/$2 in $1 gained $3"
  fi
}
namespace() { kubectl get namespace "$1" >/dev/null 2>&1 || kubectl create namespace "$1"; }

if [ "${2:-}" = "--tier-of" ]; then
  district=${3:?district namespace}
  db_user=${4:?the tier database user}
  object_user=${5:?the tier object store user}
  for s in gaoxing-sealing-keys gaoxing-db-credentials gaoxing-minio-credentials; do
    exists "$district" "$s" || { echo "secret/$s is missing in $district: create the district's Secrets first" >&2; exit 1; }
  done
  ensure_key "$district" gaoxing-db-credentials "$db_user-password" "$(token)"
  ensure_key "$district" gaoxing-minio-credentials "$object_user-secret-key" "$(token)"
  namespace "$ns"
  create "$ns" gaoxing-sealing-keys \
    --from-literal=keys="$(key "$district" gaoxing-sealing-keys keys)" \
    --from-literal=index-key="$(key "$district" gaoxing-sealing-keys index-key)"
  create "$ns" gaoxing-db-credentials --from-literal=password="$(key "$district" gaoxing-db-credentials "$db_user-password")"
  create "$ns" gaoxing-minio-credentials \
    --from-literal=service-secret-key="$(key "$district" gaoxing-minio-credentials "$object_user-secret-key")"
  echo "upgrade the district release so its Jobs create $db_user and $object_user"
  exit 0
fi

namespace "$ns"
create "$ns" gaoxing-sealing-keys --from-literal=keys="k1=$(rand 32)" --from-literal=index-key="$(rand 32)"
create "$ns" gaoxing-db-credentials --from-literal=password="$(token)" --from-literal=migration-password="$(token)" --from-literal=postgres-password="$(token)"
# Secrets made before the migration user or the services' object store user existed gain
# their keys; nothing else changes.
ensure_key "$ns" gaoxing-db-credentials migration-password "$(token)"
create "$ns" gaoxing-minio-credentials --from-literal=access-key=gaoxing --from-literal=secret-key="$(token)" \
  --from-literal=service-secret-key="$(token)"
ensure_key "$ns" gaoxing-minio-credentials service-secret-key "$(token)"
