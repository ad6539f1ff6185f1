#!/usr/bin/env bash
# graph-screenshot.sh INFRAC ROOT ENV OUT_DIR
#
# Renders `infrac graph --env ENV --format html` and `--format svg` of the platform at ROOT,
# takes a screenshot of each in headless Chromium (the distribution's `chromium` package),
# and fails unless each PNG shows a picture: at least 1% of its pixels differ from the
# background and it has more than a handful of colours. Nothing is fetched from the network:
# the page has none to fetch, and the browser runs with background networking off.
set -euo pipefail
if [ $# -ne 4 ]; then
  echo "usage: $0 INFRAC ROOT ENV OUT_DIR" >&2
  exit 2
fi
infrac=$1 root=$2 env=$3 out=$4
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "chromium is not installed (apt-get install -y chromium)" >&2
  exit 3
fi
mkdir -p "$out"
for format in html svg; do
  page="$out/graph-$env.$format"
  "$infrac" graph --root "$root" --env "$env" --format "$format" > "$page"
  profile=$(mktemp -d)
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --no-first-run --user-data-dir="$profile" --window-size=1600,1200 \
    --screenshot="$out/graph-$env-$format.png" "file://$page" > "$out/chromium-$format.log" 2>&1
  rm -rf "$profile"
  python3 - "$out/graph-$env-$format.png" <<'PY'
import struct, sys, zlib
path = sys.argv[1]
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, width = 8, b"", 0
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and colour in (2, 6), f"unexpected PNG format {depth}/{colour}"
        bpp = 3 if colour == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
raw = zlib.decompress(idat)
stride = width * bpp
rows, prev, i = [], bytearray(stride), 0
for _ in range(height):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line))
    prev = line
background = rows[0][:3]
colours, differ = set(), 0
for row in rows[::4]:
    for x in range(0, stride, bpp * 4):
        px = row[x:x + 3]
        colours.add(px)
        differ += px != background
total = len(rows[::4]) * len(range(0, stride, bpp * 4))
share = differ / total
print(f"{path}: {width}x{height}, {share:.1%} of the pixels drawn, {len(colours)} colours")
assert share >= 0.01 and len(colours) > 8, "the screenshot is blank"
PY
done
