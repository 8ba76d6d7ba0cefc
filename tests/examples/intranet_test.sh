#!/usr/bin/env bash
# The intranet example (examples/intranet) end to end: `whoknows serve` on
# loopback with the demo company (TLS, tokens), the Node.js page in front of
# it with the intranet's service-account token, and headless Chromium
# driving the page (intranet_test.js). Also the page's JSON endpoints: input
# limits and gRPC errors as HTTP codes.
# Usage: intranet_test.sh WHOKNOWS SOURCE_DIR BUILD_DIR
# npm dependencies come from examples/intranet/package-lock.json into
# BUILD_DIR/intranet (`npm ci`). Exit 77 (skipped) without node or chromium,
# unless CI is set.
set -euo pipefail
whoknows=$1
src=$2
build=$3
# shellcheck source=../testing/serve.sh
source "$src/tests/testing/serve.sh"
# shellcheck source=../../scripts/dev-pki.sh
source "$src/scripts/dev-pki.sh"

skip() {
  if [ -n "${CI:-}" ]; then echo "FAIL: $1" >&2; exit 1; fi
  echo "SKIP: $1"; exit 77
}
command -v node >/dev/null || skip "node is not installed (scripts/install-deps.sh)"
command -v npm >/dev/null || skip "npm is not installed (scripts/install-deps.sh)"
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || skip "chromium is not installed (scripts/install-deps.sh)"

# The example's locked dependencies, installed again only when the lock
# file changes.
deps=$build/intranet
if ! cmp -s "$src/examples/intranet/package-lock.json" "$deps/package-lock.json" ||
  [ ! -d "$deps/node_modules/playwright-core" ]; then
  mkdir -p "$deps"
  cp "$src/examples/intranet/package.json" "$src/examples/intranet/package-lock.json" "$deps/"
  npm ci --silent --no-audit --no-fund --prefix "$deps" >/dev/null
fi
export NODE_PATH=$deps/node_modules
node --test "$src/tests/examples/intranet_api_test.js"

work=$(mktemp -d "${TMPDIR:-/tmp}/whoknows_intranet.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $1" >&2; exit 1; }

# The demo company and one post whose title and body are markup.
cp "$src/data/demo/company.jsonl" "$work/company.jsonl"
cat >>"$work/company.jsonl" <<'JSONL'
{"type":"post","id":"p99001","author_id":"u0100","thread_id":"p99001","parent_id":"","kind":"article","title":"Zylofon <img src=x onerror=window.__xss=1> in the lobby","body":"The zylofon in the lobby is tuned every spring. <script>window.__xss=2</script><b onmouseover=alert(1)>bold</b>","tags":["facilities"],"language":"en","created":"2025-06-01T10:00:00Z","visibility":"public","accepted":false,"liked_by":[],"mentioned":[]}
JSONL
"$whoknows" import jsonl "$work/company.jsonl" --data "$work/data" >/dev/null

dev_pki "$work/pki"
dev_token "$work/pki" intranet-web intranet >"$work/intranet.token"
dev_token "$work/pki" u0001 employee >"$work/employee.token"
# shellcheck disable=SC2046
start_server "$work/serve.log" "$whoknows" --data "$work/data" \
  $(dev_serve_flags "$work/pki") || fail "whoknows serve did not start"
pids+=("$server")

# start_page LOG TOKEN_FILE: the page on a free port; sets $page_url.
# shellcheck disable=SC2154 # $port is set by start_server
start_page() {
  local log=$1
  : >"$log"
  WHOKNOWS_SERVER=127.0.0.1:$port WHOKNOWS_CA=$work/pki/ca.pem \
    WHOKNOWS_TOKEN_FILE=$2 WHOKNOWS_PROTO_DIR=$src/proto INTRANET_USER=u0222 \
    LISTEN=127.0.0.1:0 node "$src/examples/intranet/server.js" >"$log" 2>&1 &
  pids+=("$!")
  page_url=""
  for _ in $(seq 100); do
    page_url=$(sed -n 's/^intranet page on \(http[^ ]*\).*/\1/p' "$log")
    [ -n "$page_url" ] && return 0
    sleep 0.1
  done
  fail "the page did not start: $(cat "$log")"
}
start_page "$work/page.log" "$work/intranet.token"

# post PATH BODY [CONTENT_TYPE]: prints "STATUS BODY".
post() {
  curl -s -o "$work/reply" -w '%{http_code}' -X POST \
    -H "Content-Type: ${3:-application/json}" --data-binary "$2" "$page_url${1#/}"
  echo " $(cat "$work/reply")"
}
# expect GOT WANT WHAT: WANT ending in '*' is a prefix.
expect() {
  local got=$1 want=$2 what=$3
  if [[ $want == *'*' ]]; then
    [[ $got == "${want%\*}"* ]] || fail "$what: got '$got', want '$want'"
  else
    [[ $got == "$want" ]] || fail "$what: got '$got', want '$want'"
  fi
}
expect "$(post /api/experts '{"query":"  "}')" '400 {"error":"query: required"}' "blank query"
expect "$(post /api/experts '{"query":7}')" '400 {"error":"query: must be a string"}' "query type"
long=$(head -c 2001 /dev/zero | tr '\0' a)
expect "$(post /api/experts "{\"query\":\"$long\"}")" '400 {"error":"query: longer than 2000 bytes"}' "long query"
expect "$(post /api/experts "{\"query\":\"x\",\"tags\":[\"$long\"]}")" '400 {"error":"tags[0]: longer than 64 bytes"}' "long tag"
expect "$(post /api/suggest '{"title":"","body":" "}')" '400 {"error":"title: title or body required"}' "empty draft"
huge=$(head -c 40000 /dev/zero | tr '\0' a)
expect "$(post /api/suggest "{\"body\":\"$huge\"}")" '413 *' "huge request"
expect "$(post /api/experts 'query=x' application/x-www-form-urlencoded)" '415 *' "form post"
expect "$(post /api/experts '{"query":')" '400 {"error":"request: not valid JSON"}' "bad JSON"
expect "$(curl -s -o /dev/null -w '%{http_code}' "${page_url}api/experts")" 405 "GET on the API"

# With a token that may not ask on behalf of others (an employee's): the
# page's configuration is wrong, not the browser's request: 502, no details.
start_page "$work/page2.log" "$work/employee.token"
expect "$(post /api/experts '{"query":"betalning"}')" \
  '502 {"error":"whoknows: PERMISSION_DENIED"}' "service account refused"
# The page without whoknows: 503.
kill "$server"; wait "$server" 2>/dev/null || true
expect "$(post /api/experts '{"query":"betalning"}' | cut -c1-3)" 503 "whoknows down"
# shellcheck disable=SC2046
start_server "$work/serve2.log" "$whoknows" --data "$work/data" \
  $(dev_serve_flags "$work/pki") || fail "whoknows serve did not restart"
pids+=("$server")
start_page "$work/page.log" "$work/intranet.token"

node "$src/tests/examples/intranet_test.js" "$page_url" "$work/intranet.token" zylofon \
  "${SCREENSHOT_DIR:-}"
echo "PASS"
