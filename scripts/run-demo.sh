#!/usr/bin/env bash
# Builds whoknows, loads the bundled demo company into var/demo, makes a
# throw-away CA, TLS certificate and token-signing key in var/demo-pki
# (scripts/dev-pki.sh), starts the gRPC service on 127.0.0.1:50051 over TLS
# with bearer tokens, asks two sample questions (Swedish and English) and
# keeps serving until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
bin=build/cli/whoknows
data=${WHOKNOWS_DATA:-var/demo}
listen=${WHOKNOWS_LISTEN:-127.0.0.1:50051}
pki=${data}-pki
# shellcheck source=dev-pki.sh
source scripts/dev-pki.sh

if [ ! -d "$data/posts" ]; then
  "$bin" import jsonl data/demo/company.jsonl --data "$data"
fi
dev_pki "$pki"
dev_token "$pki" intranet-demo intranet >"$pki/intranet.token"
dev_token "$pki" admin-demo admin >"$pki/admin.token"
dev_token "$pki" hr-demo hr >"$pki/hr.token"
WHOKNOWS_TOKEN=$(cat "$pki/intranet.token")
export WHOKNOWS_TOKEN
# shellcheck disable=SC2046
"$bin" serve --data "$data" --listen "$listen" $(dev_serve_flags "$pki") &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM
for _ in $(seq 50); do
  "$bin" ask "ping" --server "$listen" --tls-ca "$pki/ca.pem" >/dev/null 2>&1 && break
  sleep 0.2
done
echo
"$bin" ask "Hur exporterar jag fakturor från SAP till Excel?" --server "$listen" --tls-ca "$pki/ca.pem" --limit 3
echo
"$bin" ask "Why does the Kubernetes deploy fail with ImagePullBackOff?" --server "$listen" --tls-ca "$pki/ca.pem" --limit 3
echo
cat <<EOF
Serving on $listen over TLS (Ctrl-C to stop). Tokens (valid 1 day) in $pki:
intranet.token, hr.token, admin.token. Try:
  WHOKNOWS_TOKEN=\$(cat $pki/intranet.token) $bin ask "vem kan svetsning?" --server $listen --tls-ca $pki/ca.pem
  buf curl --protocol grpc --cacert $pki/ca.pem -H "authorization: Bearer \$(cat $pki/hr.token)" \\
    -d '{"person_level": true}' https://$listen/whoknows.v1.Networks/AnalyzeNetwork
EOF
wait $server
