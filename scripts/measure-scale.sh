#!/bin/sh
# Measures how the ids mode scales: `ksmd-sim bench --content ids` at growing sizes, both duplicate
# ratios, under /usr/bin/time -v (peak RSS as GNU time measures it). docs/scale.md reports the results.
#
#   scripts/measure-scale.sh OUTDIR [REPEAT] [PAGES...]
#
# Defaults: REPEAT 3, PAGES 1 Mi, 4 Mi and 16 Mi. Each size and ratio writes OUTDIR/N-R.json (bench's
# own numbers), N-R.txt (its table) and N-R.time (GNU time's report); OUTDIR/machine.txt gets the
# machine, the commit, and `uptime` before and after every run. Needs the release build
# (`swift build -c release`) and GNU time (`apt-get install time`). BUDGET_MIB=M passes
# `--memory-budget-mib M` (the default budget counts 128 bytes a page of ids: 128 Mi pages need 16 GiB
# of it, three quarters of what this machine has available).
set -eu
out=${1:?usage: scripts/measure-scale.sh OUTDIR [REPEAT] [PAGES...]}
repeat=${2:-3}
[ $# -ge 2 ] && shift 2 || shift $#
sizes=${*:-1048576 4194304 16777216}
root=$(cd "$(dirname "$0")/.." && pwd)
sim="$root/.build/release/ksmd-sim"
[ -x "$sim" ] || { echo "measure-scale.sh: build first: swift build -c release" >&2; exit 66; }
[ -x /usr/bin/time ] || { echo "measure-scale.sh: needs GNU time (apt-get install time)" >&2; exit 66; }
mkdir -p "$out"
{
    date -u
    uname -r
    nproc
    grep -m1 'model name' /proc/cpuinfo || true
    grep MemTotal /proc/meminfo
    git -C "$root" rev-parse --short HEAD
    git -C "$root" status --porcelain | head -5
} >>"$out/machine.txt"
for n in $sizes; do
    for r in 0 0.5; do
        echo "$n $r before: $(uptime)" >>"$out/machine.txt"
        /usr/bin/time -v "$sim" bench --content ids --pages "$n" --duplicate-ratio "$r" --repeat "$repeat" \
            ${BUDGET_MIB:+--memory-budget-mib "$BUDGET_MIB"} --json-file "$out/$n-$r.json" >"$out/$n-$r.txt" 2>"$out/$n-$r.time" || echo "$n $r: exit $?" >>"$out/machine.txt"
        echo "$n $r after: $(uptime)" >>"$out/machine.txt"
    done
done
