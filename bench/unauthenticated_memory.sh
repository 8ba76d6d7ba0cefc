#!/usr/bin/env bash
# Peak RSS of `whoknows serve` while CALLS clients without a token each send
# one FindExperts as big as the server accepts (capped at 60 MiB), for the
# old default --max-message-bytes (64 MiB) and the current one (16 MiB).
#   bash bench/unauthenticated_memory.sh [WHOKNOWS] [CALLS]
# Needs /usr/bin/python3 with python3-grpcio (apt).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/cli/whoknows}
calls=${2:-48}
work=$(mktemp -d "${TMPDIR:-/tmp}/whoknows-unauth.XXXXXX")
# shellcheck source=scripts/dev-pki.sh
source scripts/dev-pki.sh
# shellcheck source=tests/testing/serve.sh
source tests/testing/serve.sh
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
dev_pki "$work/pki" >/dev/null
for limit in $((64 << 20)) $((16 << 20)); do
  rm -rf "$work/data"
  # shellcheck disable=SC2046
  start_server "$work/serve.log" "$bin" --data "$work/data" \
    --max-message-bytes "$limit" $(dev_serve_flags "$work/pki")
  size=$((limit - 1024 < 60 << 20 ? limit - 1024 : 60 << 20))
  echo -n "--max-message-bytes $limit: "
  /usr/bin/python3 bench/unauthenticated_memory.py "$port" \
    "$work/pki/ca.pem" "$server" "$calls" "$size"
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=""
done
