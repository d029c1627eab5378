#!/usr/bin/env bash
# The Benchmarks package's deterministic gate, as CI runs it: every benchmark's malloc count must
# equal the committed Benchmarks/Thresholds/ (never a wall-clock time; with CI set, the benchmarks
# measure malloc counts only). Builds the package in release first (about 5 minutes on 2 cores the
# first time). After an intended change, update the thresholds and commit them:
#
#   cd Benchmarks && CI=true swift package --allow-writing-to-package-directory benchmark thresholds update
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks"
CI=true swift package benchmark thresholds check --no-progress
