#!/bin/sh
# Entry point of the event-store-service image: check the config is there, then exec the service as PID 1
# (so SIGTERM from `docker stop` reaches Python directly). Dependencies are baked in at build time.
set -eu

CONFIG="${EVENT_STORE_CONFIG:-/app/config.yaml}"
if [ ! -r "$CONFIG" ]; then
    echo "event-store-service: config $CONFIG is not readable" >&2
    exit 64
fi

exec python -m event_store_service --config "$CONFIG" "$@"
