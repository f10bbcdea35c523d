#!/bin/bash
# Checks of the series as a maintainer receives it.  One PASS/FAIL line each.
#   tools/series-check.sh LINUX
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
linux=$(realpath "$1")
patches=$top/patches
# Debian's python3 modules (ply, git) for checkpatch's SPDX check.
export PATH=/usr/bin:/bin:$PATH

result() { if [ "$1" = 0 ]; then echo "PASS $2"; else echo "FAIL $2"; fi; }

"$top/tools/export.sh" --check
result $? "patches/ and the files at kernel paths are in step with build/linux (export changes nothing)"

cover=$patches/0000-cover-letter.patch
! grep -q '\*\*\* \(SUBJECT\|BLURB\)' "$cover" 2>/dev/null && [ -f "$cover" ]
result $? "the cover letter is written (no format-patch placeholders)"

# The base tree has no upstream history, so checkpatch cannot resolve the
# commits named in Fixes: tags; their format is still checked.
# FILE_PATH_CHANGES asks whether MAINTAINERS needs updating for an added
# file; it is answered here: every added file must have a subsystem entry
# (a maintainer list besides LKML) in the patched tree's MAINTAINERS.
uncovered() {
	local f
	for f in $(sed -n 's/^ create mode [0-7]* //p' "$1"); do
		(cd "$linux" && ./scripts/get_maintainer.pl --no-git --no-rolestats \
			--no-m --no-r -f "$f" 2>/dev/null) |
			grep -qv '^linux-kernel@vger.kernel.org$' || echo "$f"
	done
}
while read -r p; do
	out=$(cd "$linux" && ./scripts/checkpatch.pl --strict --terse --show-types \
		--ignore UNKNOWN_COMMIT_ID "$patches/$p" 2>&1)
	rc=$?
	if [ $rc != 0 ] && ! echo "$out" | grep -E 'ERROR|WARNING|CHECK' |
			grep -qv 'WARNING:FILE_PATH_CHANGES:'; then
		# Only the MAINTAINERS question was raised.
		orphans=$(uncovered "$patches/$p")
		[ -n "$orphans" ] || rc=0
		out="$out
MAINTAINERS has no entry for: $orphans"
	fi
	[ $rc = 0 ] || echo "$out" | grep -E 'ERROR|WARNING|CHECK|MAINTAINERS has' | sed 's/^/    /'
	result $rc "checkpatch --strict $p"
done < "$patches/series"
