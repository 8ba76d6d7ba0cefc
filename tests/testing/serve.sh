# Sourced by the shell tests: starts `whoknows serve` on a free loopback port
# and waits for its start line.
#   start_server LOG WHOKNOWS [serve flags...]
# Sets $server (the pid) and $port; returns 1, with the log on stderr, when
# the server did not start within 10 s.
start_server() {
  local log=$1 bin=$2
  shift 2
  # The log exists before the server starts: under load the polling below
  # could otherwise read it before the shell has opened it, and fail (set -e).
  : >"$log"
  "$bin" serve --listen 127.0.0.1:0 "$@" >"$log" 2>&1 &
  server=$!
  port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$log")
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  echo "server did not start: $(cat "$log")" >&2
  return 1
}
