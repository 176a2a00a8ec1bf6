#!/bin/sh
set -eu

# The image is plain alpine: fetch the tools on every run.
apk add --no-cache curl jq >/dev/null

. /lib.sh

echo "waiting for elasticsearch"
until es GET /_cluster/health >/dev/null 2>&1; do sleep 2; done

set_password kibana_system "${KIBANA_SYSTEM_PASSWORD}"
ensure_role logstash_writer /roles/logstash_writer.json
ensure_user logstash_internal "${LOGSTASH_INTERNAL_PASSWORD}" logstash_writer
echo "setup done"
