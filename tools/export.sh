#!/bin/bash
# Write the commits base..HEAD of build/linux back into patches/: one
# format-patch file per commit, the series file, and the cover letter.
# Output is stable: exporting an unchanged tree twice changes nothing.
#   tools/export.sh [--check]   --check: only say whether patches/ is in step
set -euo pipefail
check=
[ "${1:-}" != --check ] || check=1

top=$(cd "$(dirname "$0")/.." && pwd)
linux=${LINUX:-$top/build/linux}
patches=$top/patches
cover=$patches/0000-cover-letter.patch

[ -d "$linux/.git" ] || { echo "export: no tree at $linux (make tree)" >&2; exit 1; }
if [ -n "$(git -C "$linux" status --porcelain --untracked-files=no)" ]; then
	echo "export: $linux has uncommitted changes; commit them first" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

count=$(git -C "$linux" rev-list --count base..HEAD)
git -C "$linux" format-patch -q --zero-commit --no-signature \
	--subject-prefix=PATCH -o "$tmp" base..HEAD

# The cover letter keeps its hand-written subject, date and blurb; the
# shortlog and diffstat after the blurb are regenerated.
subject="vfio/type1, s390: *** SUBJECT ***"
blurb="*** BLURB ***"
date=$(date -R)
if [ -f "$cover" ]; then
	subject=$(sed -n 's/^Subject: \[PATCH [0-9]*\/[0-9]*\] //p' "$cover" | head -1)
	date=$(sed -n 's/^Date: //p' "$cover" | head -1)
	blurb=$(awk 'body && /^[^ ].* \([0-9]+\):$/ { exit } body { print } /^$/ && !body { body = 1 }' "$cover")
fi
{
	echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
	echo "From: $(git -C "$linux" config user.name) <$(git -C "$linux" config user.email)>"
	echo "Date: $date"
	echo "Subject: [PATCH 0/$count] $subject"
	echo
	printf '%s\n\n' "$blurb"
	git -C "$linux" shortlog base..HEAD
	git -C "$linux" diff --stat=72 --summary base..HEAD
} > "$tmp/0000-cover-letter.patch"
# git's format-patch pads the subject numbers of a 10+ patch series; keep the
# cover letter's number in the same width.
first=$(sed -n 's/^Subject: \[PATCH \([0-9]*\)\/.*/\1/p' "$tmp"/0001-*.patch 2>/dev/null | head -1)
if [ -n "$first" ] && [ ${#first} -gt 1 ]; then
	sed -i "s/^Subject: \[PATCH 0\//Subject: [PATCH $(printf '%0*d' ${#first} 0)\//" "$tmp/0000-cover-letter.patch"
fi

mkdir -p "$patches"
(cd "$tmp" && ls -1 [0-9]*.patch | grep -v '^0000-cover-letter.patch$' || true) > "$tmp/series"

if [ -n "$check" ]; then
	if diff -r -q "$tmp" "$patches" >/dev/null; then
		exit 0
	fi
	diff -r -q "$tmp" "$patches" | sed 's/^/export: /' >&2
	exit 1
fi

changed=0
for f in "$tmp"/*; do
	name=$(basename "$f")
	if ! cmp -s "$f" "$patches/$name"; then
		cp "$f" "$patches/$name"
		changed=$((changed + 1))
	fi
done
for f in "$patches"/*.patch; do
	[ -e "$f" ] || continue
	name=$(basename "$f")
	if [ ! -e "$tmp/$name" ]; then
		rm -f "$f"
		changed=$((changed + 1))
	fi
done

git -C "$linux" config bench.head "$(git -C "$linux" rev-parse HEAD)"
# The stamp tree.sh checks: the tree now matches patches/.
git -C "$linux" config bench.stamp "$("$top/tools/tree.sh" --stamp)"
echo "export: $count patches, $changed files changed in patches/"
