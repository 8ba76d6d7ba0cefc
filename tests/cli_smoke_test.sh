#!/usr/bin/env bash
# The CLI as a user runs it: import (good and malformed input), serve, and
# standard gRPC tools (buf curl via server reflection and health checking).
# Usage: cli_smoke_test.sh WHOKNOWS_BINARY BUF_BINARY SOURCE_DIR
set -euo pipefail
bin=$1 buf=$2 src=$3
# shellcheck source=testing/shell_test.sh
source "$(dirname "$0")/testing/shell_test.sh"

# Malformed input: reported with file and line, skipped, exit status 3.
cat > "$work/bad.jsonl" <<'JSONL'
{"type":"person","id":"u1","display_name":"Ulla Svensson","department":"IT"}
{"type":"post","id":"p1","author_id":"u1","kind":"article","title":"Skrivarkö i Göteborg","body":"Skrivaren i Göteborg tappar jobb i kön; starta om spoolern.","created":"2025-01-10T09:00:00Z"}
this is not json
{"type":"post","id":"p2","author_id":"u1","kind":"answer","body":"no parent","created":"2025-01-11T09:00:00Z"}
JSONL
set +e
"$bin" import jsonl "$work/bad.jsonl" --data "$work/data" >"$work/out" 2>"$work/err"
status=$?
set -e
[ "$status" = 3 ] || fail "import with malformed lines exited $status, want 3"
grep -q "bad.jsonl:3: not valid JSON" "$work/err" || fail "no file:line for line 3: $(cat "$work/err")"
grep -q "bad.jsonl:4: post.parent_id" "$work/err" || fail "no field for line 4: $(cat "$work/err")"
grep -q "imported 1 people and 1 posts" "$work/out" || fail "$(cat "$work/out")"
set +e
"$bin" import jsonl "$work/bad.jsonl" --data "$work/strict" --strict 2>"$work/err"
status=$?
set -e
[ "$status" = 1 ] || fail "--strict exited $status, want 1"

# The demo company, served.
"$bin" import jsonl "$src/data/demo/company.jsonl" --data "$work/demo" >/dev/null
# Over TLS, with tokens from a throw-away CA and signing key.
dev_pki "$work/pki"
# shellcheck disable=SC2046
start_server "$work/serve.log" "$bin" --data "$work/demo" $(dev_serve_flags "$work/pki") \
  || fail "server did not start"
grep -q "people" "$work/serve.log" || fail "start line does not say what was loaded"
intranet=$(dev_token "$work/pki" intranet-portal intranet)
employee=$(dev_token "$work/pki" u0001 employee)
admin=$(dev_token "$work/pki" it-admin admin)

url="https://127.0.0.1:$port"
tls=(--protocol grpc --cacert "$work/pki/ca.pem")
# Health and reflection are open: no token.
"$buf" curl "${tls[@]}" "$url/grpc.health.v1.Health/Check" \
  | grep -q SERVING || fail "health check"
# Reflection: buf curl finds the schema on the server, no .proto files given.
"$buf" curl "${tls[@]}" -H "authorization: Bearer $intranet" \
  -d '{"query": "Kubernetes deploy fails with ImagePullBackOff", "limit": 3}' \
  "$url/whoknows.v1.Expertise/FindExperts" >"$work/find.json"
grep -q '"experts"' "$work/find.json" || fail "FindExperts via buf curl: $(cat "$work/find.json")"
"$buf" curl "${tls[@]}" -H "authorization: Bearer $employee" \
  -d '{"title": "Why does the Kubernetes deploy fail with ImagePullBackOff?"}' \
  "$url/whoknows.v1.Expertise/SuggestForPost" >"$work/suggest.json"
grep -q '"acceptedAnswerSnippet"' "$work/suggest.json" \
  || fail "SuggestForPost via buf curl: $(cat "$work/suggest.json")"
# RecordOutcome: the intranet reports who helped; it is kept on disk.
"$buf" curl "${tls[@]}" -H "authorization: Bearer $intranet" \
  -d '{"outcome": {"question_post_id": "p00001", "helper_id": "u0014", "kind": "OUTCOME_KIND_ACCEPTED", "time": "2024-06-01T10:00:00Z"}}' \
  "$url/whoknows.v1.Ingest/RecordOutcome" >"$work/outcome.json"
grep -q '"id"' "$work/outcome.json" || fail "RecordOutcome via buf curl: $(cat "$work/outcome.json")"
grep -q '"helper_id":"u0014"' "$work/demo/outcomes.jsonl" \
  || fail "outcome not in outcomes.jsonl: $(cat "$work/demo/outcomes.jsonl" 2>&1)"
set +e
"$buf" curl "${tls[@]}" -H "authorization: Bearer $intranet" -d '{"query": ""}' \
  "$url/whoknows.v1.Expertise/FindExperts" >"$work/bad.json" 2>&1
"$buf" curl "${tls[@]}" -d '{"query": "kubernetes"}' \
  "$url/whoknows.v1.Expertise/FindExperts" >"$work/anon.json" 2>&1
"$buf" curl "${tls[@]}" -H "authorization: Bearer $employee" \
  -d '{"person_id": "u0007"}' "$url/whoknows.v1.Ingest/DeletePerson" >"$work/del.json" 2>&1
# An employee may not report for a question someone else asked.
"$buf" curl "${tls[@]}" -H "authorization: Bearer $employee" \
  -d '{"outcome": {"question_post_id": "p00001", "helper_id": "u0014", "kind": "OUTCOME_KIND_ANSWERED", "time": "2024-06-01T10:00:00Z"}}' \
  "$url/whoknows.v1.Ingest/RecordOutcome" >"$work/outcome_denied.json" 2>&1
set -e
grep -q "invalid_argument" "$work/bad.json" || fail "empty query: $(cat "$work/bad.json")"
grep -q "unauthenticated" "$work/anon.json" || fail "no token: $(cat "$work/anon.json")"
grep -q "permission_denied" "$work/del.json" || fail "employee deletes: $(cat "$work/del.json")"
grep -q "permission_denied" "$work/outcome_denied.json" \
  || fail "employee reports for another's question: $(cat "$work/outcome_denied.json")"

# ask, both ways, Swedish and English.
WHOKNOWS_TOKEN=$employee "$bin" ask "Hur exporterar jag fakturor från SAP till Excel?" \
  --server "127.0.0.1:$port" --tls-ca "$work/pki/ca.pem" >"$work/ask_sv.txt"
grep -q " 1\. " "$work/ask_sv.txt" || fail "Swedish ask: $(cat "$work/ask_sv.txt")"
"$bin" ask "Kubernetes deploy fails" --data "$work/demo" --json >"$work/ask_en.json"
grep -q '"person"' "$work/ask_en.json" || fail "ask --data --json: $(cat "$work/ask_en.json")"
# Explanations on the terminal: the score by signal.
grep -q "score: .*text [+-]" "$work/ask_sv.txt" || fail "no score breakdown: $(cat "$work/ask_sv.txt")"

# Erasure: the receipt over gRPC; compaction by the server itself, while the
# CLI refuses to take the folder from it.
"$buf" curl "${tls[@]}" -H "authorization: Bearer $admin" -d '{"person_id": "u0007"}' \
  "$url/whoknows.v1.Ingest/DeletePerson" >"$work/erase.json"
grep -q '"erasedAt"' "$work/erase.json" || fail "DeletePerson receipt: $(cat "$work/erase.json")"
grep -q '"postsDeleted"' "$work/erase.json" || fail "DeletePerson receipt: $(cat "$work/erase.json")"
"$buf" curl "${tls[@]}" -H "authorization: Bearer $admin" -d '{}' \
  "$url/whoknows.v1.Ingest/Compact" >"$work/compact.json"
grep -q '"bytesAfter"' "$work/compact.json" || fail "Compact RPC: $(cat "$work/compact.json")"
set +e
"$bin" compact --data "$work/demo" >"$work/compact.out" 2>&1
status=$?
set -e
[ "$status" != 0 ] || fail "compact took the folder from a running server"
grep -q "whoknows.v1.Ingest/Compact" "$work/compact.out" \
  || fail "compact while serving does not point to the RPC: $(cat "$work/compact.out")"

# The operator's status: admins only, by buf curl and by `whoknows status`.
"$buf" curl "${tls[@]}" -H "authorization: Bearer $admin" -d '{}' \
  "$url/whoknows.v1.Admin/GetStatus" >"$work/status.json"
grep -q '"publicPosts"' "$work/status.json" || fail "GetStatus: $(cat "$work/status.json")"
set +e
"$buf" curl "${tls[@]}" -H "authorization: Bearer $employee" -d '{}' \
  "$url/whoknows.v1.Admin/GetStatus" >"$work/status_denied.json" 2>&1
set -e
grep -q "permission_denied" "$work/status_denied.json" \
  || fail "employee reads the status: $(cat "$work/status_denied.json")"
WHOKNOWS_TOKEN=$admin "$bin" status --server "127.0.0.1:$port" \
  --tls-ca "$work/pki/ca.pem" >"$work/status.txt" || fail "status: $(cat "$work/status.txt")"
grep -q "SERVING" "$work/status.txt" || fail "status: $(cat "$work/status.txt")"
grep -q "public posts" "$work/status.txt" || fail "status: $(cat "$work/status.txt")"

# Learning weights from the demo's accepted answers.
"$bin" learn --data "$work/demo" --dry-run >"$work/learn.txt" 2>"$work/learn.err" \
  || fail "learn --dry-run: $(cat "$work/learn.err")"
grep -q "labelled questions" "$work/learn.txt" || fail "learn: $(cat "$work/learn.txt")"
[ ! -e "$work/demo/fusion.json" ] || fail "--dry-run wrote fusion.json"
"$bin" learn --data "$work/demo" >"$work/learn.txt" 2>"$work/learn.err" \
  || fail "learn: $(cat "$work/learn.err")"
grep -q '"weights"' "$work/demo/fusion.json" || fail "no weights in fusion.json"
# A broken weights file stops serve with a message naming it.
kill "$server"; wait "$server" 2>/dev/null || true; server=""
echo '{"weights": {"charisma": 1}}' >"$work/demo/fusion.json"
set +e
"$bin" serve --data "$work/demo" --listen 127.0.0.1:0 >"$work/serve2.log" 2>&1
status=$?
set -e
[ "$status" != 0 ] || fail "serve started with a broken fusion.json"
grep -q "fusion.json: weights.charisma: unknown signal" "$work/serve2.log" \
  || fail "serve error does not name the problem: $(cat "$work/serve2.log")"
# Offline compaction once the server is gone.
"$bin" compact --data "$work/demo" >"$work/compact.out" 2>&1 \
  || fail "compact: $(cat "$work/compact.out")"
grep -q "compacted" "$work/compact.out" || fail "compact: $(cat "$work/compact.out")"
echo "cli smoke test: 1 passed, 0 failed"
