#!/usr/bin/env bash
# The test suite: unit tests, the ported kernel selftests, and (as root, with /sys/kernel/mm/ksm)
# the same scenarios on this machine's kernel, compared report by report.
set -euo pipefail
cd "$(dirname "$0")"
scripts/ensure-deps.sh
swift build --build-tests
swift test --skip-build "$@"
