#!/bin/sh
set -e

# No lockfile is committed, so dependencies are fetched when the container starts.
if [ ! -d node_modules ]; then
  npm install --omit=dev --no-audit --no-fund
fi

exec "$@"
