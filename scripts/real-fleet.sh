#!/usr/bin/env bash
# A real example (issue #12, item 6): starts four Python 3 interpreters on this machine, each with
# other modules imported, captures them into one hashes-only snapshot, and replays them as a fleet:
# each interpreter loaded and cloned 16 times with 5% of every clone's pages rewritten, run on the
# simulator and compared under the linux-6.4 and linux-6.17 rule sets. Prints every command and its
# output. The interpreters it starts are killed when it ends, also on errors and Ctrl-C.
#
#   scripts/real-fleet.sh            # files in a temporary directory, removed at the end
#   scripts/real-fleet.sh DIR        # keeps the snapshot and the scenario in DIR (created)
#
# Environment: COPIES (clones per interpreter, default 16), DRIFT (default 0.05), KSMD_SIM (a
# ksmd-sim binary to use instead of building the release one).
# Root is not needed: a user can capture their own processes (but see the Yama check below); as
# root the capture also sees page frame numbers, so pages mapping the shared zero page are told apart.
set -euo pipefail
# Paths the caller gave are theirs, relative to where they ran the script: resolved before the cd.
if [ "$#" -eq 1 ]; then set -- "$(realpath -m -- "$1")"; fi
if [ -n "${KSMD_SIM:-}" ]; then KSMD_SIM="$(realpath -m -- "$KSMD_SIM")"; fi
cd "$(dirname "$0")/.."

fail() {
  echo "real-fleet: $*" >&2
  exit 1
}

copies="${COPIES:-16}"
drift="${DRIFT:-0.05}"
[[ "$copies" =~ ^[1-9][0-9]{0,3}$ ]] || fail "COPIES must be 1 to 9999, not '$copies'"
[[ "$drift" =~ ^(0(\.[0-9]+)?|1(\.0+)?)$ ]] || fail "DRIFT must be a decimal from 0 to 1, not '$drift'"
[ "$#" -le 1 ] || fail "usage: scripts/real-fleet.sh [DIR]"

command -v python3 >/dev/null 2>&1 || fail "python3 is not installed (Debian: apt-get install python3)"
[ -r /proc/self/pagemap ] || fail "/proc/self/pagemap is not readable: capture needs Linux's /proc"
if [ "$(id -u)" -ne 0 ] && [ -r /proc/sys/kernel/yama/ptrace_scope ]; then
  scope="$(cat /proc/sys/kernel/yama/ptrace_scope)"
  # ksmd-sim is not the interpreters' parent, so Yama's scope 1 or more keeps it from reading
  # their /proc/PID/mem unless it runs as root.
  [ "$scope" = 0 ] || fail "kernel.yama.ptrace_scope is $scope: run as root (sudo), or set it to 0, to capture processes"
fi

if [ -n "${KSMD_SIM:-}" ]; then
  [ -x "$KSMD_SIM" ] || fail "KSMD_SIM=$KSMD_SIM is not an executable"
  sim="$KSMD_SIM"
else
  command -v swift >/dev/null 2>&1 || fail "swift is not installed: install Swift 6.1 or later, or set KSMD_SIM to a ksmd-sim binary"
  echo "building ksmd-sim (release)..." >&2
  swift build -c release --product ksmd-sim >&2 \
    || fail "swift build failed (missing libxxhash-dev or libzstd-dev? scripts/ensure-deps.sh installs them)"
  sim=.build/release/ksmd-sim
fi

if [ "$#" -eq 1 ]; then
  dir="$1"
  mkdir -p "$dir" || fail "cannot create $dir"
  keep=1
else
  dir="$(mktemp -d "${TMPDIR:-/tmp}/real-fleet.XXXXXX")" || fail "cannot create a temporary directory"
  keep=0
fi

pids=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$keep" -eq 0 ]; then rm -rf "$dir"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# name, then the modules it imports
programs=(
  "py-json:json, decimal, sqlite3"
  "py-web:email, http.client, xml.dom.minidom, json"
  "py-async:asyncio, ssl, json, decimal"
  "py-bare:sys"
)
names=()
for p in "${programs[@]}"; do
  name="${p%%:*}"
  modules="${p#*:}"
  # Each says "ready" once its modules are imported, then sleeps; it dies with the script at the
  # latest after 600 s, should the script itself be killed with SIGKILL.
  python3 -c "import $modules; import sys, time; print('ready', flush=True); time.sleep(600)" \
    >"$dir/$name.out" 2>&1 &
  pids+=("$!")
  names+=("$name")
done
for i in "${!pids[@]}"; do
  for _ in $(seq 1 100); do
    grep -q ready "$dir/${names[$i]}.out" 2>/dev/null && break
    kill -0 "${pids[$i]}" 2>/dev/null || fail "python3 (${names[$i]}) exited: $(head -c 300 "$dir/${names[$i]}.out")"
    sleep 0.1
  done
  grep -q ready "$dir/${names[$i]}.out" || fail "python3 (${names[$i]}) did not start within 10 s"
done

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -srm), $(nproc) CPUs, $(python3 --version 2>&1)"
for i in "${!pids[@]}"; do
  echo "# ${names[$i]}: pid ${pids[$i]}, python3 -c 'import ${programs[$i]#*:}; ...'"
done

run() {
  echo "\$ ${*/#$sim/ksmd-sim}"
  "$@"
  echo
}

# --hashes-only: the counters are the same as with the bytes (docs/snapshot-format.md), the file
# is a twentieth of the size, and it holds no page contents, so it can be kept or shared.
capture_args=()
for pid in "${pids[@]}"; do capture_args+=(--pid "$pid"); done
run "$sim" capture "${capture_args[@]}" --hashes-only -o "$dir/fleet.ksmsnap"
echo "# fleet.ksmsnap: $(stat -c %s "$dir/fleet.ksmsnap") bytes"
echo

# The scenario: every interpreter loaded (PR_SET_MEMORY_MERGE on), scanned alone, then cloned.
{
  echo '{'
  echo "  \"description\": \"$((${#pids[@]})) Python 3 interpreters captured by scripts/real-fleet.sh, each cloned $copies times with drift $drift\","
  echo '  "steps": ['
  for i in "${!pids[@]}"; do
    echo "    {\"op\": \"load\", \"process\": \"${names[$i]}\", \"snapshot\": \"fleet.ksmsnap\", \"pid\": ${pids[$i]}},"
    echo "    {\"op\": \"prctl\", \"process\": \"${names[$i]}\", \"memory_merge\": true},"
  done
  echo '    {"op": "scan", "full_scans": 4},'
  echo "    {\"op\": \"report\", \"label\": \"the ${#pids[@]} interpreters\"},"
  for i in "${!pids[@]}"; do
    echo "    {\"op\": \"clone\", \"process\": \"${names[$i]}\", \"prefix\": \"${names[$i]}-\", \"count\": $copies, \"drift\": $drift, \"seed\": $((i + 1))},"
  done
  echo '    {"op": "scan", "full_scans": 4},'
  echo "    {\"op\": \"report\", \"label\": \"$copies clones of each, drift $drift\"}"
  echo '  ]'
  echo '}'
} >"$dir/fleet.json"

run "$sim" estimate --snapshot "$dir/fleet.ksmsnap"
run "$sim" run "$dir/fleet.json" --summary
run "$sim" compare "$dir/fleet.json" --rules linux-6.4,linux-6.17 --summary
if [ "$keep" -eq 1 ]; then echo "# kept: $dir/fleet.ksmsnap, $dir/fleet.json"; fi
