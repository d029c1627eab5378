#!/usr/bin/env bash
# Measures the simulator against this machine's ksmd: `ksmd-sim bench --kernel --repeat 5` for
# 262,144 pages at duplicate ratios 0 and 0.5 (release build), as in docs/performance.md.
#
#   sudo scripts/measure-host-ksmd.sh [OUTPUT.json]     # JSON to OUTPUT.json, else to stdout
#
# The machine (kernel, cores, CPU model), the date, the commit and the load average go to stderr
# with each run's table; the JSON document holds the same facts and every result. Environment:
# PAGES (262144), RATIOS ("0 0.5"), REPEAT (5), THREADS (2: also a single-threaded run), POLL_SLEEP_US (100; 0 spins). Needs root: ksmd's
# knobs are taken over for each run and restored afterwards. Exit 1 if any counters differ from the
# expected ones, 77 without root.
set -euo pipefail
cd "$(dirname "$0")/.."

PAGES="${PAGES:-262144}"
RATIOS="${RATIOS:-0 0.5}"
REPEAT="${REPEAT:-5}"
THREADS="${THREADS:-2}"
POLL_SLEEP_US="${POLL_SLEEP_US:-100}"
OUTPUT="${1:-}"

if [ "$(id -u)" -ne 0 ]; then
  echo "measure-host-ksmd: needs root (it drives /sys/kernel/mm/ksm)" >&2
  exit 77
fi

scripts/ensure-deps.sh
# SwiftPM builds one --product per invocation.
swift build -c release --product ksm-worker >&2
swift build -c release --product ksmd-sim >&2

kernel="$(uname -r)"
cores="$(nproc)"
cpu="$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit+changes"; fi
json_string() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

{
  echo "machine: Linux $kernel, $cores cores, $cpu"
  echo "date:    $date, commit $commit"
  echo "runs:    $PAGES pages, duplicate ratios $RATIOS, medians of $REPEAT runs, $THREADS hashing threads (and 1), poll sleep ${POLL_SLEEP_US} us"
} >&2

status=0
results=()
loads=()
for r in $RATIOS; do
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  loads+=("$(json_string "$load")")
  echo >&2
  echo "== duplicate ratio $r (load average $load) ==" >&2
  one_file="$(mktemp)"
  set +e
  .build/release/ksmd-sim bench --kernel --pages "$PAGES" --duplicate-ratio "$r" --repeat "$REPEAT" --threads "$THREADS" \
    --poll-sleep-us "$POLL_SLEEP_US" --json-file "$one_file" >&2
  rc=$?
  set -e
  one="$(cat "$one_file")"
  rm -f "$one_file"
  if [ "$rc" -gt 1 ] || [ -z "$one" ]; then
    echo "measure-host-ksmd: ksmd-sim bench failed (exit $rc) at duplicate ratio $r" >&2
    exit "$rc"
  fi
  if [ "$rc" -ne 0 ]; then status=1; fi
  results+=("$one")
done

document="$(
  printf '{\n"machine": {"kernel": %s, "cores": %s, "cpu": %s},\n' "$(json_string "$kernel")" "$cores" "$(json_string "$cpu")"
  printf '"date": %s,\n"commit": %s,\n"repeat": %s,\n' "$(json_string "$date")" "$(json_string "$commit")" "$REPEAT"
  printf '"load_average_before_each": [%s],\n"results": [\n' "$(IFS=,; echo "${loads[*]}")"
  sep=""
  for one in "${results[@]}"; do
    printf '%s%s' "$sep" "$one"
    sep=$',\n'
  done
  printf '\n]\n}\n'
)"
if [ -n "$OUTPUT" ]; then
  printf '%s\n' "$document" >"$OUTPUT"
  echo "measure-host-ksmd: results written to $OUTPUT" >&2
else
  printf '%s\n' "$document"
fi
exit "$status"
