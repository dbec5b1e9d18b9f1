#!/usr/bin/env bash
# Builds the container images on a machine with no Docker daemon and no container registry, from Debian packages and
# Maven Central alone:
#   docker/images.sh build [cpu|gpu|broker|all]   build images (default cpu); prints size and build time
#   docker/images.sh podman ARGS...               podman with this project's private storage and settings
#   docker/images.sh check                        exit 0 when this machine can run containers, else say why
#   docker/images.sh install                      install podman & co. from Debian (done by build when missing)
#
# Steps: (1) Debian packages podman runc mmdebstrap netavark conmon catatonit, installed when missing; (2) two Debian
# base images made by mmdebstrap (a JDK + Maven build base, a minimal runtime base), cached as tarballs under
# $MFS_IMAGES_CACHE keyed by their package list, imported into podman; (3) podman build of docker/Dockerfile (CPU)
# or docker/Dockerfile.gpu (GPU) with the bases tagged under the names the Dockerfiles use.
#
# Settings these VMs need, kept private to the project (never /etc/containers): the runc runtime (crun refuses the
# hybrid cgroup layout), default ulimits the VM can grant, overlay storage in a private folder, host networking
# (bridge networking would need iptables, which we must not touch). Maven inside the build trusts this machine's
# extra CA certificates (Debian's local CA folder), mounted into the build only: they never enter an image layer.
#
# Environment: MFS_IMAGES_CACHE (default ~/.cache/mfs-images), MFS_DEBIAN_MIRROR (default http://deb.debian.org/debian),
# MFS_IMAGE_TAG (default mobileformer-streams), MFS_EXTRA_CA_DIR (default /usr/local/share/ca-certificates).
set -euo pipefail
ROOT_DIR=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${MFS_IMAGES_CACHE:-$HOME/.cache/mfs-images}
MIRROR=${MFS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
TAG=${MFS_IMAGE_TAG:-mobileformer-streams}
EXTRA_CA_DIR=${MFS_EXTRA_CA_DIR:-/usr/local/share/ca-certificates}
HOST_PKGS=(podman runc mmdebstrap netavark conmon catatonit uidmap)

# Base images: Debian's own packages. The build base compiles (JDK, whose jmods jlink reads; Maven); the runtime base holds
# no Java at all: the image carries a jlinked runtime of just the modules the jars use (see docker/Dockerfile).
BUILD_BASE_PKGS=(openjdk-17-jdk-headless maven ca-certificates-java)
# libstdc++ for ONNX Runtime; the CA bundle comes from the build stage (the package would bring perl along)
RUNTIME_BASE_PKGS=(libstdc++6 zlib1g)
# merged /usr by mmdebstrap's hook rather than by the usrmerge package, which pulls in ~50 MB of perl; iconv's
# gconv modules: neither Java nor FFmpeg's demuxers and decoders use them
RUNTIME_BASE_OPTS=(--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
  --customize-hook='rm -rf "$1"/usr/lib/x86_64-linux-gnu/gconv "$1"/var/cache/debconf/*-old "$1"/var/lib/dpkg/*-old')

NO_OPTS=()

log() { echo "images: $*" >&2; }

# the build's one apt-get path (root or sudo, only the packages missing)
. "$ROOT_DIR/scripts/apt-ensure.sh"
install_host_packages() { apt_ensure "${HOST_PKGS[@]}"; }

setup_config() {
  mkdir -p "$CACHE/bases" "$CACHE/storage" "$CACHE/run" "$CACHE/tmp"
  cat >"$CACHE/containers.conf" <<'END'
# mobileformer-streams' private podman settings (docker/images.sh writes this file on every run)
[containers]
# the VM may refuse to raise limits beyond these; podman's defaults ask for more
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "host"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
network_backend = "netavark"
END
  cat >"$CACHE/storage.conf" <<END
[storage]
driver = "overlay"
graphroot = "$CACHE/storage"
runroot = "$CACHE/run"
END
  export CONTAINERS_CONF="$CACHE/containers.conf" CONTAINERS_STORAGE_CONF="$CACHE/storage.conf" TMPDIR="$CACHE/tmp"
}

pm() { podman --root "$CACHE/storage" --runroot "$CACHE/run" --storage-driver overlay --runtime runc \
  --cgroup-manager cgroupfs --events-backend file "$@"; }

# A machine that cannot run containers at all: say exactly why (the tests skip on this, loudly).
check_can_run() {
  if [ "$(id -u)" != 0 ] && [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" = 0 ]; then
    echo "no user namespaces (user.max_user_namespaces=0) and not root"; return 1
  fi
  if [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 0 ] && [ "$(id -u)" != 0 ]; then
    echo "unprivileged user namespaces disabled (kernel.unprivileged_userns_clone=0) and not root"; return 1
  fi
  if ! command -v apt-get >/dev/null && ! command -v podman >/dev/null; then
    echo "neither podman nor apt-get (to install it) is present"; return 1
  fi
  return 0
}

# mmdebstrap a base once per package list; the tarball is the cache (≈ 1-2.5 min each, fresh).
# $1: name; $2: name of an array of extra mmdebstrap options; the rest: packages
base_image() {
  local name=$1 opts_var=$2; shift 2
  local pkgs=("$@")
  local -n opts=$opts_var
  local key
  key=$(printf '%s\n' "$SUITE" "$MIRROR" "${pkgs[@]}" "${opts[@]}" | sha256sum | cut -c1-12)
  local tar="$CACHE/bases/$name-$key.tar"
  if [ ! -s "$tar" ]; then
    log "mmdebstrap $name ($SUITE: ${pkgs[*]})"
    local inc tmp="$CACHE/bases/.$name-$key.partial.tar"   # mmdebstrap picks its output format by extension
    inc=$(IFS=,; echo "${pkgs[*]}")
    # man1 must exist or update-alternatives (openjdk's postinst) fails in an essential-variant tree
    mmdebstrap --quiet --variant=essential --include="$inc" "${opts[@]}" \
      --setup-hook='mkdir -p "$1/usr/share/man/man1"' \
      --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/* "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/usr/share/locale/*' \
      "$SUITE" "$tmp" "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" </dev/null
    mv "$tmp" "$tar"
    # one tarball per base: an older package list's goes
    find "$CACHE/bases" -maxdepth 1 -name "$name-*.tar" ! -name "$name-$key.tar" -delete
  fi
  if ! pm image exists "localhost/$name:$key"; then
    log "podman import $name"
    pm import --quiet "$tar" "localhost/$name:$key" >/dev/null
  fi
  pm tag "localhost/$name:$key" "localhost/$name:$SUITE"
}

build_image() {
  local kind=$1 file target="" tag
  case "$kind" in
    cpu) file=docker/Dockerfile; target=cpu; tag="$TAG:cpu" ;;
    broker) file=docker/Dockerfile; target=broker; tag="$TAG:broker" ;;
    gpu) file=docker/Dockerfile.gpu; tag="$TAG:gpu" ;;
    *) echo "images: unknown image '$kind' (cpu, gpu, broker, all)" >&2; exit 2 ;;
  esac
  local mounts=()
  if compgen -G "$EXTRA_CA_DIR/*.crt" >/dev/null; then
    mounts=(--volume "$EXTRA_CA_DIR:/mfs-extra-ca:ro")
  fi
  # this machine's Maven repository, read-only: the build stage takes what it holds before asking Maven Central
  local m2=${MFS_HOST_M2:-$HOME/.m2/repository}
  [ -d "$m2" ] && mounts+=(--volume "$m2:/mfs-host-m2:ro")
  log "podman build $tag ($file${target:+, target $target})"
  local t0=$SECONDS
  (cd "$ROOT_DIR" && pm build --pull=never --network host --layers --format docker "${mounts[@]}" \
    --ulimit nofile=20000:20000 ${target:+--target "$target"} -f "$file" -t "localhost/$tag" .)
  local secs=$((SECONDS - t0))
  local bytes
  bytes=$(pm image inspect --format '{{.Size}}' "localhost/$tag")
  echo "IMAGE $tag size_mb=$((bytes / 1000000)) build_s=$secs"
}

main() {
  local cmd=${1:-build}; shift || true
  case "$cmd" in
    check) check_can_run ;;
    install) install_host_packages ;;
    podman) setup_config; pm "$@" ;;
    bases) install_host_packages; setup_config
      base_image mfs-base-build NO_OPTS "${BUILD_BASE_PKGS[@]}"; base_image mfs-base-runtime RUNTIME_BASE_OPTS "${RUNTIME_BASE_PKGS[@]}" ;;
    build)
      check_can_run >/dev/null || { echo "images: this machine cannot run containers: $(check_can_run)" >&2; exit 3; }
      install_host_packages
      setup_config
      local t0=$SECONDS
      base_image mfs-base-build NO_OPTS "${BUILD_BASE_PKGS[@]}"
      base_image mfs-base-runtime RUNTIME_BASE_OPTS "${RUNTIME_BASE_PKGS[@]}"
      log "bases ready in $((SECONDS - t0)) s"
      local kinds=("${@:-cpu}")
      [ "${kinds[0]}" = all ] && kinds=(cpu broker gpu)
      for k in "${kinds[@]}"; do build_image "$k"; done
      echo "IMAGES total_build_s=$((SECONDS - t0))"
      ;;
    *) sed -n '2,8p' "$0" >&2; exit 2 ;;
  esac
}
main "$@"
