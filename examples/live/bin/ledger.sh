#!/bin/sh
# ledger: the live stack's exemplary service (BusyBox only, no build).
#   - appends one signed, keyed JSON record per tick to outputs/ledger.jsonl (restart-safe keys)
#   - writes reports/ledger_latest.json (generated_at, status) every tick, a replay check and a
#     backup/restore drill on their own cadence
#   - serves /healthz and /metrics (ledger_last_write_age_seconds, counters) with busybox httpd
#   - logs JSON lines with a level field to stdout and to logs/ledger.log
# Settings: /etc/ledger/ledger.conf (examples/live/ledger/ledger.conf). Secret: LEDGER_SIGNING_KEY.
set -u
SERVICE=ledger
LIVE_BIN=${LIVE_BIN:-/opt/live/bin}
# shellcheck source=lib.sh
. "$LIVE_BIN/lib.sh"
# shellcheck source=../ledger/ledger.conf
. "${LEDGER_CONFIG:-/etc/ledger/ledger.conf}"
# shellcheck source=ledger-lib.sh
. "$LIVE_BIN/ledger-lib.sh"
ledger_main
