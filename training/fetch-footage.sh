#!/usr/bin/env bash
# Real footage for training and evaluation: OpenCV's sample clips from Debian's opencv-doc package (Apache-2.0 AND
# BSD-3-Clause, see training/data/opencv-doc.copyright once fetched). Downloads the .deb (96 MB) without installing
# it, checks its SHA-256, and extracts the clips and stills into training/data/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")"
DEB_VERSION=4.6.0+dfsg-12
DEB_SHA256=4b12681df35878207ac7097dc66184b2ae552e4bf4ddd2af04a0f03ed0b8682a
# vtest.avi's own hash, so that a different package build cannot silently change the frames the labels refer to
VTEST_SHA256=45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf
FILES=(vtest.avi tree.avi messi5.jpg basketball1.png basketball2.png)
mkdir -p data
if [ -f data/vtest.avi ] && echo "$VTEST_SHA256  data/vtest.avi" | sha256sum -c --quiet 2>/dev/null; then
  exit 0
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && apt-get download "opencv-doc=$DEB_VERSION" >/dev/null 2>&1 ) || {
  echo "fetch-footage: 'apt-get download opencv-doc=$DEB_VERSION' failed (run 'apt-get update' once?)" >&2; exit 1; }
deb=$(ls "$tmp"/opencv-doc_*.deb)
echo "$DEB_SHA256  $deb" | sha256sum -c --quiet || { echo "fetch-footage: $deb: SHA-256 mismatch" >&2; exit 1; }
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./usr/share/doc/opencv-doc/copyright \
  $(printf './usr/share/doc/opencv-doc/examples/data/%s ' "${FILES[@]}")
for f in "${FILES[@]}"; do cp "$tmp/usr/share/doc/opencv-doc/examples/data/$f" data/; done
cp "$tmp/usr/share/doc/opencv-doc/copyright" data/opencv-doc.copyright
echo "$VTEST_SHA256  data/vtest.avi" | sha256sum -c --quiet
echo "fetch-footage: ${FILES[*]} in training/data/"
