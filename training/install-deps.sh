#!/usr/bin/env bash
# Installs what training/ needs, from Debian packages only (no PyPI): PyTorch, ONNX, NumPy, SciPy, pytest, and the
# ffmpeg binary (synthetic H.264 clips). About 300 MB of archives, 1.3 GB on disk, ~2 minutes.
# Use Debian's interpreter, /usr/bin/python3: another python3 earlier on PATH does not see these packages.
set -euo pipefail
PKGS=(python3-torch python3-torchvision python3-onnx python3-numpy python3-scipy python3-pytest python3-pil ffmpeg)
if /usr/bin/python3 -c 'import torch, torchvision, onnx, numpy, scipy, pytest' 2>/dev/null && command -v ffmpeg >/dev/null; then
  exit 0
fi
. "$(dirname "$0")/../scripts/apt-ensure.sh"
apt_ensure "${PKGS[@]}"
/usr/bin/python3 -c 'import torch, onnx; print("training deps: torch", torch.__version__, "onnx", onnx.__version__)'
