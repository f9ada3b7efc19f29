#!/usr/bin/env bash
# The checks a reviewer would otherwise do by hand: generated code is current, every method
# has an access rule and an implementation, module boundaries hold, every module builds on
# its own (GOWORK=off) and is tidy, and Go code is formatted.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0

echo ">> generated code is current (proto/generate.sh, then no diff)"
proto/generate.sh
if [ -n "$(git status --porcelain -- proto/gen)" ]; then
  git status --short -- proto/gen
  echo "proto/gen is stale: run 'make proto' and commit the result" >&2
  fail=1
fi

echo ">> every method of every service has an access rule and an implementation"
# The kit's own test proves the check refuses what it must; each service's TestContract
# runs it over that service's contract and implementation (no servers needed).
go test -count=1 -run '^TestRegisterRefusesAnIncompleteService$' ./pkg/kit || fail=1
for dir in services/*/; do
  [ -f "$dir/go.mod" ] || continue
  (cd "$dir" && go test -count=1 -run '^TestContract$' .) || { echo "service $dir: a method lacks a rule or an implementation" >&2; fail=1; }
done

echo ">> module boundaries: pkg imports no service; a service's code imports no other service"
mod=github.com/gaoxing-gov/gaoxing
bad=$(go list -deps -f '{{.ImportPath}}' ./pkg/... | grep "^$mod/services/" || true)
if [ -n "$bad" ]; then
  echo "pkg imports services: $bad" >&2
  fail=1
fi
for dir in services/*/; do
  [ -f "$dir/go.mod" ] || continue
  svc=$(basename "$dir")
  # Tests may start a real peer in-process (tickets and matters check document references
  # against the documents service), so only the code a service ships is checked.
  bad=$( (cd "$dir" && go list -deps -f '{{.ImportPath}}' ./...) |
    grep "^$mod/services/" | grep -v "^$mod/services/$svc\(/\|$\)" || true)
  if [ -n "$bad" ]; then
    echo "service $svc imports another service: $bad" >&2
    fail=1
  fi
done

echo ">> every module builds and vets alone (GOWORK=off)"
# tools/ has no packages of its own: `make tools` building it is its check.
for m in pkg proto cmd/gaoxing e2e $(ls -d services/*/ 2>/dev/null); do
  (cd "$m" && GOWORK=off go build ./... && GOWORK=off go vet ./...) || { echo "module $m does not build alone" >&2; fail=1; }
done

echo ">> go.mod and go.sum are tidy (GOWORK=off go mod tidy -diff)"
# The workspace's modules; the pinned tool modules under tools/*/ are built by
# `make tools` from their own go.sum and are left as their upstreams pin them.
for m in pkg proto cmd/gaoxing e2e tools $(ls -d services/*/ 2>/dev/null); do
  (cd "$m" && GOWORK=off go mod tidy -diff) || { echo "module $m is not tidy: run 'GOWORK=off go mod tidy' in $m" >&2; fail=1; }
done

echo ">> gofmt"
# Tracked and new files as they are in the working tree (a deleted one is not there).
unformatted=$(git ls-files --cached --others --exclude-standard -- '*.go' | grep -v '/gen/' |
  while read -r f; do [ -f "$f" ] && echo "$f"; done | xargs -r gofmt -l)
if [ -n "$unformatted" ]; then
  echo "gofmt needed: $unformatted" >&2
  fail=1
fi

exit $fail
