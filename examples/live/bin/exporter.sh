#!/bin/sh
# exporter: exports the ledger's counters as CSV rows into /var/export/ledger.csv (container-local).
# PLANTED (compose.yml): runs as root with every capability, may gain privileges, writable root fs.
set -u
SERVICE=exporter
# shellcheck source=lib.sh
. "${LIVE_BIN:-/opt/live/bin}/lib.sh"
# shellcheck source=follower-lib.sh
. "${LIVE_BIN:-/opt/live/bin}/follower-lib.sh"
EXPORT=${EXPORT_FILE:-/var/export/ledger.csv}
exports=0
last_export=0
lag=0

step() {
    fetch_ledger || return 0
    _n=$(ledger_value ledger_last_entry_number)
    lag=$(ledger_value ledger_last_write_age_seconds)
    lag=${lag:-0}
    mkdir -p "$(dirname "$EXPORT")"
    [ -s "$EXPORT" ] || echo "exported_at,last_entry_number,ledger_age_seconds" >"$EXPORT"
    echo "$(iso_now),${_n:-0},$lag" >>"$EXPORT"
    if [ "$(wc -l <"$EXPORT")" -gt 1000 ]; then
        { head -n 1 "$EXPORT" && tail -n 500 "$EXPORT"; } | write_atomic "$EXPORT"
    fi
    exports=$((exports + 1))
    last_export=$(now_s)
    if [ $((exports % 12)) -eq 1 ]; then
        log_json info "exported ledger counters" "\"last_entry_number\":${_n:-0},\"path\":\"$EXPORT\""
    fi
}

render() {
    metric exporter_exports_total counter "CSV rows exported since start." "$exports"
    metric exporter_errors_total counter "Failed reads of the ledger." "$errors"
    metric exporter_last_export_age_seconds gauge "Seconds since the last export." "$(age_since "$last_export")"
    metric exporter_lag_seconds gauge "Age of the ledger's last write at the last export." "$lag"
}

follower_run
