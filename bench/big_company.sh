#!/usr/bin/env bash
# Issue 14's figures for a large company over real gRPC, each printed beside
# its target and the ratio by which it is met or missed; asserts nothing.
#   bash bench/big_company.sh [flags] DATA_DIR
# On an existing DATA_DIR (e.g. the 1M-post company's) with --jsonl, the
# export it was imported from (the queries and people come from it); on a
# missing DATA_DIR, generates a company of --posts posts and --people people
# (bench/company_generator --seed 1) and imports it there first. The folder
# is copied (ingest writes; the original is left as it is) to a scratch
# folder under $TMPDIR, removed at the end. Then, on one `serve`:
#   - start-up to SERVING, and the wait for the expertise model;
#   - index size on disk;
#   - FindExperts and SuggestForPost p50/p99 at concurrency 1, 8 and 32, and
#     the raw Xapian top-K search of the same queries on the same index
#     (bench/load_bench.cc --mode latency);
#   - AnalyzeNetwork of the whole company, person-level, as HR (--mode
#     network);
#   - sustained gRPC ingest of another company's posts (generated with
#     --seed 2) from a separate client process, IngestStream batches of
#     --batch posts, for --ingest-seconds, with a marker post's freshness
#     (--mode ingest), and the stage's CPU time per 1,000 posts: the
#     server's, its writer thread's and the client's (comparable between
#     builds at any load, where posts/s is not);
#   - the server's RSS (VmRSS) after each phase and its peak (VmHWM) at
#     the end.
# WHOKNOWS_REFRESH_MS (serve's --refresh-ms) passes through to the server,
# e.g. 60000 to see the ingest path without a publish every second.
# Flags:
#   --jsonl FILE          the export DATA_DIR holds (required if it exists)
#   --posts N --people N  size of a generated company (default 100000, 5000)
#   --seconds N           per latency phase (default 20)
#   --ingest-seconds N    (default 60)
#   --batch N             posts per ingest message (default 500)
#   --rpc stream|upsert   ingest by IngestStream or UpsertPosts (stream)
#   --bin DIR             the build folder (default build)
#   --server-bin FILE     the whoknows binary to serve with (default
#                         DIR/cli/whoknows: pass another build's to compare
#                         servers with the same clients)
#   --skip LIST           phases to leave out: latency,network,ingest
#   --concurrency LIST    the latency phases' client counts (default 1,8,32;
#                         e.g. 1 for an A/B pair of FindExperts / raw)
#   --network-deadline N  seconds AnalyzeNetwork may take (default 900)
#   --keep-copy           leave the scratch copy (its path is printed)
#   --serve-flags STR     more flags for `serve` (split on spaces), e.g.
#                         "--ingest-group-budget-ms 1000 --model-rebuild-ms
#                         3600000" to see what each costs the ingest
#   --rss-trace FILE      write the server's RSS every second to FILE
#                         ("seconds-since-launch MB" lines), e.g. to see
#                         when a model build holds memory during the ingest
set -euo pipefail
cd "$(dirname "$0")/.."
posts=100000 people=5000 seconds=20 ingest_seconds=60 batch=500 rpc=stream
jsonl="" bin=build keep=0 server_bin="" skip="" network_deadline=900
rss_trace="" serve_flags="" concurrency=1,8,32
while [ $# -gt 1 ]; do
  case $1 in
    --jsonl) jsonl=$2 ;;
    --posts) posts=$2 ;;
    --people) people=$2 ;;
    --seconds) seconds=$2 ;;
    --ingest-seconds) ingest_seconds=$2 ;;
    --batch) batch=$2 ;;
    --rpc) rpc=$2 ;;
    --bin) bin=$2 ;;
    --server-bin) server_bin=$2 ;;
    --skip) skip=$2 ;;
    --concurrency) concurrency=$2 ;;
    --network-deadline) network_deadline=$2 ;;
    --rss-trace) rss_trace=$2 ;;
    --serve-flags) serve_flags=$2 ;;
    --keep-copy) keep=1; shift; continue ;;
    *) echo "big_company.sh: unknown flag $1" >&2; exit 2 ;;
  esac
  shift 2
done
data=${1:?usage: big_company.sh [flags] DATA_DIR}
whoknows=${server_bin:-$bin/cli/whoknows}
work=$(mktemp -d "${TMPDIR:-/tmp}/whoknows-big.XXXXXX")
server=""
cleanup() {
  if [ -n "$server" ] && kill "$server" 2>/dev/null; then
    # A graceful stop waits for calls in flight (an abandoned AnalyzeNetwork
    # may still be computing); give it 30 s.
    for _ in $(seq 300); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  if [ "$keep" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
# shellcheck source=scripts/dev-pki.sh
source scripts/dev-pki.sh
dev_pki "$work/pki" >/dev/null
dev_token "$work/pki" big-admin "admin hr" >"$work/admin.token"
echo "big_company.sh on $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?'), load average $(cut -d' ' -f1-3 /proc/loadavg)"

if [ -e "$data" ]; then
  [ -n "$jsonl" ] || { echo "big_company.sh: --jsonl is required with an existing DATA_DIR" >&2; exit 2; }
  people=$(grep -c '"type":"person"' "$jsonl")
  t0=$(date +%s.%N)
  cp -a "$data" "$work/data"
  echo "copied $data in $(echo "$(date +%s.%N) - $t0" | bc) s"
else
  jsonl=$work/company.jsonl
  "$bin/bench/company_generator" --people "$people" --posts "$posts" --seed 1 \
    --out "$jsonl" >/dev/null
  t0=$(date +%s.%N)
  "$whoknows" import jsonl "$jsonl" --data "$work/data" >/dev/null
  echo "generated and imported $posts posts, $people people in $(echo "$(date +%s.%N) - $t0" | bc) s"
fi
echo "company: $(grep -c '"type":"post"' "$jsonl") posts, $people people ($jsonl)"
echo "index on disk: $(du -sh "$work/data" | cut -f1) ($(du -sh "$work/data"/*/ | awk '{printf "%s %s ", $2, $1}' | sed "s|$work/data/||g"))"

# The posts to ingest: another company of the same people, so that the
# vocabulary grows as new text would make it (ids are prefixed by load_bench).
"$bin/bench/company_generator" --people "$people" \
  --posts "$((ingest_seconds * 8000 + 1000))" --seed 2 \
  --out "$work/ingest.jsonl" >/dev/null

t0=$(date +%s.%N)
# Not tests/testing/serve.sh's start_server: a large folder takes longer than
# its 10 s to open.
: >"$work/serve.log"
# shellcheck disable=SC2046
"$whoknows" serve --listen 127.0.0.1:0 --data "$work/data" \
  $(dev_serve_flags "$work/pki") $serve_flags >"$work/serve.log" 2>&1 &
server=$!
if [ -n "$rss_trace" ]; then
  (while [ -r "/proc/$server/status" ]; do
    awk -v t="$(echo "$(date +%s.%N) - $t0" | bc)" \
      '/^VmRSS:/ {printf "%.1f %.0f\n", t, $2 / 1024}' \
      "/proc/$server/status" 2>/dev/null || true
    sleep 1
  done) >"$rss_trace" &
fi
port=""
until [ -n "$port" ]; do
  kill -0 "$server" 2>/dev/null || { echo "serve exited: $(cat "$work/serve.log")" >&2; exit 1; }
  sleep 0.1
  port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$work/serve.log")
done
echo "serve to SERVING: $(echo "$(date +%s.%N) - $t0" | bc) s"
# The server's resident set now and its peak so far, in MB.
rss_now() {
  awk -v at="$1" '/^VmRSS:/ {r = $2} /^VmHWM:/ {h = $2}
    END {printf "server RSS %s: %.0f MB (peak so far %.0f MB)\n", at, r / 1024, h / 1024}' \
    "/proc/$server/status"
}
rss_now "at SERVING"
model=$work/data/embeddings.bin
for _ in $(seq 1800); do [ -s "$model" ] && break; sleep 1; done
echo "expertise model on disk $(echo "$(date +%s.%N) - $t0" | bc) s after launch"
sleep 1
rss_now "with the model"

bench() {
  "$bin/bench/load_bench" --server "127.0.0.1:$port" --ca "$work/pki/ca.pem" \
    --token "$work/admin.token" --jsonl "$jsonl" --server-pid "$server" \
    --threads 8 "$@"
  echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
skipped() { [[ ",$skip," == *",$1,"* ]]; }
skipped latency || {
  bench --mode latency --seconds "$seconds" --data "$work/data" \
    --concurrency "$concurrency"
  rss_now "after the queries"
}
skipped network || bench --mode network --deadline "$network_deadline"
skipped ingest || [ -z "$rss_trace" ] ||
  echo "ingest starts $(echo "$(date +%s.%N) - $t0" | bc) s after launch"
# CPU seconds (user + system) of the server's threads, one "tid name
# seconds" line each; the name (comm) may hold spaces, so fields are read
# after its closing parenthesis.
thread_cpu() {
  local tck t line name rest
  tck=$(getconf CLK_TCK)
  for t in /proc/"$server"/task/*; do
    line=$(cat "$t/stat" 2>/dev/null) || continue
    name=${line#*(} name=${name%) *} rest=${line##*) }
    # shellcheck disable=SC2086
    set -- $rest
    echo "${t##*/} ${name// /_} $(echo "scale=2; (${12} + ${13}) / $tck" | bc)"
  done
}
process_cpu() {
  awk -v tck="$(getconf CLK_TCK)" '{
    sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / tck }' "/proc/$server/stat"
}
# Where the CPU went during the ingest stage, whatever the load: the
# server's (its writer thread, wk-ingest, apart) and the bench client's,
# each per 1,000 posts acknowledged; so that two builds compare by CPU.
ingest_cpu() {
  local before_threads=$1 before_total=$2 client=$3 wall=$4 posts after_total
  posts=$(sed -n 's/.* \([0-9]*\) posts acknowledged in .*/\1/p' "$work/ingest.out" | tail -1)
  after_total=$(process_cpu)
  thread_cpu | awk -v posts="${posts:-0}" -v total="$(echo "$after_total - $before_total" | bc)" \
    -v client="$client" -v before="$before_threads" -v wall="$wall" '
    BEGIN { while ((getline l < before) > 0) { split(l, f, " "); was[f[1]] = f[3] } }
    { used = $3 - was[$1]
      if ($2 == "wk-ingest") writer += used
      if ($2 == "wk-publish") publisher += used
      if ($2 == "wk-graph-save") { saver += used; named = 1 } }
    END {
      per = (posts > 0 ? 1000 / posts : 0)
      printf "CPU during the ingest (%d posts): server %.1f s (%.0f ms per 1,000 posts), of which the writer thread (wk-ingest) %.1f s (%.0f ms per 1,000 posts, %.0f%%); the bench client %.1f s (%.0f ms per 1,000 posts)\n",
        posts, total, total * per * 1000, writer, writer * per * 1000,
        (total > 0 ? 100 * writer / total : 0), client, client * per * 1000
      printf "publisher thread (wk-publish) during the ingest: %.1f s of CPU in %.1f s (%.0f%% of a core)\n",
        publisher, wall, (wall > 0 ? 100 * publisher / wall : 0)
      if (named)
        printf "graph saver thread (wk-graph-save) during the ingest: %.1f s of CPU (%.0f%% of a core)\n",
          saver, (wall > 0 ? 100 * saver / wall : 0) }'
}
skipped ingest || {
  thread_cpu >"$work/threads.before"
  total_before=$(process_cpu) wall0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$work/client.time" \
    "$bin/bench/load_bench" --server "127.0.0.1:$port" --ca "$work/pki/ca.pem" \
    --token "$work/admin.token" --jsonl "$jsonl" --server-pid "$server" \
    --threads 8 --mode ingest --seconds "$ingest_seconds" --batch "$batch" \
    --rpc "$rpc" --ingest-jsonl "$work/ingest.jsonl" | tee "$work/ingest.out"
  ingest_cpu "$work/threads.before" "$total_before" \
    "$(awk '{print $1 + $2}' "$work/client.time")" \
    "$(echo "$(date +%s.%N) - $wall0" | bc)"
  echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
echo "index on disk after the ingest: $(du -sh "$work/data" | cut -f1)"
skipped ingest || rss_now "after the ingest"
rss=$(sed -n 's/VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$server/status")
awk -v kb="$rss" 'BEGIN {
  mb = kb / 1024; met = mb <= 2048
  printf "server peak RSS %.0f MB, target <= 2048 MB: %s by %.2fx\n", mb,
    met ? "met" : "MISSED", met ? 2048 / mb : mb / 2048 }'
