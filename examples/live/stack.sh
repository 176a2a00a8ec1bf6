#!/usr/bin/env bash
# The live stack: bring it up, take it down, show it.
#
#   bash examples/live/stack.sh up       # start (or update) the stack and wait until every container is healthy
#   bash examples/live/stack.sh down     # stop and remove its containers, networks and volumes
#   bash examples/live/stack.sh status   # its containers and their health
#
# Idempotent: a second `up` or `down` succeeds and changes nothing. Works from any directory.
# Needs the Docker engine and the local image readiness-busybox:1.36 (scripts/setup-engines.sh
# makes both); builds and pulls nothing.
#
# `up` also prepares state/ (gitignored: the ledger's data, reports and logs, the JUnit XML of its
# tests, and a per-host signing key in state/secrets/) and runs the ledger's unit tests, which
# write state/junit/ledger.xml. Environment:
#   LIVE_PYTHON         python used for the ledger's tests (default: the first of $VIRTUAL_ENV/bin/python,
#                       the repo's .venv, python3, python that imports pytest and prometheus_client,
#                       else pytest alone); the tests are skipped with a warning when there is none
#   LEDGER_SIGNING_KEY  overrides the key in state/secrets/ledger_signing_key
#   LIVE_API_TOKEN      the notifier's hook token (default: a dev value in compose.yml)
#   LIVE_WAIT_TIMEOUT   seconds to wait for healthy containers (default 120)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

PROJECT="readiness-live"
COMPOSE_FILE="compose.yml"
IMAGE="readiness-busybox:1.36"
WAIT_TIMEOUT="${LIVE_WAIT_TIMEOUT:-120}"
STATE="state"
RUNTIME_UID=65534

say() { printf 'stack.sh: %s\n' "$*"; }
die() {
    printf 'stack.sh: error: %s\n' "$*" >&2
    exit 1
}

compose() {
    docker compose -p "$PROJECT" -f "$COMPOSE_FILE" "$@"
}

require_docker() {
    command -v docker >/dev/null 2>&1 ||
        die "the docker CLI is not installed; run scripts/setup-engines.sh (as root) first"
    local out
    if ! out=$(timeout 15 docker version --format '{{.Server.Version}}' 2>&1); then
        die "the docker engine is not reachable at ${DOCKER_HOST:-unix:///var/run/docker.sock}: ${out##*$'\n'}
  start it with scripts/setup-engines.sh (as root)"
    fi
    timeout 15 docker compose version >/dev/null 2>&1 ||
        die "docker compose (v2 CLI plugin) is not available; run scripts/setup-engines.sh (as root)"
}

require_image() {
    timeout 15 docker image inspect "$IMAGE" >/dev/null 2>&1 ||
        die "image $IMAGE is missing (nothing can be pulled here); run scripts/setup-engines.sh (as root) to build it"
}

# state/ledger is bind-mounted into the ledger, which runs as uid 65534 on a read-only root fs.
prepare_state() {
    mkdir -p "$STATE/ledger/outputs" "$STATE/ledger/reports" "$STATE/ledger/logs" "$STATE/ledger/backups" \
        "$STATE/junit" "$STATE/secrets"
    chmod 700 "$STATE/secrets"
    if [[ $(id -u) -eq 0 ]]; then
        chown -R "$RUNTIME_UID:$RUNTIME_UID" "$STATE/ledger"
    else
        chmod -R a+rwX "$STATE/ledger"
    fi
    local key_file="$STATE/secrets/ledger_signing_key"
    if [[ ! -s $key_file ]]; then
        (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$key_file")
        say "generated a ledger signing key in $STATE/secrets/ (rotation: docs/runbooks.md#key-rotation)"
    fi
    if [[ -z ${LEDGER_SIGNING_KEY:-} ]]; then
        LEDGER_SIGNING_KEY="$(cat "$key_file")"
    fi
    export LEDGER_SIGNING_KEY
}

# find_python: a python for the ledger's tests, best first: one with pytest and prometheus_client
# (the exposition-format test needs it), else one with pytest alone (that test is then skipped).
find_python() {
    local need candidate
    for need in 'import pytest, prometheus_client' 'import pytest'; do
        for candidate in ${LIVE_PYTHON:-} ${VIRTUAL_ENV:+"$VIRTUAL_ENV/bin/python"} ../../.venv/bin/python python3 python; do
            if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "$need" >/dev/null 2>&1; then
                command -v "$candidate"
                return 0
            fi
        done
    done
    return 1
}

# The ledger's unit tests (ledger/tests, BusyBox sh functions) -> state/junit/ledger.xml.
run_ledger_tests() {
    local python junit="$STATE/junit/ledger.xml"
    if ! python="$(find_python)"; then
        say "warning: no python with pytest (set LIVE_PYTHON); ledger tests not run, $junit not refreshed"
        return 0
    fi
    if timeout 120 "$python" -m pytest -q -p no:cacheprovider --rootdir ledger -c ledger/pytest.ini \
        --junitxml="$junit" -o junit_suite_name=ledger ledger/tests >"$STATE/junit/ledger.log" 2>&1; then
        say "ledger tests passed ($(tail -n 1 "$STATE/junit/ledger.log")), JUnit in $junit"
    else
        say "warning: ledger tests FAILED, see $STATE/junit/ledger.log; $junit records the failures"
        tail -n 20 "$STATE/junit/ledger.log" | sed 's/^/    /'
    fi
}

report_unhealthy() {
    local id name state health
    for id in $(compose ps -a -q 2>/dev/null); do
        name=$(docker inspect --format '{{.Name}}' "$id" 2>/dev/null | sed 's#^/##')
        state=$(docker inspect --format '{{.State.Status}}' "$id" 2>/dev/null || echo unknown)
        health=$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' \
            "$id" 2>/dev/null || echo unknown)
        [[ $state == running && ($health == healthy || $health == none) ]] && continue
        if [[ $state == running ]]; then
            printf 'stack.sh: not healthy: %s (health: %s)\n' "$name" "$health" >&2
        else
            printf 'stack.sh: not healthy: %s (container %s)\n' "$name" "$state" >&2
        fi
        docker inspect --format '{{if .State.Health}}{{range .State.Health.Log}}probe exit {{.ExitCode}}: {{.Output}}
{{end}}{{end}}' "$id" 2>/dev/null | grep -v '^$' | tail -n 2 | sed 's/^/    /' >&2 || true
        docker logs --tail 5 "$id" 2>&1 | sed 's/^/    log: /' >&2 || true
    done
}

cmd_up() {
    require_docker
    require_image
    prepare_state
    run_ledger_tests
    say "starting project $PROJECT (waiting up to ${WAIT_TIMEOUT}s for healthy containers)"
    if ! compose up -d --remove-orphans --wait --wait-timeout "$WAIT_TIMEOUT"; then
        report_unhealthy
        die "the stack did not become healthy within ${WAIT_TIMEOUT}s (see above); inspect with: bash $HERE/stack.sh status"
    fi
    cmd_status
    say "up: ledger on http://127.0.0.1:18080/metrics and /healthz"
}

cmd_down() {
    require_docker
    compose down -v --remove-orphans --timeout 10
    say "down: project $PROJECT removed (state/ is kept)"
}

cmd_status() {
    require_docker
    compose ps -a --format 'table {{.Service}}\t{{.Name}}\t{{.Status}}\t{{.Ports}}'
}

case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *)
        echo "usage: bash $0 up|down|status" >&2
        exit 2
        ;;
esac
