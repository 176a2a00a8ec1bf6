#!/bin/sh
# Entry point of the ops-db-writer image: check the config is there, then exec the service as PID 1
# (so SIGTERM from `docker stop` reaches Python directly). Dependencies are baked in at build time.
set -eu

CONFIG="${OPS_DB_WRITER_CONFIG:-/app/config.yaml}"
if [ ! -r "$CONFIG" ]; then
    echo "ops-db-writer: config $CONFIG is not readable" >&2
    exit 64
fi

exec python -m ops_db_writer --config "$CONFIG" "$@"
