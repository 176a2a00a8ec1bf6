#!/bin/sh
# Rails 7.1 health endpoint (/up): 200 when the app boots without exceptions.
set -eu
curl -fsS --max-time 4 -o /dev/null "http://127.0.0.1:3000/up"
