#!/usr/bin/env bash
# The HR report end to end: import the shared Enron set through the CLI,
# write the report, open it in headless Chromium and check that the drawing
# rendered (the community colours are on the screenshot). Also smoke-tests
# `import interactions`, `networks analyze` and, when buf is there,
# Networks/AnalyzeNetwork through `buf curl` over TLS with an employee and an
# hr token.
# Usage: networks_report_test.sh WHOKNOWS DATASETS_DIR [BUF]
# Exit 77 (skipped) without Chromium or the data set, unless CI is set.
set -euo pipefail
whoknows=$1
enron=$2/enron
buf=${3:-}
# shellcheck source=testing/serve.sh
source "$(dirname "$0")/testing/serve.sh"
# shellcheck source=../scripts/dev-pki.sh
source "$(dirname "$0")/../scripts/dev-pki.sh"

skip() {
  if [ -n "${CI:-}" ]; then echo "FAIL: $1" >&2; exit 1; fi
  echo "SKIP: $1"; exit 77
}
[ -f "$enron/messages.json" ] || skip "no Enron data set at $enron"
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || skip "chromium is not installed (scripts/install-deps.sh)"

work=$(mktemp -d "${TMPDIR:-/tmp}/whoknows_report.XXXXXX")
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$whoknows" import enron "$enron" --data "$work/data"

# Without --hr nobody is named; with it, brokers are listed with titles.
"$whoknows" networks report --data "$work/data" --out "$work/report.html"
if grep -q "John Arnold" "$work/report.html"; then
  echo "FAIL: a name in the report without --hr" >&2; exit 1
fi
grep -q "<svg" "$work/report.html"
"$whoknows" networks report --data "$work/data" --out "$work/hr.html" --hr \
  --window-days 180 --compare
grep -q "Brokers" "$work/hr.html"

"$whoknows" networks analyze --data "$work/data" > "$work/analysis.json"
grep -q '"min_group_size": 5' "$work/analysis.json"

# The same code path serves generic interactions JSONL.
cat > "$work/in.jsonl" <<'JSONL'
{"type":"person","id":"a","department":"Sales"}
{"type":"person","id":"b","department":"Legal"}
{"type":"interaction","id":"m1","from":"a","to":["b"],"time":"2024-05-01T10:00:00Z"}
JSONL
"$whoknows" import interactions "$work/in.jsonl" --data "$work/small" |
  grep -q "2 people, 0 posts and 1 interactions"

if [ -x "$buf" ]; then
  dev_pki "$work/pki"
  # shellcheck disable=SC2046
  start_server "$work/serve.log" "$whoknows" --data "$work/data" \
    $(dev_serve_flags "$work/pki") || { echo "FAIL: server" >&2; exit 1; }
  url="https://127.0.0.1:$port/whoknows.v1.Networks/AnalyzeNetwork"
  tls=(--protocol grpc --cacert "$work/pki/ca.pem")
  "$buf" curl "${tls[@]}" -H "authorization: Bearer $(dev_token "$work/pki" u1 employee)" \
    -d '{"person_level": true}' "$url" >"$work/employee.json"
  grep -q '"minGroupSize": 5' "$work/employee.json"
  if grep -q '"brokers"' "$work/employee.json"; then
    echo "FAIL: brokers without the HR role" >&2; exit 1
  fi
  "$buf" curl "${tls[@]}" -H "authorization: Bearer $(dev_token "$work/pki" u2 hr)" \
    -d '{"person_level": true}' "$url" >"$work/hr.json"
  grep -q '"brokers"' "$work/hr.json"
  echo "buf curl: brokers only with an hr token"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
elif [ -n "${CI:-}" ]; then
  echo "FAIL: no buf at '$buf'" >&2; exit 1
fi

"$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --screenshot="$work/report.png" --window-size=1200,1400 \
  "file://$work/report.html" >/dev/null 2>&1 || true
[ -s "$work/report.png" ] || { echo "FAIL: no screenshot" >&2; exit 1; }

python3 - "$work/report.png" <<'PY'
# Decodes the PNG (8-bit RGB/RGBA, no interlace: what Chromium writes) and
# checks that the drawing's dots are there: the first community colours
# must each cover some pixels.
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
counts = {}
i = 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        px = bytes(line[x:x + 3])
        counts[px] = counts.get(px, 0) + 1
    prev = line
white = counts.get(b"\xff\xff\xff", 0)
print(f"{w}x{h}, {len(counts)} colours, {100 * (1 - white / (w * h)):.1f}% not white")
for name, rgb in (("community 1", b"\x00\x72\xb2"), ("community 2", b"\xe6\x9f\x00"),
                  ("community 3", b"\x00\x9e\x73")):
    n = counts.get(rgb, 0)
    print(f"{name}: {n} pixels")
    assert n >= 20, f"{name} not drawn: the network did not render"
assert white < w * h * 0.98, "blank page"
PY
echo "PASS"
