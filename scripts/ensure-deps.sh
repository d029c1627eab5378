#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and test KSMEngine: Debian's libxxhash-dev (the header
# and pkg-config file the CXXHash module needs), libzstd-dev (the CZstd module: snapshot files),
# pkg-config, jq (scripts/check-docs.sh reads DocC's symbol graph with it), and gdb (its gcore writes the core files the `estimate --core` tests compare with live
# processes; without it those tests skip, saying so). Does nothing when they are already there.
set -euo pipefail
packages=()
if ! { [ -f /usr/include/xxhash.h ] && pkg-config --exists libxxhash 2>/dev/null; }; then
  packages+=(libxxhash-dev pkg-config)
fi
if ! { [ -f /usr/include/zstd.h ] && pkg-config --exists libzstd 2>/dev/null; }; then
  packages+=(libzstd-dev pkg-config)
fi
if ! command -v jq >/dev/null 2>&1; then
  packages+=(jq)
fi
if ! command -v gcore >/dev/null 2>&1; then
  packages+=(gdb)
fi
if [ "${#packages[@]}" -eq 0 ]; then
  exit 0
fi
echo "Installing ${packages[*]} (Debian packages)..." >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${packages[@]}" >/dev/null
