# shellcheck shell=sh disable=SC2034 # HTTPD_PID, STDERR_LOG_PID are for the sourcing script
# Helpers shared by the live demo services (BusyBox ash; POSIX sh compatible).
# Sourced, never run. Every service sets SERVICE before sourcing; LOG_FILE is optional.

now_s() {
    date +%s
}

iso_now() {
    date -u +%Y-%m-%dT%H:%M:%SZ
}

# json_escape TEXT: TEXT as the inside of a JSON string (backslash, quote, control characters).
json_escape() {
    printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\000-\037'
}

# log_json LEVEL MESSAGE [EXTRA]: one JSON line on stdout (and in LOG_FILE when set).
# EXTRA is further JSON members without braces, e.g. '"entry_id":"L1","n":3'.
log_json() {
    _level=$1
    _msg=$(json_escape "$2")
    _extra=${3:-}
    _line=$(printf '{"ts":"%s","level":"%s","service":"%s","msg":"%s"%s}' \
        "$(iso_now)" "$_level" "${SERVICE:-unknown}" "$_msg" "${_extra:+,$_extra}")
    printf '%s\n' "$_line"
    if [ -n "${LOG_FILE:-}" ]; then
        printf '%s\n' "$_line" >>"$LOG_FILE" 2>/dev/null || true
    fi
}

# write_atomic PATH: stdin into PATH through a temporary file in the same folder and a rename,
# so a reader (httpd, a scraper, the readiness checks) never sees half a file.
write_atomic() {
    _tmp="$1.tmp.$$"
    if cat >"$_tmp" && mv -f "$_tmp" "$1"; then
        return 0
    fi
    rm -f "$_tmp" 2>/dev/null
    return 1
}

# json_stderr: from here on, every line this shell (or a child: httpd, sed, mv) writes to stderr
# becomes a JSON log line at level error, so the container's log stream stays structured.
# Sets STDERR_LOG_PID.
json_stderr() {
    _fifo=/tmp/stderr.fifo
    rm -f "$_fifo"
    mkfifo "$_fifo"
    (
        exec 2>/dev/null
        while IFS= read -r _l; do
            log_json error "stderr: $_l"
        done <"$_fifo"
    ) &
    STDERR_LOG_PID=$!
    exec 2>"$_fifo"
}

# start_httpd PORT DIR: busybox httpd (foreground mode) as a background child. Sets HTTPD_PID.
start_httpd() {
    httpd -f -p "$1" -h "$2" &
    HTTPD_PID=$!
}

# alive PID...: true when every PID is still running.
alive() {
    for _p in "$@"; do
        kill -0 "$_p" 2>/dev/null || return 1
    done
    return 0
}

# pause SECONDS: a sleep that a trapped signal interrupts at once.
pause() {
    sleep "$1" &
    wait $! 2>/dev/null || true
}

# metric NAME TYPE HELP VALUE [LABELS]: one Prometheus exposition family with a single sample.
metric() {
    printf '# HELP %s %s\n# TYPE %s %s\n%s%s %s\n' "$1" "$3" "$1" "$2" "$1" "${5:-}" "$4"
}
