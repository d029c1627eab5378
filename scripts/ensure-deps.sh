#!/usr/bin/env bash
# Installs what a fresh machine lacks to build KSMEngine: Debian's libxxhash-dev (the header and
# pkg-config file the CXXHash module needs), libzstd-dev (the CZstd module: snapshot files) and
# pkg-config. Does nothing when they are already there.
set -euo pipefail
if [ -f /usr/include/xxhash.h ] && [ -f /usr/include/zstd.h ] \
  && pkg-config --exists libxxhash 2>/dev/null && pkg-config --exists libzstd 2>/dev/null; then
  exit 0
fi
echo "Installing libxxhash-dev, libzstd-dev and pkg-config (Debian packages)..." >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libxxhash-dev libzstd-dev pkg-config >/dev/null
