#!/bin/bash
# make coccicheck MODE=report on every kernel C file the series touches,
# on the patched tree: no report may fall on a line the series adds or
# changes (a report there is new; one elsewhere the base already had).
#
#   tools/cocci.sh LINUX OUTDIR
# One PASS/FAIL line.  Uses the worktree build/cross-src (tools/cross.sh).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
linux=$(realpath "$1")
out=$(realpath -m "$2")
src=$top/build/cross-src
mkdir -p "$out"

result() { if [ "$1" = 0 ]; then echo "PASS $2"; else echo "FAIL $2"; fi; }
command -v spatch > /dev/null || { result 1 "coccicheck: spatch missing (apt-get install coccinelle)"; exit 1; }

mapfile -t files < <(git -C "$linux" diff --name-only --diff-filter=AM base..HEAD -- '*.c' |
	grep -v '^tools/')
git -C "$linux" worktree prune
[ -e "$src/.git" ] || git -C "$linux" worktree add -q --detach "$src" base || exit 1

# What "make coccicheck MODE=report" runs, one spatch per semantic patch
# over all the files at once (make coccicheck takes one file or directory
# per run).  Patches with OCaml scripts need an OCaml compiler Debian's
# coccinelle does not bring; they are named and left out.
includes=(-I ./arch/x86/include -I ./arch/x86/include/generated -I ./include
	-I ./arch/x86/include/uapi -I ./arch/x86/include/generated/uapi
	-I ./include/uapi -I ./include/generated/uapi
	--include ./include/linux/compiler-version.h --include ./include/linux/kconfig.h)
report() {	# tree-ish output
	local c rc=0 present=()
	git -C "$src" checkout -q --detach "$1" || return 1
	for f in "${files[@]}"; do [ -f "$src/$f" ] && present+=("$f"); done
	: > "$2.raw"
	for c in "$src"/scripts/coccinelle/*/*.cocci; do
		grep -q '^virtual report' "$c" || continue
		grep -q '^@script:ocaml' "$c" && continue
		# shellcheck disable=SC2046
		(cd "$src" && spatch -D report --no-show-diff --very-quiet \
			--cocci-file "${c#$src/}" $(sed -n 's|^// Options:||p' "$c") \
			"${includes[@]}" --jobs 2 --chunksize 1 "${present[@]}") \
			>> "$2.raw" 2> "$out/spatch.err" || {
			echo "    spatch failed: ${c#$src/}"; sed 's/^/      /' "$out/spatch.err" | head -3; rc=1; }
	done
	grep -E '^(\./)?[a-z].*\.c:[0-9]+:' "$2.raw" |
		sed -E 's|^\./||; s/:[0-9]+:[0-9]+-[0-9]+:/:/; s/:[0-9]+:/:/g' | sort > "$2"
	return $rc
}

# FILE:LINE of every line the series adds or changes.
added_lines() {
	git -C "$linux" diff -U0 base..HEAD -- "${files[@]}" | awk '
		/^\+\+\+ b\// { file = substr($0, 7) }
		/^@@/ { split($3, r, ","); start = substr(r[1], 2); n = (r[2] == "") ? 1 : r[2]
			for (i = 0; i < n; i++) print file ":" start + i }'
}

start=$(date +%s)
scripts=$(grep -l '^virtual report' "$src"/scripts/coccinelle/*/*.cocci | xargs grep -L '^@script:ocaml' | wc -l)
skipped=$(grep -l '^@script:ocaml' "$src"/scripts/coccinelle/*/*.cocci | sed 's|.*/coccinelle/||' | tr '\n' ' ')
report "$(git -C "$linux" rev-parse HEAD)" "$out/cocci-series.txt"
rc=$?
added_lines | sort -u > "$out/added-lines.txt"
new=$(grep -E '^[^:]+:[0-9]+:' "$out/cocci-series.txt.raw" | sed -E 's|^\./||' |
	while IFS= read -r line; do
		key=$(echo "$line" | cut -d: -f1,2)
		grep -qxF "$key" "$out/added-lines.txt" && echo "$line"
	done)
[ -z "$new" ] || { echo "$new" | sed 's/^/    new report: /'; rc=1; }
result $rc "coccicheck MODE=report: $scripts semantic patches on ${#files[@]} touched files, $(wc -l < "$out/cocci-series.txt") reports, none on a line the series adds ($(( $(date +%s) - start )) s)"
echo "    left out (OCaml scripts): $skipped"
exit $rc
