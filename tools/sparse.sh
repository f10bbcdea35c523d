#!/bin/bash
# Sparse (make C=2) on the kernel C files the series touches.
#
#   tools/sparse.sh --record SRC OBJ LINUX   warnings of those files as they
#                                            are in SRC (the base), one per line
#   tools/sparse.sh SRC OBJ BASELINE          PASS/FAIL per file: no warning
#                                            that the baseline does not have
# Warnings are compared without line numbers, which patches shift.  All the
# files go through one make run: one walk of the build tree, not one a file.
set -uo pipefail

record=
[ "$1" != --record ] || { record=1; shift; }
src=$(realpath "$1")
obj=$(realpath "$2")
ref=${3:-/dev/null}

touched() {	# kernel C files the series adds or changes
	git -C "$1" diff --name-only --diff-filter=AM base..HEAD -- '*.c' | grep -v '^tools/' || true
}

built() {	# was the object part of this configuration?
	local o=${1%.c}.o
	[ -f "$obj/${o%/*}/.${o##*/}.cmd" ]
}

sparse_of() {	# files... -> normalized warnings of all of them
	local objs=() f
	for f in "$@"; do
		[ -f "$src/$f" ] && objs+=("${f%.c}.o")
	done
	[ ${#objs[@]} -gt 0 ] || return 0
	make -C "$src" -s -k -j"$(nproc)" ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- O="$obj" \
		C=2 CHECK=sparse "${objs[@]}" > "$obj/sparse.log" 2>&1
	local rc=$?
	grep -E ': (warning|error):' "$obj/sparse.log" |
		sed -E "s|^$src/||; s|^([^:]*):[0-9]+:[0-9]+: |\1: |" | sort -u
	return $rc
}

command -v sparse > /dev/null || { echo "FAIL sparse: not installed (apt-get install sparse)"; exit 1; }

if [ -n "$record" ]; then
	mapfile -t files < <(for f in $(touched "$ref"); do built "$f" && echo "$f"; done)
	sparse_of "${files[@]+"${files[@]}"}"
	exit
fi

if [ ! -r "$ref" ]; then
	echo "FAIL sparse: no baseline of the base tree ($ref)"
	exit 1
fi

mapfile -t files < <(touched "$src")
checked=()
for f in "${files[@]}"; do
	if built "$f"; then
		checked+=("$f")
	else
		echo "PASS sparse $f (not part of this s390x configuration)"
	fi
done
all=$(sparse_of "${checked[@]+"${checked[@]}"}")
rc=$?
if [ $rc != 0 ]; then
	tail -5 "$obj/sparse.log" | sed 's/^/    /'
	echo "FAIL sparse: make C=2 exited with $rc (see $obj/sparse.log)"
fi
new=$(echo "$all" | grep -vxF -f "$ref" || true)
for f in "${checked[@]+"${checked[@]}"}"; do
	mine=$(echo "$new" | awk -v f="$f: " 'index($0, f) == 1')
	if [ -z "$mine" ]; then
		echo "PASS sparse $f (no new warnings)"
	else
		echo "$mine" | sed 's/^/    /'
		echo "FAIL sparse $f"
	fi
done
# A new warning in a header the touched files include.
others=$(echo "$new" | awk -v files="${checked[*]+"${checked[*]}"}" '
	BEGIN { n = split(files, f, " ") }
	{ for (i = 1; i <= n; i++) if (index($0, f[i] ": ") == 1) next; if ($0 != "") print }')
if [ -n "$others" ]; then
	echo "$others" | sed 's/^/    /'
	echo "FAIL sparse: new warnings in the headers the touched files include"
else
	echo "PASS sparse: no new warnings in the headers the touched files include"
fi
