#!/usr/bin/env bash
# The one place the build installs Debian packages: sourced by training/install-deps.sh, examples/install-deps.sh
# and scripts/install-chromium.sh, each of which first checks cheaply whether what it needs is already there and
# returns at once when it is (the common case: no apt-get run, no network).
#   apt_ensure PKG...   installs the packages not yet installed, as root or through sudo, quietly
apt_ensure() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}" >&2
  # the package lists of a fresh machine are empty or stale: refresh them once per call
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
