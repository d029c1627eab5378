#!/usr/bin/env bash
# The test suite: unit tests, the ported kernel selftests, and (as root, with /sys/kernel/mm/ksm)
# the same scenarios on this machine's kernel, compared report by report.
set -euo pipefail
cd "$(dirname "$0")"
scripts/ensure-deps.sh
swift build --build-tests
# The host comparisons count /proc/vmstat's THP events, which are system-wide: the simulations
# other suites run meanwhile must not fault huge pages for their page stores (PageStore.avoidHugePages).
KSMD_SIM_NO_HUGE_STORES=1 swift test --skip-build "$@"
