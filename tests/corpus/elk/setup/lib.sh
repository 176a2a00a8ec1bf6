#!/bin/sh
# Helpers for talking to the Elasticsearch security API.

ES_URL="${ES_URL:-http://elasticsearch:9200}"

es() {
  # es METHOD PATH [JSON-BODY]
  if [ -n "${3:-}" ]; then
    curl -fsS -u "elastic:${ELASTIC_PASSWORD}" -X "$1" -H 'Content-Type: application/json' \
      "${ES_URL}$2" -d "$3"
  else
    curl -fsS -u "elastic:${ELASTIC_PASSWORD}" -X "$1" "${ES_URL}$2"
  fi
}

set_password() {
  # set_password USER PASSWORD
  es POST "/_security/user/$1/_password" "{\"password\":\"$2\"}" >/dev/null
}

ensure_role() {
  # ensure_role NAME FILE
  es PUT "/_security/role/$1" "$(cat "$2")" >/dev/null
}

ensure_user() {
  # ensure_user NAME PASSWORD ROLE
  es PUT "/_security/user/$1" "{\"password\":\"$2\",\"roles\":[\"$3\"]}" >/dev/null
}
