#!/bin/sh
# Entry point of the exchange-snapshot-service image: check the config is there, then exec the service as PID 1
# (so SIGTERM from `docker stop` reaches Python directly). Dependencies are baked in at build time.
set -eu

CONFIG="${EXCHANGE_SNAPSHOT_CONFIG:-/app/config.yaml}"
if [ ! -r "$CONFIG" ]; then
    echo "exchange-snapshot-service: config $CONFIG is not readable" >&2
    exit 64
fi

exec python -m exchange_snapshot_service --config "$CONFIG" "$@"
