# shellcheck shell=sh
# The ledger's logic, as functions (sourced by ledger.sh, and by ledger/tests/ through busybox sh).
#
# State (LEDGER_STATE, bind-mounted from examples/live/state/ledger):
#   outputs/ledger.jsonl           keyed by entry_id, one signed JSON record per line (the dataset)
#   outputs/ledger.seq             the last entry number written (with the file's last line: restart-safe)
#   reports/ledger_latest.json     written every tick: generated_at, status, counters (the SLO evidence)
#   reports/replay_latest.json     the replay check: unique keys, valid signatures (the integration gate)
#   reports/backup_drill_latest.json  backup copied, restored into /tmp and verified (the backup drill)
#   backups/ledger-*.jsonl         the last backup_keep backups
#   logs/ledger.log                the JSON log lines also written to stdout, capped at log_max_lines
# Served by httpd from LEDGER_WWW: /healthz and /metrics (rewritten every render_interval_seconds).
#
# Settings come from ledger.conf (sourced before these functions run); defaults below.

LEDGER_STATE=${LEDGER_STATE:-/var/lib/ledger}
LEDGER_WWW=${LEDGER_WWW:-/www}
LEDGER_RUN=${LEDGER_RUN:-/tmp}

ledger_defaults() {
    : "${write_interval_seconds:=5}"
    : "${render_interval_seconds:=5}"
    : "${write_retries:=3}"
    : "${retry_backoff_seconds:=1}"
    : "${retry_backoff_max_seconds:=8}"
    : "${retention_max_records:=5000}"
    : "${retention_max_age_seconds:=604800}"
    : "${log_max_lines:=2000}"
    : "${replay_every_ticks:=6}"
    : "${replay_check_signatures:=20}"
    : "${backup_every_ticks:=60}"
    : "${backup_keep:=3}"
    : "${prune_every_ticks:=12}"
}

# ledger_key_id: a short, non-reversible id of the signing key in use (never the key).
ledger_key_id() {
    printf '%s' "$LEDGER_SIGNING_KEY" | sha256sum | cut -c1-12
}

# ledger_sign BODY: the record's signature, sha256 over "KEY|BODY" (the key goes through a pipe, not argv).
ledger_sign() {
    printf '%s|%s' "$LEDGER_SIGNING_KEY" "$1" | sha256sum | cut -d' ' -f1
}

# ledger_number TEXT: the entry number in an id like L000000042 (0 when there is none).
ledger_number() {
    _n=$(printf '%s' "$1" | sed -n 's/^L0*\([0-9][0-9]*\)$/\1/p')
    printf '%s' "${_n:-0}"
}

# ledger_field NAME LINE: the value of a JSON string or number member NAME in LINE.
ledger_field() {
    printf '%s' "$2" | sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}

ledger_setup() {
    ledger_defaults
    OUT_DIR=$LEDGER_STATE/outputs
    REPORT_DIR=$LEDGER_STATE/reports
    LOG_DIR=$LEDGER_STATE/logs
    BACKUP_DIR=$LEDGER_STATE/backups
    JSONL=$OUT_DIR/ledger.jsonl
    SEQ_FILE=$OUT_DIR/ledger.seq
    STATS=$LEDGER_RUN/ledger.stats
    mkdir -p "$OUT_DIR" "$REPORT_DIR" "$LOG_DIR" "$BACKUP_DIR" "$LEDGER_WWW"
    LOG_FILE=$LOG_DIR/ledger.log
    KEY_ID=$(ledger_key_id)
    START_EPOCH=$(now_s)
    # Resume after the highest entry number found in the seq file or the dataset's last line, so a
    # restart never writes an entry_id twice (data.idempotent-writes).
    _seq=$(sed -n '1s/^\([0-9][0-9]*\)$/\1/p' "$SEQ_FILE" 2>/dev/null)
    _last=""
    [ -s "$JSONL" ] && _last=$(tail -n 1 "$JSONL")
    _from_file=$(ledger_number "$(ledger_field entry_id "$_last")")
    SEQ=${_seq:-0}
    [ "$_from_file" -gt "$SEQ" ] && SEQ=$_from_file
    LAST_WRITE=$(ledger_field epoch "$_last")
    LAST_WRITE=${LAST_WRITE:-0}
    WRITTEN=0
    ERRORS=0
    LAG=0
    LAST_OK=1
    REPLAY_OK=1
    REPLAY_AT=0
    BACKUP_OK=1
    BACKUP_AT=0
    TICK=0
}

# ledger_append: write the next entry, retrying with exponential backoff; idempotent when retried.
ledger_append() {
    # shellcheck disable=SC2046 # split on purpose: epoch and ISO time of one instant
    set -- $(date -u '+%s %Y-%m-%dT%H:%M:%SZ')
    _epoch=$1
    _iso=$2
    _next=$((SEQ + 1))
    _id=$(printf 'L%09d' "$_next")
    _body=$(printf '"entry_id":"%s","ts":"%s","epoch":%s,"account":"acct-%s","amount_cents":%s,"kid":"%s"' \
        "$_id" "$_iso" "$_epoch" "$((_next % 5))" "$(((_next * 7919) % 100000))" "$KEY_ID")
    _rec=$(printf '{%s,"sig":"%s"}' "$_body" "$(ledger_sign "$_body")")
    _attempt=0
    _delay=$retry_backoff_seconds
    while :; do
        if printf '%s\n' "$_rec" >>"$JSONL" 2>/dev/null; then
            break
        fi
        # A failed append may still have landed: never write the same entry_id twice.
        if [ "$(ledger_field entry_id "$(tail -n 1 "$JSONL" 2>/dev/null)")" = "$_id" ]; then
            break
        fi
        _attempt=$((_attempt + 1))
        ERRORS=$((ERRORS + 1))
        if [ "$_attempt" -gt "$write_retries" ]; then
            log_json error "append failed, giving up until the next tick" \
                "\"entry_id\":\"$_id\",\"attempts\":$_attempt,\"path\":\"$(json_escape "$JSONL")\""
            LAST_OK=0
            return 1
        fi
        log_json warn "append failed, retrying with backoff" \
            "\"entry_id\":\"$_id\",\"attempt\":$_attempt,\"backoff_seconds\":$_delay"
        pause "$_delay"
        _delay=$((_delay * 2))
        [ "$_delay" -gt "$retry_backoff_max_seconds" ] && _delay=$retry_backoff_max_seconds
    done
    if [ "$LAST_WRITE" -gt 0 ]; then
        LAG=$((_epoch - LAST_WRITE - write_interval_seconds))
        [ "$LAG" -lt 0 ] && LAG=0
    fi
    SEQ=$_next
    LAST_WRITE=$_epoch
    WRITTEN=$((WRITTEN + 1))
    LAST_OK=1
    printf '%s\n' "$SEQ" | write_atomic "$SEQ_FILE" 2>/dev/null || true
    log_json info "entry appended" "\"entry_id\":\"$_id\",\"write_lag_seconds\":$LAG"
    return 0
}

ledger_write_report() {
    _status=pass
    [ "$LAST_OK" -eq 1 ] || _status=fail
    _ok=true
    [ "$REPLAY_OK" -eq 1 ] || _ok=false
    _last_at=""
    [ "$LAST_WRITE" -gt 0 ] && _last_at=$(date -u -d "@$LAST_WRITE" +%Y-%m-%dT%H:%M:%SZ)
    printf '{\n  "generated_at": "%s",\n  "service": "ledger",\n  "status": "%s",\n  "entries_total": %s,\n  "last_entry_id": "%s",\n  "last_write_at": "%s",\n  "written_since_start": %s,\n  "write_errors_since_start": %s,\n  "write_lag_seconds": %s,\n  "replay_ok": %s\n}\n' \
        "$(iso_now)" "$_status" "$SEQ" "$(printf 'L%09d' "$SEQ")" "$_last_at" "$WRITTEN" "$ERRORS" "$LAG" "$_ok" |
        write_atomic "$REPORT_DIR/ledger_latest.json" 2>/dev/null ||
        log_json error "cannot write the ledger report" "\"path\":\"$(json_escape "$REPORT_DIR")\""
}

# ledger_replay: re-read the dataset: every record keyed, no key twice, recent signatures valid.
ledger_replay() {
    _records=0
    _keyed=0
    _dups=0
    if [ -s "$JSONL" ]; then
        _records=$(grep -c . "$JSONL")
        _keyed=$(grep -c '"entry_id":"' "$JSONL")
        _dups=$(sed -n 's/.*"entry_id":"\([^"]*\)".*/\1/p' "$JSONL" | sort | uniq -d | wc -l)
    fi
    _unkeyed=$((_records - _keyed))
    _checked=0
    _bad=0
    _other=0
    if [ -s "$JSONL" ]; then
        tail -n "$replay_check_signatures" "$JSONL" >"$LEDGER_RUN/replay.sample"
        while IFS= read -r _line; do
            _body=${_line#\{}
            _body=${_body%,\"sig\":*}
            if [ "$(ledger_field kid "$_line")" != "$KEY_ID" ]; then
                _other=$((_other + 1)) # signed with a rotated-out key: verified with the archived key
                continue
            fi
            _checked=$((_checked + 1))
            [ "$(ledger_field sig "$_line")" = "$(ledger_sign "$_body")" ] || _bad=$((_bad + 1))
        done <"$LEDGER_RUN/replay.sample"
        rm -f "$LEDGER_RUN/replay.sample"
    fi
    _status=pass
    if [ "$_dups" -gt 0 ] || [ "$_unkeyed" -gt 0 ] || [ "$_bad" -gt 0 ]; then
        _status=fail
    fi
    printf '{\n  "generated_at": "%s",\n  "check": "ledger replay",\n  "status": "%s",\n  "records": %s,\n  "duplicate_keys": %s,\n  "records_without_key": %s,\n  "signatures_checked": %s,\n  "bad_signatures": %s,\n  "other_key_signatures": %s\n}\n' \
        "$(iso_now)" "$_status" "$_records" "$_dups" "$_unkeyed" "$_checked" "$_bad" "$_other" |
        write_atomic "$REPORT_DIR/replay_latest.json" 2>/dev/null || true
    REPLAY_AT=$(now_s)
    if [ "$_status" = pass ]; then
        REPLAY_OK=1
        log_json info "replay check passed" "\"records\":$_records,\"signatures_checked\":$_checked"
    else
        REPLAY_OK=0
        log_json error "replay check failed" \
            "\"records\":$_records,\"duplicate_keys\":$_dups,\"records_without_key\":$_unkeyed,\"bad_signatures\":$_bad"
    fi
}

# ledger_backup: copy the dataset, restore the copy into LEDGER_RUN and verify it (the backup drill).
ledger_backup() {
    _stamp=$(date -u +%Y%m%dT%H%M%SZ)
    _dst=$BACKUP_DIR/ledger-$_stamp.jsonl
    _status=fail
    _records=0
    _sum=""
    touch "$JSONL" 2>/dev/null
    if cp "$JSONL" "$_dst.tmp" 2>/dev/null && mv -f "$_dst.tmp" "$_dst"; then
        _records=$(grep -c . "$_dst")
        _sum=$(sha256sum "$_dst" | cut -d' ' -f1)
        _restored=$LEDGER_RUN/restore.jsonl
        if cp "$_dst" "$_restored" 2>/dev/null; then
            _rsum=$(sha256sum "$_restored" | cut -d' ' -f1)
            _rrecords=$(grep -c . "$_restored")
            _rdups=$(sed -n 's/.*"entry_id":"\([^"]*\)".*/\1/p' "$_restored" | sort | uniq -d | wc -l)
            if [ "$_rsum" = "$_sum" ] && [ "$_rrecords" -eq "$_records" ] && [ "$_rdups" -eq 0 ]; then
                _status=pass
            fi
            rm -f "$_restored"
        fi
    fi
    _n=$(find "$BACKUP_DIR" -name 'ledger-*.jsonl' | wc -l)
    if [ "$_n" -gt "$backup_keep" ]; then
        find "$BACKUP_DIR" -name 'ledger-*.jsonl' | sort | head -n $((_n - backup_keep)) | xargs rm -f
    fi
    printf '{\n  "generated_at": "%s",\n  "drill": "ledger backup and restore",\n  "status": "%s",\n  "backup_file": "%s",\n  "records": %s,\n  "checksum_sha256": "%s",\n  "restore_verified": %s\n}\n' \
        "$(iso_now)" "$_status" "backups/ledger-$_stamp.jsonl" "$_records" "$_sum" \
        "$([ "$_status" = pass ] && echo true || echo false)" |
        write_atomic "$REPORT_DIR/backup_drill_latest.json" 2>/dev/null || true
    if [ "$_status" = pass ]; then
        BACKUP_OK=1
        BACKUP_AT=$(now_s)
        log_json info "backup taken and restore verified" "\"records\":$_records"
    else
        BACKUP_OK=0
        log_json error "backup or restore verification failed" "\"records\":$_records"
    fi
}

# ledger_prune: retention of the dataset (max age, max records) and of the log file (max lines).
ledger_prune() {
    if [ -s "$JSONL" ]; then
        _min=$(($(now_s) - retention_max_age_seconds))
        _before=$(grep -c . "$JSONL")
        awk -v min="$_min" '
            match($0, /"epoch":[0-9]+/) { if (substr($0, RSTART + 8, RLENGTH - 8) + 0 < min) next }
            NF { print }' "$JSONL" | tail -n "$retention_max_records" >"$JSONL.prune"
        _after=$(grep -c . "$JSONL.prune")
        if [ "$_after" -ne "$_before" ]; then
            mv -f "$JSONL.prune" "$JSONL"
            log_json info "retention pruned the dataset" "\"removed\":$((_before - _after)),\"kept\":$_after"
        else
            rm -f "$JSONL.prune"
        fi
    fi
    if [ -f "$LOG_FILE" ] && [ "$(wc -l <"$LOG_FILE")" -gt "$log_max_lines" ]; then
        tail -n $((log_max_lines / 2)) "$LOG_FILE" | write_atomic "$LOG_FILE" 2>/dev/null || true
    fi
}

# ledger_write_stats: the writer's counters, for the metrics renderer (another process).
ledger_write_stats() {
    printf 'SEQ=%s\nWRITTEN=%s\nERRORS=%s\nLAST_WRITE=%s\nLAG=%s\nREPLAY_OK=%s\nREPLAY_AT=%s\nBACKUP_OK=%s\nBACKUP_AT=%s\n' \
        "$SEQ" "$WRITTEN" "$ERRORS" "$LAST_WRITE" "$LAG" "$REPLAY_OK" "$REPLAY_AT" "$BACKUP_OK" "$BACKUP_AT" |
        write_atomic "$STATS"
}

# ledger_render_metrics: /metrics in Prometheus text format. Ages are computed here, at render time,
# from the writer's last timestamps, so a wedged writer shows up as a growing age.
ledger_render_metrics() {
    # shellcheck source=/dev/null
    [ -f "$STATS" ] && . "$STATS"
    _now=$(now_s)
    _since=$LAST_WRITE
    [ "$_since" -gt 0 ] || _since=$START_EPOCH
    _report=$REPORT_DIR/ledger_latest.json
    _report_at=$START_EPOCH
    [ -f "$_report" ] && _report_at=$(stat -c %Y "$_report")
    _stored=0
    [ -f "$JSONL" ] && _stored=$(grep -c . "$JSONL")
    {
        metric ledger_build_info gauge "Ledger build; value is always 1." 1 \
            '{image="readiness-busybox:1.36",version="1.0.0"}'
        metric ledger_entries_written_total counter "Entries appended since the container started." "$WRITTEN"
        metric ledger_write_errors_total counter "Failed append attempts since the container started." "$ERRORS"
        metric ledger_entries_stored gauge "Records held in the dataset after retention." "$_stored"
        metric ledger_last_entry_number gauge "Number of the last entry_id written (L000000042 -> 42)." "$SEQ"
        metric ledger_last_write_timestamp_seconds gauge "Unix time of the last appended entry." "$LAST_WRITE"
        metric ledger_last_write_age_seconds gauge "Seconds since the last appended entry (freshness)." \
            "$((_now - _since))"
        metric ledger_write_lag_seconds gauge "How late the last append was against its schedule." "$LAG"
        metric ledger_report_age_seconds gauge "Seconds since reports/ledger_latest.json was written." \
            "$((_now - _report_at))"
        metric ledger_replay_ok gauge "1 when the last replay check passed, else 0." "$REPLAY_OK"
        metric ledger_replay_last_run_timestamp_seconds gauge "Unix time of the last replay check." "$REPLAY_AT"
        metric ledger_backup_last_success_timestamp_seconds gauge \
            "Unix time of the last verified backup." "$BACKUP_AT"
    } | write_atomic "$LEDGER_WWW/metrics"
}

# ledger_tick: one writer cycle.
ledger_tick() {
    TICK=$((TICK + 1))
    ledger_append || true
    if [ $((TICK % replay_every_ticks)) -eq 1 ] || [ "$replay_every_ticks" -le 1 ]; then
        ledger_replay
    fi
    if [ $((TICK % backup_every_ticks)) -eq 1 ] || [ "$backup_every_ticks" -le 1 ]; then
        ledger_backup
    fi
    if [ $((TICK % prune_every_ticks)) -eq 0 ]; then
        ledger_prune
    fi
    ledger_write_report
    ledger_write_stats
}

ledger_stop() {
    log_json info "ledger stopping" "\"entries_total\":$SEQ"
    kill "$RENDER_PID" "$HTTPD_PID" 2>/dev/null
    kill "$STDERR_LOG_PID" 2>/dev/null
    exit "${1:-0}"
}

ledger_main() {
    if [ -z "${LEDGER_SIGNING_KEY:-}" ]; then
        log_json error "LEDGER_SIGNING_KEY is not set; refusing to write unsigned entries (start with stack.sh up)"
        exit 1
    fi
    json_stderr
    ledger_setup
    printf 'ok\n' | write_atomic "$LEDGER_WWW/healthz"
    ledger_write_stats
    ledger_render_metrics
    start_httpd 8080 "$LEDGER_WWW"
    (
        trap - TERM INT
        while :; do
            ledger_render_metrics
            pause "$render_interval_seconds"
        done
    ) &
    RENDER_PID=$!
    trap 'ledger_stop 0' TERM INT
    log_json info "ledger started" \
        "\"next_entry\":$((SEQ + 1)),\"interval_seconds\":$write_interval_seconds,\"kid\":\"$KEY_ID\""
    while :; do
        ledger_tick
        if ! alive "$HTTPD_PID" "$RENDER_PID" "$STDERR_LOG_PID"; then
            log_json error "a child process died (httpd, metrics renderer or log relay); exiting for a restart"
            ledger_stop 1
        fi
        pause "$write_interval_seconds"
    done
}
