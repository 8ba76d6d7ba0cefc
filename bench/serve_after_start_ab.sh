#!/usr/bin/env bash
# What a server spends in its first seconds, beyond start-up: the process's
# CPU time (utime + stime) from launch to SECONDS after SERVING, and whether
# graph.tsv was written between launch and the end of the stop that follows,
# for two binaries on two copies of a folder, in pairs A B; asserts nothing.
#   bash bench/serve_after_start_ab.sh BIN_A DATA_A BIN_B DATA_B [PAIRS] [SECONDS]
# Each DATA should have been started and stopped once by its own binary
# (what a close persists is then that binary's). Serving uses
# bench/serve_start.sh, as bench/serve_startup_ab.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
bin_a=${1:?usage: serve_after_start_ab.sh BIN_A DATA_A BIN_B DATA_B [PAIRS] [SECONDS]}
data_a=${2:?} bin_b=${3:?} data_b=${4:?} pairs=${5:-3} seconds=${6:-20}
source bench/serve_start.sh
log=$(mktemp "${TMPDIR:-/tmp}/serve_after_start.XXXXXX")
trap 'rm -f "$log"' EXIT
tsv_written() { stat -c '%i %Z %Y' "$1/graph.tsv" 2>/dev/null || echo none; }
ticks=$(getconf CLK_TCK)
echo "serve_after_start_ab.sh on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for pair in $(seq 1 "$pairs"); do
  for side in A B; do
    if [ $side = A ]; then bin=$bin_a data=$data_a; else bin=$bin_b data=$data_b; fi
    before=$(tsv_written "$data")
    serve_start "$bin" "$data" "$log"
    to_serving=$elapsed
    sleep "$seconds"
    read -r utime stime < <(awk '{print $14, $15}' "/proc/$server/stat")
    serve_stop
    after=$(tsv_written "$data")  # the close's writes included
    cpu=$(echo "scale=2; ($utime + $stime) / $ticks" | bc)
    echo "pair $pair $side: SERVING after ${to_serving} s; CPU to ${seconds} s after: ${cpu} s; graph.tsv $([ "$before" = "$after" ] && echo kept || echo written)"
  done
done
