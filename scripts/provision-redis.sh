#!/usr/bin/env bash
# Installs Debian's redis-server for the queue tests (test/queue/*.test.ts start and stop
# their own instance on 127.0.0.1, on a free port, without persistence). Does nothing
# when redis-server is already on PATH. CI machines start with Node, npm, python3, make
# and g++ only, as root; apt-get update runs once before the install.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  echo "provision-redis: $(redis-server --version | head -n1)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "provision-redis: redis-server is missing and this is not root (no sudo): install the redis-server package" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends redis-server
# The package's service is not needed (and may not start without systemd): the tests run their own.
echo "provision-redis: $(redis-server --version | head -n1)"
