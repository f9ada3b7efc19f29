#!/usr/bin/env bash
# Regenerates gen/ from the contracts: Go and gRPC code for every file (buf.gen.yaml), then,
# per service, grpc-gateway handlers and OpenAPI from that service's HTTP rules
# (gaoxing/<svc>/v1/gateway.yaml). The gateway plugin takes one rules file per run and
# refuses rules whose method it cannot see, hence one run per service.
# Needs buf and the protoc-gen-* plugins on PATH (make tools puts them in bin/).
set -euo pipefail
cd "$(dirname "$0")"
export BUF_CACHE_DIR="${BUF_CACHE_DIR:-../.cache/buf}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

buf lint
rm -rf gen/openapi
buf generate
for rules in gaoxing/*/v1/gateway.yaml; do
  dir=$(dirname "$rules")
  svc=$(basename "$(dirname "$dir")")
  # OpenAPI paths are relative to where the service is mounted.
  cat >"$tmp/$svc-openapi.yaml" <<YAML
openapiOptions:
  file:
$(for f in "$dir"/*.proto; do printf '    - file: "%s"\n      option:\n        base_path: "/api/%s"\n' "$f" "$svc"; done)
YAML
  cat >"$tmp/$svc-gen.yaml" <<YAML
version: v2
plugins:
  - local: protoc-gen-grpc-gateway
    out: gen/go
    opt: [paths=source_relative, grpc_api_configuration=$rules]
  - local: protoc-gen-openapiv2
    out: gen/openapi
    opt: [grpc_api_configuration=$rules, openapi_configuration=$tmp/$svc-openapi.yaml, expand_slashed_path_patterns=true, disable_default_errors=true, allow_merge=true, merge_file_name=$svc]
YAML
  buf generate --path "$dir" --template "$tmp/$svc-gen.yaml"
done
