#!/usr/bin/env bash
# GPU check, for a machine with an NVIDIA GPU, the driver, and CUDA 12 + cuDNN 9 user-space libraries:
#   1. build with the gpu profile (onnxruntime_gpu 1.23.2 replaces onnxruntime; never both on one classpath)
#   2. ONNX Runtime CUDA vs CPU parity on every model (max abs diff on the raw outputs)
#   3. CUDA and CPU throughput at batch 1, 8, 32, 64, measured side by side in one run
# Usage: scripts/gpu-check.sh [models...]     (default: models/*.onnx; larger exports: ./mfs model variants)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || \
  echo "gpu-check: nvidia-smi not found; CUDA will probably be unavailable" >&2
mvn -B -q -Pgpu -DskipTests -Dmfs.skipPython=true package
CP="workshop/target/classes:$(cat workshop/target/runtime.classpath)"
if ! grep -q onnxruntime_gpu <<<"$CP"; then echo "gpu-check: the build did not pick onnxruntime_gpu" >&2; exit 1; fi
MODELS=("$@")
[ ${#MODELS[@]} -gt 0 ] || MODELS=(models/*.onnx)
LIST=$(IFS=,; echo "${MODELS[*]}")
java --add-modules=jdk.incubator.vector -Xmx8g -cp "$CP" io.mobileformer.streams.cli.Main gpu-check \
  --model "$LIST" --batches "${MFS_BATCHES:-1,8,32,64}" --seconds "${MFS_SECONDS:-5}"
# leave a CPU build behind for ./mfs
rm -f workshop/target/.mfs-built
