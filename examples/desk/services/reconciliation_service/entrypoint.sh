#!/bin/sh
# Entry point of the reconciliation-service image: check the config is there, then exec the service as PID 1
# (so SIGTERM from `docker stop` reaches Python directly). Dependencies are baked in at build time.
set -eu

CONFIG="${RECONCILIATION_CONFIG:-/app/config.yaml}"
if [ ! -r "$CONFIG" ]; then
    echo "reconciliation-service: config $CONFIG is not readable" >&2
    exit 64
fi

exec python -m reconciliation_service --config "$CONFIG" "$@"
