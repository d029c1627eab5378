#!/usr/bin/env bash
# Builds KSMEngine's DocC documentation with warnings as errors (a broken ``link``, a missing
# article), then checks that every public symbol has a doc comment, naming each one that does not
# (file:line, kind, name). Exit status 0 when both pass, 1 otherwise.
#
#   scripts/check-docs.sh [OUTPUT_DIR]     # default .build/documentation/KSMEngine.doccarchive
#
# The archive can be served by any static web server, or opened with `xcrun docc preview` on macOS;
# `swift package --disable-sandbox preview-documentation --target KSMEngine` serves it locally.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.build/documentation/KSMEngine.doccarchive}"
mkdir -p "$(dirname "$out")"
command -v jq >/dev/null || { echo "check-docs: needs jq (apt-get install jq)" >&2; exit 1; }

start=$(date +%s)
stamp=$(mktemp)
trap 'rm -f "$stamp"' EXIT
status=0

# 1. The documentation, with every DocC warning an error.
if ! swift package --allow-writing-to-directory "$out" generate-documentation --target KSMEngine \
    --output-path "$out" --warnings-as-errors >.build/check-docs.log 2>&1; then
  grep -v -E '^\[[0-9]+/[0-9]+\]|^(Building|Build of|Compiling|Write|Emitting|Linking)' .build/check-docs.log >&2 || true
  echo "check-docs: DocC failed (full log: .build/check-docs.log)" >&2
  status=1
fi

# 2. Coverage: the symbol graph the plugin just extracted (public symbols only). Members a
# protocol's default implementation provides (`hashValue`, `OptionSet.insert`, ...) are
# ::SYNTHESIZED:: and carry the standard library's documentation; everything declared in KSMEngine
# must have its own `///`, or inherit one from the protocol requirement it implements.
graphs=$(find .build -path '*extracted-symbols*' -name 'KSMEngine*.symbols.json' -newer "$stamp" 2>/dev/null || true)
if [ -z "$graphs" ]; then
  echo "check-docs: no symbol graph of KSMEngine was extracted, coverage not checked" >&2
  exit 1
fi
# shellcheck disable=SC2086
report=$(jq -r -s '
  [ .[].symbols[]
    | select(.accessLevel == "public" or .accessLevel == "open")
    | select(.identifier.precise | contains("::SYNTHESIZED::") | not) ]
  | (length | tostring),
    ( map(select((.docComment.lines // []) | map(.text) | join("") | test("\\S") | not))
      | sort_by(.location.uri, .location.position.line)
      | .[]
      | "  \(.location.uri // "?" | sub(".*/Sources/"; "Sources/")):\((.location.position.line // -1) + 1)"
        + "  \(.kind.displayName)  \(.pathComponents | join("."))" )
' $graphs)
total=$(head -n 1 <<<"$report")
missing=$(tail -n +2 <<<"$report")
count=$(grep -c . <<<"$missing" || true)
if [ "$count" -gt 0 ]; then
  echo "check-docs: $count of $total public symbols have no doc comment:" >&2
  echo "$missing" >&2
  status=1
else
  echo "check-docs: all $total public symbols documented"
fi
[ "$status" -eq 0 ] && echo "check-docs: documentation built at $out"
echo "check-docs: $(($(date +%s) - start)) s"
exit "$status"
