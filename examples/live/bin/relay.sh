#!/bin/sh
# relay: forwards new ledger entries downstream in batches (simulated) and reports its backlog.
# PLANTED (compose.yml): its healthcheck fetches the ledger's /healthz instead of its own.
set -u
SERVICE=relay
# shellcheck source=lib.sh
. "${LIVE_BIN:-/opt/live/bin}/lib.sh"
# shellcheck source=follower-lib.sh
. "${LIVE_BIN:-/opt/live/bin}/follower-lib.sh"
BATCH=${RELAY_BATCH:-50}
forwarded=0
upto=-1
pending=0
last_forward=0

step() {
    fetch_ledger || return 0
    _head=$(ledger_value ledger_last_entry_number)
    _head=${_head:-0}
    [ "$upto" -ge 0 ] || upto=$_head # start from the ledger's head, not from its history
    [ "$_head" -ge "$upto" ] || upto=$_head
    _n=$((_head - upto))
    [ "$_n" -le "$BATCH" ] || _n=$BATCH
    upto=$((upto + _n))
    forwarded=$((forwarded + _n))
    pending=$((_head - upto))
    last_forward=$(now_s)
    if [ "$_n" -gt 0 ]; then
        log_json info "forwarded ledger entries" "\"count\":$_n,\"upto\":$upto,\"pending\":$pending"
    fi
}

render() {
    metric relay_forwarded_total counter "Ledger entries forwarded since start." "$forwarded"
    metric relay_errors_total counter "Failed reads of the ledger." "$errors"
    metric relay_last_forward_age_seconds gauge "Seconds since the last forward." "$(age_since "$last_forward")"
    metric relay_pending_entries gauge "Ledger entries not forwarded yet (backlog)." "$pending"
}

follower_run
