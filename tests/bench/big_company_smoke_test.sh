#!/usr/bin/env bash
# bench/big_company.sh on a tiny generated company (seconds), so that the
# script and load_bench's latency, network and ingest modes cannot rot: every
# figure is printed, no call failed. Asserts no time.
#   big_company_smoke_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
bash "$src/bench/big_company.sh" --bin "$build" --posts 1000 --people 100 \
  --seconds 1 --ingest-seconds 3 --batch 100 \
  "$(mktemp -u "${TMPDIR:-/tmp}/big-smoke.XXXXXX")" >"$out" 2>&1 || {
  cat "$out"
  exit 1
}
cat "$out"
fail() { echo "FAIL: $*" >&2; exit 1; }
for line in "FindExperts p99, c=1 " "FindExperts p99, c=8 " \
  "SuggestForPost p99, c=32 " "raw Xapian top-" "FindExperts p50 / raw p50" \
  "AnalyzeNetwork, whole company, person-level (granted)" \
  "gRPC ingest, sustained" "marker sent to found, p99" "server peak RSS" \
  "index on disk:"; do
  grep -qF "$line" "$out" || fail "no line with '$line'"
done
! grep -q "error x\|failed" "$out" || fail "a call failed"
grep -q "; 0 errors, 0 shed" "$out" || fail "ingest errors"
# Some posts went through gRPC, and the markers were found.
grep -Eq "[1-9][0-9]* posts acknowledged in" "$out" || fail "nothing ingested"
grep -Eq "freshness under that load, [1-9]" "$out" || fail "no marker found"
# The stage's CPU was read from /proc for the posts acknowledged.
grep -Eq "CPU during the ingest \([1-9][0-9]* posts\): server [0-9.]+ s \([1-9][0-9]* ms per 1,000 posts\), of which the writer thread \(wk-ingest\) [0-9.]+ s \([1-9]" "$out" ||
  fail "no CPU figures for the ingest"
echo "big_company smoke: ok"
