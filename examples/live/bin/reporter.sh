#!/bin/sh
# reporter: prints a one-line ledger summary every interval for the humans tailing the logs.
# PLANTED (live only): plain-text log lines, no JSON and no level field, so no error rate can be
# computed from them; they exist only in the container's output (no log file is declared).
set -u
SERVICE=reporter
# shellcheck source=lib.sh
. "${LIVE_BIN:-/opt/live/bin}/lib.sh"
# shellcheck source=follower-lib.sh
. "${LIVE_BIN:-/opt/live/bin}/follower-lib.sh"
JSON_STDERR=0
reports=0
last_report=0

# The defect: this service's logger writes "YYYY-MM-DD HH:MM:SS reporter: message".
log_json() {
    printf '%s %s: %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S')" "$SERVICE" "$2"
}

step() {
    fetch_ledger || return 0
    reports=$((reports + 1))
    last_report=$(now_s)
    log_json info "ledger holds $(ledger_value ledger_entries_stored) entries, last written $(ledger_value ledger_last_write_age_seconds)s ago"
}

render() {
    metric reporter_reports_total counter "Summaries printed since start." "$reports"
    metric reporter_errors_total counter "Failed reads of the ledger." "$errors"
    metric reporter_last_report_age_seconds gauge "Seconds since the last summary." "$(age_since "$last_report")"
    metric reporter_queue_pending gauge "Summaries waiting to be printed." 0
}

follower_run
