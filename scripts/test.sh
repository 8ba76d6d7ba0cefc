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

echo "thread-safety analysis (clang -Wthread-safety)"
bash scripts/check-thread-safety.sh build

# A short fuzzing pass (fuzz/README.md): the sanitizer build of what the
# fuzzers link, the regression inputs, then FUZZ_SECONDS per target. Before
# CTest, whose summary stays the last line.
bash scripts/fuzz.sh "${FUZZ_SECONDS:-10}"

cd build && ctest --output-on-failure -j 2
