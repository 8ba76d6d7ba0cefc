#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang, ASan + UBSan) into
# build-fuzz/ and runs each for a bounded time (fuzz/README.md).
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
#   FUZZ_TARGETS="jsonl interactions"  only these targets (default: all)
#   FUZZ_BUILD=DIR                      build folder (default build-fuzz)
#   FUZZ_JOBS=N                         build parallelism (default 2)
#
# For each target: first every input of fuzz/regressions/<target>/ (inputs
# that once failed) is replayed, and any failure fails the script; then the
# fuzzer runs from its seeds (fuzz/corpus/<target>/) plus what earlier runs
# found (FUZZ_BUILD/corpus/<target>/, kept out of git). An input that
# crashes, leaks, trips a sanitizer or an invariant, or times out is copied
# to fuzz/regressions/<target>/ (commit it with the fix) and fails the
# script. Prints executions, exec/s and coverage (libFuzzer's cov: edges
# and ft: features) per target.
# Exit: 0 all clean, 1 a regression or a new failure, 2 bad setup.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-60}
build=${FUZZ_BUILD:-build-fuzz}
jobs=${FUZZ_JOBS:-2}
all_targets=(jsonl stackexchange interactions request_validators query_builder derived_files embeddings_file)
read -r -a targets <<<"${FUZZ_TARGETS:-${all_targets[*]}}"

if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "fuzz.sh: SECONDS_PER_TARGET must be a positive integer" >&2
  exit 2
fi
command -v clang++ >/dev/null || {
  echo "fuzz.sh: clang++ not found (scripts/install-deps.sh)" >&2
  exit 2
}

# Configure once; build only the fuzzers (and the libraries they link).
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Fuzz \
    -DCMAKE_CXX_COMPILER=clang++ -DWHOKNOWS_FUZZ=ON \
    -DWHOKNOWS_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null || exit 2
fi
start=$(date +%s)
ninja -C "$build" -j "$jobs" "${targets[@]/%/_fuzzer}" >"$build/fuzz-build.log" 2>&1 || {
  tail -40 "$build/fuzz-build.log" >&2
  echo "fuzz.sh: build failed (log: $build/fuzz-build.log)" >&2
  exit 2
}
echo "fuzz.sh: built ${#targets[@]} targets in $(($(date +%s) - start)) s"

# Scratch folders (catalogs, dumps) in memory when we can: the targets
# write files on every input.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  export TMPDIR=/dev/shm
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
summary=()
for t in "${targets[@]}"; do
  bin="$build/fuzz/${t}_fuzzer"
  seeds="fuzz/corpus/$t"
  regressions="fuzz/regressions/$t"
  work="$build/corpus/$t"
  artifacts="$build/artifacts/$t/"
  log="$build/fuzz-$t.log"
  rm -rf "$artifacts"
  mkdir -p "$work" "$artifacts"

  # 1. Inputs that once failed, every one, before any new fuzzing.
  replayed=0
  if compgen -G "$regressions/*" >/dev/null; then
    replayed=$(find "$regressions" -type f | wc -l)
    if ! "$bin" -runs=1 "$regressions"/* >"$build/replay-$t.log" 2>&1; then
      echo "fuzz.sh: $t: a regression input fails again:" >&2
      grep -E "ERROR|invariant|SUMMARY|Running:" "$build/replay-$t.log" | tail -5 >&2
      failed=1
      summary+=("$(printf '%-20s REGRESSION FAILED (%s)' "$t" "$build/replay-$t.log")")
      continue
    fi
  fi

  # 2. A bounded run from the seeds and the kept corpus.
  "$bin" -max_total_time="$seconds" -print_final_stats=1 -max_len=16384 \
    -timeout=30 -rss_limit_mb=3072 -artifact_prefix="$artifacts" \
    "$work" "$seeds" >"$log" 2>&1
  status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  line=$(printf '%-20s runs %-9s exec/s %-6s cov %-6s ft %-7s regressions %s' \
    "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$replayed")
  if [ $status -ne 0 ]; then
    failed=1
    mkdir -p "$regressions"
    for a in "$artifacts"*; do
      [ -f "$a" ] || continue
      cp "$a" "$regressions/"
      echo "fuzz.sh: $t: new failing input kept as $regressions/$(basename "$a")" >&2
    done
    grep -E "ERROR|invariant|SUMMARY" "$log" | head -5 >&2
    line="$line  FAILED (log: $log)"
  fi
  summary+=("$line")
done

echo "fuzz.sh: ${seconds} s per target"
printf '%s\n' "${summary[@]}"
if [ $failed -ne 0 ]; then
  echo "fuzz.sh: FAILED" >&2
  exit 1
fi
echo "fuzz.sh: OK"
