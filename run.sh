#!/usr/bin/env bash
# The main job: builds ksmd-sim (release) and runs it. With no arguments it runs the built-in
# demonstration; any arguments are passed on, e.g. ./run.sh run examples/merge-any-vmas.json
set -euo pipefail
cd "$(dirname "$0")"
scripts/ensure-deps.sh
swift build -c release --product ksm-worker >&2
swift build -c release --product ksmd-sim >&2
exec .build/release/ksmd-sim "$@"
