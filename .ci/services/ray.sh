#!/usr/bin/env bash
# A Ray head on this machine for the `ray`-marked tests and `hydra/launcher=ray`.
#
#   .ci/services/ray.sh start    `ray start --head` on 127.0.0.1 (loopback only) with as many
#                                CPUs as `nproc`, a 256 MB object store and no dashboard;
#                                waits until `ray status` answers
#   .ci/services/ray.sh status   `ray status`
#   .ci/services/ray.sh stop     `ray stop`
#
# Idempotent: `start` on a running head only checks it. Uses the `ray` next to this checkout's
# venv (.venv/bin/ray, from the `cluster` extra) or else the one on PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."
RAY=${RAY:-$( [[ -x .venv/bin/ray ]] && echo .venv/bin/ray || command -v ray || true)}
PORT=${RAY_PORT:-6379}
# A loopback-only head for tests: Ray 2.5x's token authentication would make every client (the
# tests, the launcher's workers) need the head's token; it guards nothing on 127.0.0.1.
export RAY_AUTH_MODE=${RAY_AUTH_MODE:-disabled}
WAIT_S=${RAY_WAIT_S:-60}
[[ -n "$RAY" ]] || { echo "ray.sh: no ray found: pip install '.[cluster]'" >&2; exit 1; }

up() { "$RAY" status --address="127.0.0.1:$PORT" >/dev/null 2>&1; }

start() {
    if up; then echo "ray.sh: head already up on 127.0.0.1:$PORT" >&2; return; fi
    OMP_NUM_THREADS=1 RAY_USAGE_STATS_ENABLED=0 "$RAY" start --head \
        --node-ip-address=127.0.0.1 --port="$PORT" --num-cpus="$(nproc)" \
        --object-store-memory=$((256 * 1024 * 1024)) --include-dashboard=false \
        --disable-usage-stats >/dev/null
    for _ in $(seq $((WAIT_S * 2))); do
        if up; then echo "ray.sh: head up on 127.0.0.1:$PORT" >&2; return; fi
        sleep 0.5
    done
    echo "ray.sh: the head did not answer within ${WAIT_S}s (see /tmp/ray/session_latest/logs)" >&2
    exit 1
}

case "${1:-}" in
    start) start ;;
    stop) "$RAY" stop >/dev/null 2>&1 || true; echo "ray.sh: stopped" >&2 ;;
    status) "$RAY" status --address="127.0.0.1:$PORT" ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
