#!/usr/bin/env bash
# The whole test suite: build, lint the protos, check formatting and lock
# annotations, run every test (unit, end-to-end gRPC, the beer evaluation
# and the CLI smoke test), then a short fuzzing pass.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh

# buf (protobuf linter and gRPC curl) comes from the npm registry.
if [ ! -x build/tools/node_modules/.bin/buf ]; then
  npm install --silent --no-audit --no-fund --prefix build/tools @bufbuild/buf@1 >/dev/null
fi
echo "buf lint proto/"
(cd proto && ../build/tools/node_modules/.bin/buf lint)

echo "clang-format check"
git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror

# A short fuzzing pass (fuzz/README.md): the sanitizer build of what the
# fuzzers link, the regression inputs, then FUZZ_SECONDS per target. Before
# CTest, whose summary stays the last line.
bash scripts/fuzz.sh "${FUZZ_SECONDS:-10}"

# Clang's thread-safety analysis of every library: the fuzz build (clang,
# -Werror=thread-safety) compiles these five, so they are checked there
# (built here in case no fuzzer links one); the rest are parsed on their
# own. Once, not twice: the pass costs minutes on 2 cores.
echo "thread-safety analysis (clang -Wthread-safety)"
ninja -C build-fuzz whoknows_index whoknows_importers whoknows_ranking \
  whoknows_networks whoknows_api >build-fuzz/thread-safety.log 2>&1 || {
  tail -40 build-fuzz/thread-safety.log >&2
  exit 1
}
bash scripts/check-thread-safety.sh build eval cli

cd build && ctest --output-on-failure -j 2
