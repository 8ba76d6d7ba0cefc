#!/usr/bin/env bash
# Certificate and key rotation of a running `whoknows serve` by SIGHUP: a
# half-done rotation (a new certificate, the old key) keeps the current
# files and says why; the whole rotation makes clients trusting the new CA
# with tokens of the new signing key connect, and the old ones fail.
# Usage: serve_reload_test.sh WHOKNOWS_BINARY SOURCE_DIR
set -euo pipefail
bin=$1 src=$2
# shellcheck source=testing/shell_test.sh
source "$(dirname "$0")/testing/shell_test.sh"

dev_pki "$work/a" >/dev/null
dev_pki "$work/b" >/dev/null
mkdir "$work/live"
cp "$work"/a/{server.pem,server.key,jwt.pem} "$work/live/"
start_server "$work/serve.log" "$bin" --data "$work/data" \
  --tls-cert "$work/live/server.pem" --tls-key "$work/live/server.key" \
  --jwt-keys "$work/live/jwt.pem" --jwt-issuer "$DEV_ISSUER"

# ask CA_GENERATION TOKEN_GENERATION: the exit status of `whoknows ask`.
ask() {
  local token
  token=$(dev_token "$work/$2" u1 employee)
  timeout 30 "$bin" ask kubernetes --server "127.0.0.1:$port" \
    --tls-ca "$work/$1/ca.pem" --token "$token" >/dev/null 2>"$work/ask.err" \
    && echo 0 || echo 1
}
# SIGHUP, then wait for the server to say it handled it.
hup() {
  local before
  before=$(grep -c "SIGHUP" "$work/serve.log" || true)
  kill -HUP "$server"
  for _ in $(seq 100); do
    [ "$(grep -c "SIGHUP" "$work/serve.log" || true)" -gt "$before" ] && return 0
    sleep 0.1
  done
  fail "no log line for SIGHUP"
}

[ "$(ask a a)" = 0 ] || fail "CA a, token a before the rotation: $(cat "$work/ask.err")"
[ "$(ask b b)" = 1 ] || fail "CA b connected before the rotation"

cp "$work/b/server.pem" "$work/live/server.pem"
hup
grep -q "SIGHUP: --tls-key: does not match" "$work/serve.log" ||
  fail "a certificate without its key was not refused"
[ "$(ask a a)" = 0 ] || fail "a half rotation broke the current certificate: $(cat "$work/ask.err")"

cp "$work/b/server.key" "$work/live/server.key"
cp "$work/b/jwt.pem" "$work/live/jwt.pem"
hup
grep -q "SIGHUP: reloaded" "$work/serve.log" || fail "no reload"
[ "$(ask b b)" = 0 ] || fail "CA b, token b after the rotation: $(cat "$work/ask.err")"
[ "$(ask a b)" = 1 ] || fail "CA a still trusts the server after the rotation"
[ "$(ask b a)" = 1 ] || fail "a token of the old key was accepted"
grep -q "bad token signature" "$work/ask.err" || fail "old token: $(cat "$work/ask.err")"

kill -TERM "$server"
wait "$server" || fail "serve exited $? on SIGTERM"
server=""
echo "PASS"
