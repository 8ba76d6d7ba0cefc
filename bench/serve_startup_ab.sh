#!/usr/bin/env bash
# Warm start-up of two `whoknows` binaries on one data folder, alternated
# (A, B, A, B, ...) so that each pair sees about the same load on a shared
# machine: for each start, the seconds from launch to the start line (the
# port is bound), the process's CPU seconds at that moment (all threads,
# from /proc), the load average, and the server's `start-up` line with each
# stage. Prints figures; asserts nothing. Warm the folder first (one
# `serve` started and stopped, with the model persisted: serve_startup.sh)
# so that derived.bin, graph.bin and embeddings.bin are there. FILEs, when
# given, are removed from the folder before each start (graph.bin: the
# start a folder left by an older `import` gets). A file NAME.A (NAME.B)
# in the folder is copied to NAME before each start of A (of B): for two
# binaries whose formats of NAME differ (derived.bin), one copy of the
# folder serves both.
#   bash bench/serve_startup_ab.sh DATA_DIR PAIRS WHOKNOWS_A WHOKNOWS_B [FILE...]
set -uo pipefail
data=${1:?usage: serve_startup_ab.sh DATA_DIR PAIRS WHOKNOWS_A WHOKNOWS_B}
pairs=${2:?pairs}
a=${3:?binary A}
b=${4:?binary B}
remove=("${@:5}")
log=$(mktemp)
trap 'rm -f "$log"' EXIT

source "$(dirname "$0")/serve_start.sh"

one() {
  local bin=$1 name=$2 cpu file
  for file in "${remove[@]}"; do rm -f "$data/$file"; done
  for file in "$data"/*."$name"; do
    [ -e "$file" ] && cp "$file" "${file%."$name"}"
  done
  serve_start "$bin" "$data" "$log" || {
    echo "$name: serve exited" >&2
    return 1
  }
  # utime + stime of the whole process, in clock ticks.
  cpu=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$server/stat")
  echo "$name wall ${elapsed} s cpu ${cpu} s load $(cut -d' ' -f1 /proc/loadavg)"
  grep 'start-up\|not using' "$log" || true
  serve_stop
}

for _ in $(seq 1 "$pairs"); do
  one "$a" A
  one "$b" B
done
