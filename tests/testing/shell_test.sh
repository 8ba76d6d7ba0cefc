# Sourced by the shell tests that run `whoknows serve`, after
# `set -euo pipefail` and with $src set to the source directory:
#   source "$(dirname "$0")/testing/shell_test.sh"
# Sets $work (a temporary directory removed on exit, with the server that
# $server names killed), sources serve.sh and scripts/dev-pki.sh, and defines
#   fail MESSAGE...
# which prints the message and the tail of every $work/serve*.log, and exits 1.
work=$(mktemp -d)
# shellcheck source=serve.sh
source "$(dirname "${BASH_SOURCE[0]}")/serve.sh"
# shellcheck source=../../scripts/dev-pki.sh
source "$src/scripts/dev-pki.sh"
server=""
# The server is waited for: it writes its data folder as it closes
# (derived.bin), which would race the removal.
cleanup() {
  if [ -n "$server" ] && kill "$server" 2>/dev/null; then
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  # A failure under load is hard to reproduce: keep the server's side of it.
  for log in "$work"/serve*.log; do
    [ -f "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }
  done
  exit 1
}
