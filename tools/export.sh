#!/bin/bash
# Write the commits base..HEAD of build/linux back into patches/: one
# format-patch file per commit, the series file, and the cover letter; and
# the finished files at their kernel paths in the repository (patches/files
# lists them, patches/deleted the files the series removes).
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

# The finished files at their kernel paths, for reading: every file the
# series adds or changes, and the kselftest files that building the vfio
# selftests from this repository needs (unchanged base files).  Files the
# series deletes are listed, not kept.
support=(tools/testing/selftests/lib.mk tools/testing/selftests/kselftest.h
	 tools/testing/selftests/kselftest_harness.h
	 tools/testing/selftests/kselftest/runner.sh)
{
	echo "# Files at kernel paths in this repository, written by make export:"
	echo "# what the series adds or changes, then kselftest support files."
	echo "# The kernel's MAINTAINERS, which the series changes too, is not"
	echo "# written: this repository's MAINTAINERS is the project's own."
	git -C "$linux" diff --name-only --diff-filter=d base..HEAD | grep -vx MAINTAINERS
	printf '%s\n' "${support[@]}"
} > "$tmp/files"
{
	echo "# Files the series deletes from the base tree."
	git -C "$linux" diff --name-only --diff-filter=D base..HEAD
} > "$tmp/deleted"
mkdir -p "$tmp/tree"
grep -v '^#' "$tmp/files" | while read -r f; do
	mkdir -p "$tmp/tree/$(dirname "$f")"
	git -C "$linux" show "HEAD:$f" > "$tmp/tree/$f"
	[ ! -x "$linux/$f" ] || chmod +x "$tmp/tree/$f"
done

if [ -n "$check" ]; then
	status=0
	report=$(mktemp)
	diff -r -q -x tree "$tmp" "$patches" > "$report" || status=1
	grep -v '^#' "$tmp/files" | while read -r f; do
		cmp -s "$tmp/tree/$f" "$top/$f" || echo "Files $f and the series differ"
	done >> "$report"
	[ ! -s "$report" ] || status=1
	if [ $status != 0 ]; then
		sed 's/^/export: /' "$report" >&2
		echo "export: edit the kernel in build/linux and run 'make export' (README, Changing a patch)" >&2
	fi
	rm -f "$report"
	exit $status
fi

changed=0
# Files at kernel paths: drop those the series no longer has, write the rest.
if [ -f "$patches/files" ]; then
	grep -v '^#' "$patches/files" | while read -r f; do
		grep -qxF "$f" "$tmp/files" || rm -f "$top/$f"
	done
fi
while read -r f; do
	case "$f" in "#"*) continue ;; esac
	if ! cmp -s "$tmp/tree/$f" "$top/$f"; then
		mkdir -p "$top/$(dirname "$f")"
		cp -p "$tmp/tree/$f" "$top/$f"
		changed=$((changed + 1))
	fi
done < "$tmp/files"
rm -rf "$tmp/tree"
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
echo "export: $count patches, $changed files changed in patches/ and at kernel paths"
