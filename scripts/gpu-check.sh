#!/usr/bin/env bash
# GPU check, for a machine with an NVIDIA GPU and its driver, and nothing else installed: the CUDA 12.6 and cuDNN 9.5
# runtime libraries come from Maven Central with the gpu profile (unpacked into target/cuda), not from the system.
#   1. build with the gpu profile (onnxruntime_gpu 1.23.2 replaces onnxruntime; never both on one classpath)
#   2. ONNX Runtime CUDA vs CPU parity on every model (max abs diff on the raw outputs)
#   3. CUDA and CPU throughput at batch 1, 8, 32, 64, measured side by side in one run
# Usage: scripts/gpu-check.sh [models...]     (default: models/*.onnx; larger exports: ./mfs model variants)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || \
  echo "gpu-check: nvidia-smi not found; CUDA will probably be unavailable" >&2
# the gpu build replaces the CPU one in target/: whatever happens next, ./mfs rebuilds the CPU one on its next run
trap 'rm -f workshop/target/.mfs-built' EXIT
mvn -B -q -Pgpu -DskipTests -Dmfs.skipPython=true -Dmfs.skipTestData=true package
CP="workshop/target/classes:$(cat workshop/target/runtime.classpath)"
if ! grep -q onnxruntime_gpu <<<"$CP"; then echo "gpu-check: the build did not pick onnxruntime_gpu" >&2; exit 1; fi
# what libonnxruntime_providers_cuda.so links against (libcudart, libcublas(Lt), libcufft, libcurand, libcudnn) and
# what libcudnn opens at run time (its libcudnn_*.so.9 parts, libnvrtc): the profile's redistributable libraries
CUDA_LIBS="$PWD/target/cuda/org/bytedeco/cuda/linux-x86_64"
[ -e "$CUDA_LIBS/libcudart.so.12" ] || { echo "gpu-check: no CUDA libraries in $CUDA_LIBS" >&2; exit 1; }
export LD_LIBRARY_PATH="$CUDA_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# before any GPU is asked for: every library ONNX Runtime's CUDA provider links against must resolve from there (the
# driver's libcuda.so.1 is loaded later, by libcudart); this part runs on any machine
ORT_JAR=$(tr ':' '\n' <<<"$CP" | grep onnxruntime_gpu)
rm -rf target/gpu-check && mkdir -p target/gpu-check
(cd target/gpu-check && jar xf "$ORT_JAR" ai/onnxruntime/native/linux-x64/)
PROVIDER_DIR=target/gpu-check/ai/onnxruntime/native/linux-x64
MISSING=$(LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$PROVIDER_DIR" ldd "$PROVIDER_DIR/libonnxruntime_providers_cuda.so" \
  | grep 'not found' || true)
if [ -n "$MISSING" ]; then echo "gpu-check: the CUDA provider cannot load; missing: $MISSING" >&2; exit 1; fi
echo "gpu-check: libonnxruntime_providers_cuda.so resolves every library from $CUDA_LIBS"
MODELS=("$@")
[ ${#MODELS[@]} -gt 0 ] || MODELS=(models/*.onnx)
LIST=$(IFS=,; echo "${MODELS[*]}")
java --add-modules=jdk.incubator.vector -Xmx8g -cp "$CP" io.mobileformer.streams.cli.Main gpu-check \
  --model "$LIST" --batches "${MFS_BATCHES:-1,8,32,64}" --seconds "${MFS_SECONDS:-5}"
