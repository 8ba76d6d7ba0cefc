#!/usr/bin/env bash
# Builds whoknows, loads the bundled demo company into var/demo, starts the
# gRPC service on 127.0.0.1:50051, asks two sample questions (Swedish and
# English) and keeps serving until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
bin=build/cli/whoknows
data=${WHOKNOWS_DATA:-var/demo}
listen=${WHOKNOWS_LISTEN:-127.0.0.1:50051}

if [ ! -d "$data/posts" ]; then
  "$bin" import jsonl data/demo/company.jsonl --data "$data"
fi
"$bin" serve --data "$data" --listen "$listen" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM
for _ in $(seq 50); do
  "$bin" ask "ping" --server "$listen" >/dev/null 2>&1 && break
  sleep 0.2
done
echo
"$bin" ask "Hur exporterar jag fakturor från SAP till Excel?" --server "$listen" --limit 3
echo
"$bin" ask "Why does the Kubernetes deploy fail with ImagePullBackOff?" --server "$listen" --limit 3
echo
echo "Serving on $listen (Ctrl-C to stop). Try: $bin ask \"vem kan svetsning?\" --server $listen"
wait $server
