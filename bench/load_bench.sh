#!/usr/bin/env bash
# Starts `whoknows serve` on a fresh import of the demo company (TLS and
# tokens from scripts/dev-pki.sh) and runs bench/load_bench.cc against it.
#   bash bench/load_bench.sh [WHOKNOWS] [LOAD_BENCH] [SECONDS] [serve flags...]
# Defaults: build/cli/whoknows, build/bench/load_bench, 20 s per phase.
# Pass another build's binary as WHOKNOWS to compare servers with the same
# client (e.g. the main branch's). LOAD_BENCH_ARGS adds flags of the
# client, e.g. LOAD_BENCH_ARGS="--mode typing --threads 8" for what the
# intranet's question box costs (FindExperts, then SuggestForPost).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/cli/whoknows}
bench=${2:-build/bench/load_bench}
seconds=${3:-20}
shift $(($# < 3 ? $# : 3))
work=$(mktemp -d "${TMPDIR:-/tmp}/whoknows-load.XXXXXX")
# shellcheck source=scripts/dev-pki.sh
source scripts/dev-pki.sh
# shellcheck source=tests/testing/serve.sh
source tests/testing/serve.sh
dev_pki "$work/pki" >/dev/null
dev_token "$work/pki" load-admin admin >"$work/admin.token"
"$bin" import jsonl data/demo/company.jsonl --data "$work/data" >/dev/null
# shellcheck disable=SC2046
start_server "$work/serve.log" "$bin" --data "$work/data" \
  $(dev_serve_flags "$work/pki") "$@"
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
# shellcheck disable=SC2086 # LOAD_BENCH_ARGS is split into flags
"$bench" --server "127.0.0.1:$port" --ca "$work/pki/ca.pem" \
  --token "$work/admin.token" --seconds "$seconds" --server-pid "$server" \
  ${LOAD_BENCH_ARGS:-}
