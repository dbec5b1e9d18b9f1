#!/usr/bin/env bash
# Installs Debian's chromium for the live view's browser test (ViewIT drives it headless over the DevTools
# protocol; no chromium-driver needed). Returns at once when a browser is there ($MFS_CHROMIUM or chromium on the
# PATH). About 100 MB of archives.
set -euo pipefail
if command -v "${MFS_CHROMIUM:-chromium}" >/dev/null 2>&1; then
  exit 0
fi
. "$(dirname "$0")/apt-ensure.sh"
apt_ensure chromium fonts-liberation  # fonts: the page's labels need a sans-serif font in a bare image
chromium --version
