#!/bin/sh
# The images' entry point: the first argument picks what runs, the rest are its options.
#   run ...      the detector (RunCommand, the arguments of ./mfs run)            [default]
#   ingest ...   camera ingest (IngestCommand, the arguments of ./mfs ingest)
#   broker ...   a one-node KRaft broker (./mfs broker; the :broker image only)
# Any key of the configuration files can be overridden from the environment as MFS_<KEY> (MFS_BOOTSTRAP_SERVERS, ...);
# MFS_HEAP sets the Java heap, MFS_JAVA_OPTS adds JVM flags.
set -eu
ROLE=run
case "${1:-}" in
  run|ingest|broker) ROLE=$1; shift ;;
esac
CP="/opt/mfs/app/*:/opt/mfs/lib/*"
case "$ROLE" in
  run) MAIN=io.mobileformer.streams.topology.RunCommand ;;
  ingest) MAIN=io.mobileformer.streams.ingest.IngestCommand ;;
  broker)
    [ -d /opt/mfs/broker ] || { echo "entrypoint: this image has no broker (build the :broker image)" >&2; exit 2; }
    CP="$CP:/opt/mfs/broker/*"; MAIN=io.mobileformer.streams.cli.Main; set -- broker "$@" ;;
esac
# the Java engine's kernels need the Vector API module; 32 MB G1 regions keep batch tensors out of humongous
# allocations; ONNX Runtime loads its libraries where the image keeps them (no unpacking at start), JavaCPP unpacks
# FFmpeg's into its cache folder: with the JVM's temporary folder, the only places the process writes
# shellcheck disable=SC2086
exec java --add-modules=jdk.incubator.vector -Xmx"${MFS_HEAP:-1g}" -XX:+UseG1GC -XX:G1HeapRegionSize=32m \
  -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/opt/mfs/tmp -Dorg.bytedeco.javacpp.cachedir=/opt/mfs/.javacpp \
  -Donnxruntime.native.path=/opt/mfs/ort-native \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.io.mobileformer=info \
  ${MFS_JAVA_OPTS:-} -cp "$CP" "$MAIN" "$@"
