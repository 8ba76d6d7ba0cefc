#!/usr/bin/env bash
# What remote shards cost a query: FindExperts and SuggestForPost over real
# gRPC on one folder against the same company on two Xapian remote shards
# (xapian-tcpsrv --writable on loopback, docs/operations.md "Topology"),
# back to back, the ratio printed; asserts nothing.
#   bash bench/shards_bench.sh [flags]
# Generates a company (bench/company_generator --seed 1), imports it into a
# folder and, through `import --post-shard`, into two shards; serves both
# (each with its own expertise model, waited for) and runs
# bench/load_bench.cc --mode latency at concurrency 1 against each, one
# after the other, then once more in the other order.
# Then a follower of the sharded writer (`serve --follow`, the writer's
# people/ and private_posts/ replicated into its folder by xapian-replicate
# every second, the shards read through read-only servers): its start-up,
# then --ingest-seconds of ingest through the writer (load_bench --mode
# ingest, UpsertPosts of 20) while a prober writes a marker post to the
# writer every 500 ms and asks the follower for it: how far behind the
# writer the follower answers (marker sent to found on the follower,
# p50/p99), and what its steps cost (the `follow:` lines of its log:
# incremental steps read only what the writer's change log names, full
# reloads read every record).
# Flags:
#   --posts N --people N  size of the company (default 20000, 2000)
#   --seconds N           per latency phase (default 15)
#   --ingest-seconds N    of ingest while the follower follows (default 20)
#   --bin DIR             the build folder (default build): generator,
#                         import and load_bench
#   --server-bin FILE     the whoknows binary to serve with (default
#                         DIR/cli/whoknows: pass another build's to compare)
set -euo pipefail
cd "$(dirname "$0")/.."
posts=20000 people=2000 seconds=15 ingest_seconds=20 bin=build server_bin=""
while [ $# -gt 1 ]; do
  case $1 in
    --posts) posts=$2 ;;
    --people) people=$2 ;;
    --seconds) seconds=$2 ;;
    --ingest-seconds) ingest_seconds=$2 ;;
    --bin) bin=$2 ;;
    --server-bin) server_bin=$2 ;;
    *) echo "shards_bench.sh: unknown flag $1" >&2; exit 2 ;;
  esac
  shift 2
done
whoknows=${server_bin:-$bin/cli/whoknows}
work=$(mktemp -d "${TMPDIR:-/tmp}/whoknows-shards.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -- -"$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=scripts/dev-pki.sh
source scripts/dev-pki.sh
dev_pki "$work/pki" >/dev/null
dev_token "$work/pki" shards-admin admin >"$work/admin.token"
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
echo "shards_bench.sh on $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?'), load average $(cut -d' ' -f1-3 /proc/loadavg)"

"$bin/bench/company_generator" --people "$people" --posts "$posts" --seed 1 \
  --out "$work/company.jsonl" >/dev/null
"$bin/cli/whoknows" import jsonl "$work/company.jsonl" --data "$work/single" >/dev/null

# Two shards, each served writable (xapian-tcpsrv creates the database;
# setsid: its own process group, so that the children it forks a connection
# go with it).
shard_flags=() read_flags=()
for s in 0 1; do
  mkdir -p "$work/shards"
  shard_port=$(free_port)
  setsid xapian-tcpsrv --port "$shard_port" --interface 127.0.0.1 --quiet \
    --writable "$work/shards/shard$s" >"$work/tcpsrv$s.log" 2>&1 &
  pids+=($!)
  shard_flags+=(--post-shard "tcp://127.0.0.1:$shard_port")
done
sleep 1
t0=$(date +%s.%N)
"$bin/cli/whoknows" import jsonl "$work/company.jsonl" --data "$work/sharded" \
  "${shard_flags[@]}" >/dev/null
echo "imported $posts posts, $people people into one folder and into 2 shards (the shards in $(echo "$(date +%s.%N) - $t0" | bc) s)"

serve() {  # NAME DATA [flags...]: starts, waits for SERVING and the model
  local name=$1 data=$2 log="$work/$1.log" port=""
  shift 2
  : >"$log"
  # shellcheck disable=SC2046
  XAPIAN_MAX_CHANGESETS=100 setsid "$whoknows" serve --listen 127.0.0.1:0 --data "$data" \
    $(dev_serve_flags "$work/pki") "$@" >"$log" 2>&1 &
  pids+=($!)
  until [ -n "$port" ]; do
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "serve $name exited: $(cat "$log")" >&2; exit 1; }
    sleep 0.1
    port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$log")
  done
  for _ in $(seq 600); do [ -s "$data/embeddings.bin" ] && break; sleep 1; done
  eval "${name}_port=$port ${name}_pid=${pids[-1]}"
}
serve single "$work/single"
serve sharded "$work/sharded" "${shard_flags[@]}"
sleep 1

latency() {  # NAME
  local port_var=$1_port pid_var=$1_pid
  "$bin/bench/load_bench" --server "127.0.0.1:${!port_var}" \
    --ca "$work/pki/ca.pem" --token "$work/admin.token" \
    --jsonl "$work/company.jsonl" --server-pid "${!pid_var}" --mode latency \
    --concurrency 1 --seconds "$seconds" >"$work/$1.latency"
  sed -n 's/^ *\(FindExperts\|SuggestForPost\) .*p50 \([0-9.]*\) ms.*/\1 \2/p' \
    "$work/$1.latency" | sed "s/^/$1 /"
  grep -E 'FindExperts|SuggestForPost' "$work/$1.latency" | sed "s/^/  [$1] /"
  echo "  load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
for name in single sharded sharded single; do latency "$name"; done

# The follower: read-only servers on the shards (started now that they
# exist), and the writer's people/ and private_posts/ replicated into its
# folder (a first copy, then every second).
for s in 0 1; do
  read_port=$(free_port)
  setsid xapian-tcpsrv --port "$read_port" --interface 127.0.0.1 --quiet \
    "$work/shards/shard$s" >"$work/tcpsrv_read$s.log" 2>&1 &
  pids+=($!)
  read_flags+=(--post-shard "tcp://127.0.0.1:$read_port")
done
master_port=$(free_port)
setsid xapian-replicate-server -I 127.0.0.1 -p "$master_port" "$work/sharded" \
  >"$work/replicate_server.log" 2>&1 &
pids+=($!)
sleep 1
mkdir -p "$work/follower"
for db in people private_posts; do
  xapian-replicate -h 127.0.0.1 -p "$master_port" -m "$db" -o "$work/follower/$db" \
    >"$work/replicate_$db.log" 2>&1
  setsid xapian-replicate -h 127.0.0.1 -p "$master_port" -m "$db" -i 1 -r 0 \
    "$work/follower/$db" >>"$work/replicate_$db.log" 2>&1 &
  pids+=($!)
done
t0=$(date +%s.%N)
serve follower "$work/follower" --follow "${read_flags[@]}"
echo "follower: serving $(echo "$(date +%s.%N) - $t0" | bc) s after launch (every record read from the shards, then the first publish)"
"$bin/bench/load_bench" --server "127.0.0.1:$sharded_port" \
  --ca "$work/pki/ca.pem" --token "$work/admin.token" \
  --jsonl "$work/company.jsonl" --mode ingest --seconds "$ingest_seconds" --batch 20 \
  --writers 1 --rpc upsert --ingest-jsonl "$work/company.jsonl" \
  --probe-server "127.0.0.1:$follower_port" >"$work/follow.ingest"
grep -E '^gRPC ingest|^freshness' "$work/follow.ingest" | sed 's/^/  /'
sleep 5
follow_log() { grep 'follow:' "$work/follower.log" || true; }
echo "  follower steps: $(follow_log | grep -c 'incremental:') incremental, $(follow_log | grep -c 'follow: read ') full reloads"
follow_log | awk '/incremental:/ { n++; posts += $4; if ($11 > r) r = $11; if ($15 > p) p = $15 }
  END { if (n) printf "  incremental steps: %d posts read in all; slowest read %.2f s, slowest publish %.2f s\n", posts, r, p }'
follow_log | { grep -v 'incremental:' || true; } | sed 's/^/  /' | tail -5
echo "  load average $(cut -d' ' -f1-3 /proc/loadavg)"
