#!/usr/bin/env bash
# KSMEngine as a versioned dependency, as CI checks it: clones this repository's committed HEAD into
# a temporary directory, tags the clone (VERSION, default 1.0.0; every other tag is deleted there,
# so the version can only resolve to HEAD), and builds scripts/consumer/, a package that depends on
# it with `.package(url: "file://...", from: VERSION)`. SwiftPM refuses such a dependency when a
# target has unsafe build flags. The consumer's main.swift is the README's library example (the
# first ```swift block under "## The library"), and what it prints must equal the ```text block
# after it. Everything (clone, SwiftPM cache, build) stays in the temporary directory, removed at
# the end; KEEP=1 keeps it. Uncommitted changes are not checked.
set -euo pipefail
root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
head="$(git -C "$root" rev-parse HEAD)"
version="${VERSION:-1.0.0}"
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
  echo "check-consumer: note: uncommitted changes are not checked (it uses HEAD, ${head:0:7})" >&2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/ksm-consumer.XXXXXX")"
if [ "${KEEP:-0}" = 1 ]; then
  echo "check-consumer: keeping $work" >&2
else
  trap 'rm -rf "$work"' EXIT
fi

# The clone, at HEAD, with one tag.
clone="$work/KSMEngine"
git clone --quiet --no-checkout "file://$root" "$clone"
git -C "$clone" cat-file -e "$head^{commit}" 2>/dev/null || git -C "$clone" fetch --quiet origin "$head"
git -C "$clone" checkout --quiet --detach "$head"
git -C "$clone" tag -l | while read -r t; do git -C "$clone" tag -d "$t" >/dev/null; done
git -C "$clone" tag "$version"

# The consumer: the template, and the README's example and its output.
consumer="$work/consumer"
mkdir -p "$consumer/Sources/KSMConsumer"
sed -e "s|@KSMENGINE_URL@|file://$clone|" -e "s|@KSMENGINE_VERSION@|$version|" \
  "$clone/scripts/consumer/Package.swift" >"$consumer/Package.swift"
readme_block() {  # the first ```$1 block after "## The library", without its fences
  awk -v lang="$1" '
    /^## / { inside = ($0 == "## The library") }
    inside && !open && $0 == "```" lang { open = 1; next }
    open && /^```/ { exit }
    open { print }
  ' "$clone/README.md"
}
readme_block swift >"$consumer/Sources/KSMConsumer/main.swift"
readme_block text >"$work/expected.txt"
if [ ! -s "$consumer/Sources/KSMConsumer/main.swift" ] || [ ! -s "$work/expected.txt" ]; then
  echo "check-consumer: README.md has no \`\`\`swift example and \`\`\`text output under \"## The library\"" >&2
  exit 1
fi

# Build and run, with SwiftPM's cache and build directory in the temporary directory.
swiftpm=(--package-path "$consumer" --scratch-path "$consumer/.build" --cache-path "$work/swiftpm-cache")
swift build "${swiftpm[@]}" --product KSMConsumer
resolved="$(grep -A6 '"identity" : "ksmengine"' "$consumer/Package.resolved" || true)"
if ! grep -q "\"revision\" : \"$head\"" <<<"$resolved" || ! grep -q "\"version\" : \"$version\"" <<<"$resolved"; then
  echo "check-consumer: KSMEngine did not resolve to $version at ${head:0:7}:" >&2
  echo "$resolved" >&2
  exit 1
fi
"$consumer/.build/debug/KSMConsumer" >"$work/actual.txt"
if ! diff -u "$work/expected.txt" "$work/actual.txt"; then
  echo "check-consumer: the README's library example printed the lines marked + instead of those marked -" >&2
  exit 1
fi
echo "check-consumer: a package depending on KSMEngine $version (HEAD ${head:0:7}) builds and prints the README's output"
