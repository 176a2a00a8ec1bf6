#!/bin/sh
# Sidekiq sets its process title to "sidekiq 7.x.y storefront [n of 10 busy]".
ps ax -o args= | grep -q '^sidekiq 7'
