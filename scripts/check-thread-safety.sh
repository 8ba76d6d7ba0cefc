#!/usr/bin/env bash
# Clang's thread-safety analysis over the library sources (STYLE.md item 13).
# gcc, the main compiler, ignores ABSL_GUARDED_BY and friends; this is the
# check that the annotated locks are really held. Syntax only (no code is
# generated), two files at a time.
#
# Usage: scripts/check-thread-safety.sh [BUILD_DIR [FOLDER...]]
#   BUILD_DIR defaults to ./build. It must be configured (cmake writes
#   compile_commands.json) and built far enough that the generated proto
#   headers exist. FOLDERs: only these source folders (default: index
#   importers ranking networks eval api cli). CLANGXX overrides the compiler
#   (default clang++), JOBS the parallelism (default 2).
# The fuzz build (scripts/fuzz.sh) compiles with the same analysis as an
# error: scripts/test.sh runs this only over the folders it does not build.
# Exits 0 when every file is clean, 1 on any thread-safety violation (or any
# other error clang reports), 2 on bad setup.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" 2>/dev/null && pwd) || {
  echo "check-thread-safety: no build folder ${1:-$root/build}" >&2
  exit 2
}
db="$build/compile_commands.json"
clang=${CLANGXX:-clang++}
jobs=${JOBS:-2}
if [[ ! -f "$db" ]]; then
  echo "check-thread-safety: $db missing (configure with cmake first)" >&2
  exit 2
fi
command -v "$clang" >/dev/null || {
  echo "check-thread-safety: $clang not found" >&2
  exit 2
}

all_folders=(index importers ranking networks eval api cli)
folders=("${@:2}")
[[ ${#folders[@]} -gt 0 ]] || folders=("${all_folders[@]}")
for f in "${folders[@]}"; do
  [[ " ${all_folders[*]} " == *" $f "* ]] || {
    echo "check-thread-safety: no library folder $f (${all_folders[*]})" >&2
    exit 2
  }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One clang response file per source: the build's own flags (defines,
# include paths, -std) without gcc's compiler, output, -c and warning flags,
# so that only thread-safety findings are reported, and without the
# precompiled header (WHOKNOWS_PCH), so that each source is parsed with
# only what it includes itself.
python3 - "$db" "$root" "$work" "${folders[@]}" <<'EOF'
import json, os, shlex, sys
db, root, work = sys.argv[1:4]
folders = tuple(sys.argv[4:])
n = 0
for entry in json.load(open(db)):
    src = os.path.normpath(os.path.join(entry["directory"], entry["file"]))
    rel = os.path.relpath(src, root)
    if rel.split(os.sep)[0] not in folders or not rel.endswith(".cc"):
        continue
    args = entry.get("arguments") or shlex.split(entry["command"])
    keep, skip = [], False
    for i, a in enumerate(args[1:], 1):
        if skip:
            skip = False
        elif a == "-o":
            skip = True
        elif a == "-include" and "cmake_pch" in args[i + 1]:
            skip = True  # gcc's precompiled header, unreadable to clang
        elif a == "-c" or a.startswith("-W") or os.path.normpath(
                os.path.join(entry["directory"], a)) == src:
            pass
        else:
            keep.append(a)
    keep += ["-fsyntax-only", "-Wthread-safety", "-Werror=thread-safety",
             src]
    with open(os.path.join(work, "%03d.rsp" % n), "w") as f:
        f.write(" ".join(shlex.quote(a) for a in keep) + "\n")
    with open(os.path.join(work, "%03d.dir" % n), "w") as f:
        f.write(entry["directory"])
    n += 1
if n == 0:
    sys.exit("check-thread-safety: no %s sources in %s"
             % ("/ ".join(folders) + "/", db))
print("check-thread-safety: %d files" % n, file=sys.stderr)
EOF

# xargs exits 123 when any clang run fails.
status=0
find "$work" -name '*.rsp' -print0 | sort -z |
  xargs -0 -P "$jobs" -n 1 sh -c \
    'cd "$(cat "${1%.rsp}.dir")" && exec "$0" @"$1"' \
    "$clang" || status=$?
if [[ $status -ne 0 ]]; then
  echo "check-thread-safety: FAILED (see clang's messages above)" >&2
  exit 1
fi
echo "check-thread-safety: OK" >&2
