#!/usr/bin/env bash
# Installs what the dashboard's browser tests need: Debian's Chromium (driven headless by
# playwright-core, which never downloads a browser of its own) and web/'s npm packages as
# package-lock.json pins them.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "node and npm are required (Node 20)" >&2
  exit 1
fi
(cd web && npm ci --no-audit --no-fund --loglevel=error)
