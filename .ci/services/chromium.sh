#!/usr/bin/env bash
# Headless Chromium for tests/test_report.py (the HTML report opened in a real browser).
#   .ci/services/chromium.sh start   # install Debian's chromium if it is missing (idempotent)
#   .ci/services/chromium.sh stop    # nothing runs in the background: each test starts and
#                                    # ends its own browser process
set -euo pipefail

case "${1:-start}" in
  start)
    if command -v chromium >/dev/null 2>&1; then
      echo "chromium: $(chromium --version 2>/dev/null)"
      exit 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
      echo "chromium is missing and installing it needs root (apt-get install chromium)" >&2
      exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
    echo "chromium: installed $(chromium --version 2>/dev/null)"
    ;;
  stop)
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
