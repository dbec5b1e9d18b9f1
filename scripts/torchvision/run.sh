#!/usr/bin/env bash
# Issue 19's "parity beyond our own models", measured: torchvision exports on ONNX Runtime and on the Java engine.
# Needs a build (./mfs builds one) and Debian's python3-torchvision (training/install-deps.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build/torchvision}
mkdir -p "$out"
(cd "$out" && /usr/bin/python3 "$root/scripts/torchvision/export.py")
cp="$root/engine/target/classes:$(cat "$root/workshop/target/runtime.classpath")"
for m in mobilenet_v3_small resnet18; do
  java --add-modules jdk.incubator.vector -cp "$cp" "$root/scripts/torchvision/Parity.java" "$out/$m.onnx" 2>/dev/null
done
