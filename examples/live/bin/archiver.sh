#!/bin/sh
# archiver: samples the ledger's metrics into /tmp/archive/current.log and gzips it every 12 samples,
# keeping the last 5 archives (tmpfs).
# PLANTED (compose.yml): no memory or CPU limit, so a runaway gzip could starve its neighbours.
set -u
SERVICE=archiver
# shellcheck source=lib.sh
. "${LIVE_BIN:-/opt/live/bin}/lib.sh"
# shellcheck source=follower-lib.sh
. "${LIVE_BIN:-/opt/live/bin}/follower-lib.sh"
DIR=${ARCHIVE_DIR:-/tmp/archive}
samples=0
archives=0
last_archive=0

step() {
    fetch_ledger || return 0
    mkdir -p "$DIR"
    printf '%s %s\n' "$(iso_now)" "$(printf '%s\n' "$BODY" | grep -v '^#' | tr '\n' ' ')" >>"$DIR/current.log"
    samples=$((samples + 1))
    if [ $((samples % 12)) -eq 0 ]; then
        _dst=$DIR/ledger-$(date -u +%Y%m%dT%H%M%SZ).log.gz
        if gzip -c "$DIR/current.log" >"$_dst" && rm -f "$DIR/current.log"; then
            archives=$((archives + 1))
            last_archive=$(now_s)
            log_json info "archived ledger samples" "\"file\":\"$_dst\""
        fi
        # shellcheck disable=SC2012 # names are ours: ledger-<UTC stamp>.log.gz
        ls -1 "$DIR"/ledger-*.log.gz 2>/dev/null | sort | head -n -5 | xargs rm -f
    fi
}

render() {
    _pending=0
    [ -f "$DIR/current.log" ] && _pending=$(wc -c <"$DIR/current.log")
    metric archiver_archives_total counter "Archives written since start." "$archives"
    metric archiver_errors_total counter "Failed reads of the ledger." "$errors"
    metric archiver_last_archive_age_seconds gauge "Seconds since the last archive." "$(age_since "$last_archive")"
    metric archiver_pending_bytes gauge "Bytes sampled but not archived yet (backlog)." "$_pending"
}

follower_run
