#!/usr/bin/env bash
# Rebuilds the dashboard from its sources and fails if anything committed differs: the typed
# documents graphql-codegen generates from schema.graphql (web/src/gql/), the strict type
# check, and the bundle the binary embeds (web/dist/, so `cargo build` never needs node).
set -euo pipefail
cd "$(dirname "$0")/../web"

npm run --silent codegen -- --silent
npm run --silent typecheck
npm run --silent build
if [ -n "$(git status --porcelain -- src/gql dist)" ]; then
  echo "web/src/gql or web/dist is not what the sources build; run 'npm run check' in web/ and commit:" >&2
  git status --porcelain -- src/gql dist >&2
  git --no-pager diff --stat -- src/gql dist >&2
  exit 1
fi
