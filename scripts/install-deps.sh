#!/usr/bin/env bash
# Installs everything whoknows needs to build, test and run, from Debian 12
# packages only. Idempotent; used by the README and by .ci/run.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  libxapian-dev                       # full-text index
  xapian-tools                        # remote shards and replicas (xapian-tcpsrv, xapian-replicate)
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libabsl-dev                         # absl::Status / StatusOr at module edges
  libeigen3-dev libboost-graph-dev
  libgtest-dev libgmock-dev
  libcld2-dev                         # language detection (Swedish vs English)
  libexpat1-dev                       # streaming XML for Stack Exchange dumps
  nlohmann-json3-dev                  # JSONL exchange format
  libcli11-dev                        # command line parsing
  libjwt-dev libssl-dev openssl       # bearer tokens, TLS keys; test CAs
  libigraph-dev                       # network analyses: Leiden communities, layout
  libgoogle-perftools-dev             # tcmalloc: the server's and benches' malloc
  chromium                            # headless tests: the HR report, the intranet page
  zlib1g-dev                          # reads the dictd dictionaries
  dict-freedict-swe-eng dict-freedict-eng-swe  # cross-lingual search
  clang-format git                    # format check
  clang                               # thread-safety analysis (-Wthread-safety)
  libclang-rt-14-dev llvm-14          # libFuzzer, ASan/UBSan runtimes, llvm-symbolizer (fuzz/)
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# buf (protobuf lint, gRPC curl) comes from the npm registry; any Node.js
# with npm will do, Debian's only when none is installed.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
