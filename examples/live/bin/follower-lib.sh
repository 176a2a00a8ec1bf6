# shellcheck shell=sh disable=SC2034 # errors, started, BODY are used by the sourcing script
# The loop shared by the ledger's followers (gateway, exporter, relay, archiver, notifier, reporter):
# serve /healthz and /metrics with busybox httpd on 8080, then every INTERVAL seconds run the
# script's `step` (one unit of work) and rewrite /metrics from its `render` (exposition on stdout).
# Sourced after lib.sh; SERVICE is set by the sourcing script.

FOLLOW_URL=${FOLLOW_URL:-http://ledger:8080/metrics}
INTERVAL=${INTERVAL_SECONDS:-5}
WWW=${WWW:-/www}
errors=0
started=0
BODY=""

# fetch_ledger: the ledger's /metrics into BODY; a failure is counted, logged, and retried next tick.
fetch_ledger() {
    if BODY=$(timeout 3 wget -q -O - "$FOLLOW_URL" 2>/dev/null); then
        return 0
    fi
    errors=$((errors + 1))
    log_json warn "ledger unreachable, retrying next tick" "\"url\":\"$FOLLOW_URL\",\"errors\":$errors"
    return 1
}

# ledger_value NAME: an unlabelled integer sample of the ledger's metrics in BODY (empty if absent).
ledger_value() {
    printf '%s\n' "$BODY" | sed -n "s/^$1 \([0-9][0-9]*\)\$/\1/p"
}

# age_since UNIX_TIME: seconds since then (since the start when it is 0).
age_since() {
    _t=$1
    [ "$_t" -gt 0 ] || _t=$started
    echo $(($(now_s) - _t))
}

follower_stop() {
    log_json info "$SERVICE stopping"
    kill "$HTTPD_PID" ${STDERR_LOG_PID:+"$STDERR_LOG_PID"} 2>/dev/null
    exit 0
}

follower_run() {
    if [ "${JSON_STDERR:-1}" = 1 ]; then
        json_stderr
    fi
    mkdir -p "$WWW"
    started=$(now_s)
    printf 'ok\n' | write_atomic "$WWW/healthz"
    render | write_atomic "$WWW/metrics"
    start_httpd 8080 "$WWW"
    trap follower_stop TERM INT
    log_json info "$SERVICE started" "\"interval_seconds\":$INTERVAL"
    while :; do
        step
        render | write_atomic "$WWW/metrics"
        if ! alive "$HTTPD_PID" ${STDERR_LOG_PID:+"$STDERR_LOG_PID"}; then
            log_json error "httpd died; exiting for a restart"
            exit 1
        fi
        pause "$INTERVAL"
    done
}
