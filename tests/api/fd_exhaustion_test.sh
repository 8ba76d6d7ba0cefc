#!/usr/bin/env bash
# Finding of the review-attack session (issue 11): idle TCP connections from
# anyone who reaches the port (no TLS handshake, no token) used up the
# server's file descriptors; gRPC logged "Failed accept4: Too many open
# files" and never accepted again, even after the connections were closed
# (grpc/grpc#20418, Debian's grpc 1.51). Here the server starts with a soft
# limit of 128 descriptors under a hard limit of 4,096 (as Debian's 1,024
# under systemd's 524,288) and 300 connections are opened and left idle.
# Expected: `serve` raises its soft limit to the hard one and says so, the
# handshake timeout (1 s here) closes every idle connection, and the server
# answers throughout.
# Usage: fd_exhaustion_test.sh WHOKNOWS_BINARY SOURCE_DIR
set -euo pipefail
bin=$1 src=$2
# shellcheck source=../testing/shell_test.sh
source "$(dirname "$0")/../testing/shell_test.sh"

dev_pki "$work/pki" >/dev/null
token=$(dev_token "$work/pki" u1 employee)
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -gt 4096 ]; then hard=4096; fi
[ "$hard" -ge 1024 ] || {
  echo "SKIP: hard limit on open files is $hard"
  exit 0
}
ulimit -Sn "${WHOKNOWS_FD_LIMIT:-128}"
ulimit -Hn "$hard"
# shellcheck disable=SC2046
start_server "$work/serve.log" "$bin" --data "$work/data" \
  --handshake-timeout-ms 1000 $(dev_serve_flags "$work/pki")
grep -q "open files limit $hard (soft was ${WHOKNOWS_FD_LIMIT:-128}" \
  "$work/serve.log" || fail "serve did not raise its soft limit to $hard"
ask() {
  timeout 20 "$bin" ask kubernetes --server "127.0.0.1:$port" \
    --tls-ca "$work/pki/ca.pem" --token "$token" >/dev/null 2>"$work/ask.err"
}
ask || fail "no answer before the attack: $(cat "$work/ask.err")"

# 300 idle connections (this process raises its own soft limit first); the
# server must close each within a few seconds (handshake timeout 1 s).
python3 - "$port" <<'PY' || fail "idle connections were not closed"
import resource, select, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1])))
         for _ in range(300)]
deadline = time.time() + 15
open_ = set(socks)
while open_ and time.time() < deadline:
    ready, _, _ = select.select(list(open_), [], [], 1)
    for s in ready:
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:
            open_.discard(s)
print(f"{300 - len(open_)} of 300 idle connections closed by the server")
sys.exit(1 if open_ else 0)
PY
ask || fail "no answer after the idle connections: $(cat "$work/ask.err")"
grep -q "Too many open files" "$work/serve.log" &&
  fail "the server ran out of descriptors"
echo PASS
