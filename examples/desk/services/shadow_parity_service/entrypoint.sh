#!/bin/sh
# Entry point of the shadow-parity-service image: check the config is there, then exec the service as PID 1
# (so SIGTERM from `docker stop` reaches Python directly). Dependencies are baked in at build time.
set -eu

CONFIG="${SHADOW_PARITY_CONFIG:-/app/config.yaml}"
if [ ! -r "$CONFIG" ]; then
    echo "shadow-parity-service: config $CONFIG is not readable" >&2
    exit 64
fi

exec python -m shadow_parity_service --config "$CONFIG" "$@"
