# Sourced by serve_startup.sh and serve_startup_ab.sh: one `whoknows serve`
# started on a data folder and waited for, the same way in both.

# serve_start BIN DATA LOG: starts BIN's serve on DATA (output to LOG); sets
# $server (its pid) and $elapsed (seconds from launch to its start line:
# the port is bound and health says SERVING). Returns 1, with the log on
# stderr, when serve exits first.
serve_start() {
  local bin=$1 data=$2 log=$3 t0
  : >"$log"
  t0=$(date +%s.%N)
  "$bin" serve --data "$data" --listen 127.0.0.1:0 >"$log" 2>&1 &
  server=$!
  until grep -q '(port [0-9]*)' "$log"; do
    if ! kill -0 "$server" 2>/dev/null; then
      echo "serve exited: $(cat "$log")" >&2
      return 1
    fi
    sleep 0.05
  done
  elapsed=$(echo "$(date +%s.%N) - $t0" | bc)
}

# Stops the server serve_start started (its close writes what it persists).
serve_stop() {
  kill -TERM "$server"
  wait "$server" || true
}
