#!/usr/bin/env bash
# Start-up of `whoknows serve` on an existing data folder: the time from
# launch to its start line (the port is bound and health says SERVING),
# twice: a cold start (no persisted model yet, or an old one: the model is
# then built in the background) and, once the model is on disk, a warm one.
# Prints figures; asserts nothing. Leaves the folder as it found it, plus
# the model the server persists (embeddings.bin).
#   bash bench/serve_startup.sh [WHOKNOWS] DATA_DIR
set -euo pipefail
bin=${1:-build/cli/whoknows}
data=${2:?usage: serve_startup.sh [WHOKNOWS] DATA_DIR}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

source "$(dirname "$0")/serve_start.sh"
start() { serve_start "$bin" "$data" "$log" || exit 1; }
stop() { serve_stop; }

model="$data/embeddings.bin"
before=$(stat -c %Y "$model" 2>/dev/null || echo 0)
start
echo "cold start to the port (SERVING once the model is built): ${elapsed} s ($(grep -o '[0-9]* people, [0-9]* posts, [0-9]* graph ties' "$log"))"
grep 'start-up' "$log" || true
t0=$(date +%s.%N)
while [ "$(stat -c %Y "$model" 2>/dev/null || echo 0)" = "$before" ]; do
  sleep 0.2
done
sleep 1  # the model file is renamed into place; let the write settle
echo "model built and persisted in the background: $(echo "$(date +%s.%N) - $t0" | bc) s after SERVING"
stop
start
echo "warm start to SERVING (persisted model): ${elapsed} s"
grep 'start-up' "$log" || true
stop
