#!/bin/sh
# Entry point of the portfolio-risk-service image: check the config is there, then exec the service as PID 1
# (so SIGTERM from `docker stop` reaches Python directly). Dependencies are baked in at build time.
set -eu

CONFIG="${PORTFOLIO_RISK_CONFIG:-/app/config.yaml}"
if [ ! -r "$CONFIG" ]; then
    echo "portfolio-risk-service: config $CONFIG is not readable" >&2
    exit 64
fi

exec python -m portfolio_risk_service --config "$CONFIG" "$@"
