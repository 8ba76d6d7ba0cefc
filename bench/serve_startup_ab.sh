#!/usr/bin/env bash
# Warm start-up of two `whoknows` binaries on one data folder, alternated
# (A, B, A, B, ...) so that each pair sees about the same load on a shared
# machine: for each start, the seconds from launch to the start line (the
# port is bound), the process's CPU seconds at that moment (all threads,
# from /proc), the load average, and the server's `start-up` line with each
# stage. Prints figures; asserts nothing. Warm the folder first (one
# `serve` started and stopped, with the model persisted: serve_startup.sh)
# so that derived.bin, graph.bin and embeddings.bin are there.
#   bash bench/serve_startup_ab.sh DATA_DIR PAIRS WHOKNOWS_A WHOKNOWS_B
set -uo pipefail
data=${1:?usage: serve_startup_ab.sh DATA_DIR PAIRS WHOKNOWS_A WHOKNOWS_B}
pairs=${2:?pairs}
a=${3:?binary A}
b=${4:?binary B}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

one() {
  local bin=$1 name=$2 t0 pid elapsed cpu
  : >"$log"
  t0=$(date +%s.%N)
  "$bin" serve --data "$data" --listen 127.0.0.1:0 >"$log" 2>&1 &
  pid=$!
  until grep -q '(port [0-9]*)' "$log"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name: serve exited: $(cat "$log")" >&2
      return 1
    fi
    sleep 0.05
  done
  elapsed=$(echo "$(date +%s.%N) - $t0" | bc)
  # utime + stime of the whole process, in clock ticks.
  cpu=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$pid/stat")
  echo "$name wall ${elapsed} s cpu ${cpu} s load $(cut -d' ' -f1 /proc/loadavg)"
  grep 'start-up\|not using' "$log" || true
  kill -TERM "$pid"
  wait "$pid" || true
}

for _ in $(seq 1 "$pairs"); do
  one "$a" A
  one "$b" B
done
