#!/bin/sh
# gateway: a status page over the ledger (GET /status.json) with /healthz and /metrics.
# PLANTED (compose.yml): published on every interface (18081 without a host IP).
set -u
SERVICE=gateway
# shellcheck source=lib.sh
. "${LIVE_BIN:-/opt/live/bin}/lib.sh"
# shellcheck source=follower-lib.sh
. "${LIVE_BIN:-/opt/live/bin}/follower-lib.sh"
refreshes=0
last_refresh=0
upstream_age=0

step() {
    fetch_ledger || return 0
    upstream_age=$(ledger_value ledger_last_write_age_seconds)
    upstream_age=${upstream_age:-0}
    refreshes=$((refreshes + 1))
    last_refresh=$(now_s)
    printf '{"generated_at":"%s","upstream":"ledger","ledger_last_write_age_seconds":%s}\n' \
        "$(iso_now)" "$upstream_age" | write_atomic "$WWW/status.json"
    if [ $((refreshes % 12)) -eq 1 ]; then
        log_json info "status page refreshed" "\"ledger_age_seconds\":$upstream_age"
    fi
}

render() {
    metric gateway_refreshes_total counter "Status page refreshes since start." "$refreshes"
    metric gateway_upstream_errors_total counter "Failed reads of the ledger's metrics." "$errors"
    metric gateway_last_refresh_age_seconds gauge "Seconds since the last good refresh." "$(age_since "$last_refresh")"
    metric gateway_upstream_lag_seconds gauge "Age of the ledger's last write as last seen." "$upstream_age"
}

follower_run
