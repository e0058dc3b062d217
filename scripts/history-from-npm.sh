#!/usr/bin/env bash
# history-from-npm.sh NAME VERSION...: a git repository with one commit per published version of an
# npm package, oldest first, for `seedling eval --history` (docs/quality.md, "Learning as you code").
# Each commit's tree is the package as published (what `npm pack` fetches), so the lines a version
# added are what its authors wrote between releases. Writes .cache/eval/history/NAME and prints its path.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
name="${1:?usage: scripts/history-from-npm.sh NAME VERSION...}"
shift
[ "$#" -ge 2 ] || { echo "history-from-npm: give at least two versions" >&2; exit 2; }
repo="$root/.cache/eval/history/$name"
packs="$root/.cache/eval/history/.packs/$name"
rm -rf "$repo"
mkdir -p "$repo" "$packs"
git -C "$repo" init -q
for version in "$@"; do
  tgz="$packs/$name-$version.tgz"
  # npm pack names the file NAME-VERSION.tgz (a scope's @ and / become - and are dropped).
  [ -f "$tgz" ] || (cd "$packs" && npm pack "$name@$version" --silent >/dev/null)
  [ -f "$tgz" ] || { echo "history-from-npm: npm pack $name@$version did not give $tgz" >&2; exit 1; }
  # Replace the tree with this version's files (git add -A records deletions too).
  find "$repo" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
  tar xzf "$tgz" -C "$repo" --strip-components=1
  git -C "$repo" add -A
  git -C "$repo" -c user.name=seedling -c user.email=seedling@localhost commit -q --allow-empty -m "$name $version" \
    --date "2000-01-01T00:00:00Z"
done
echo "$repo"
