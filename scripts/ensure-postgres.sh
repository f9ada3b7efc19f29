#!/usr/bin/env bash
# Makes sure PostgreSQL's server binaries (initdb, pg_ctl, postgres) are installed: the
# tests start their own throwaway cluster with them (pkg/testenv). Installs Debian's
# package when missing and running as root; otherwise says what to install.
set -euo pipefail
if command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL server binaries not found: install the 'postgresql' package (sudo apt-get install -y postgresql)" >&2
  exit 1
fi
echo ">> installing PostgreSQL from the OS packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
