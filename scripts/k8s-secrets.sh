#!/usr/bin/env bash
# Creates, in NAMESPACE, the Secrets the gaoxing chart refers to by default, with random
# keys and passwords: PII sealing keys, the database passwords and the MinIO credentials.
# A Secret that already exists is left as it is (its keys seal data already stored).
# Usage: scripts/k8s-secrets.sh NAMESPACE
set -euo pipefail
ns=${1:?usage: $0 NAMESPACE}
rand() { head -c "$1" /dev/urandom | base64 | tr -d '\n'; }
token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

create() {
  local name=$1; shift
  if kubectl -n "$ns" get secret "$name" >/dev/null 2>&1; then
    echo "secret/$name exists, kept"
    return
  fi
  kubectl -n "$ns" create secret generic "$name" "$@"
}

kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl create namespace "$ns"
create gaoxing-sealing-keys --from-literal=keys="k1=$(rand 32)" --from-literal=index-key="$(rand 32)"
create gaoxing-db-credentials --from-literal=password="$(token)" --from-literal=migration-password="$(token)" --from-literal=postgres-password="$(token)"
# Secrets made before the migration user existed gain its password; nothing else changes.
if ! kubectl -n "$ns" get secret gaoxing-db-credentials -o jsonpath='{.data.migration-password}' | grep -q .; then
  kubectl -n "$ns" patch secret gaoxing-db-credentials --type merge -p "{\"stringData\":{\"migration-password\":\"$(token)\"}}"
fi
create gaoxing-minio-credentials --from-literal=access-key=gaoxing --from-literal=secret-key="$(token)"
