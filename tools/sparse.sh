#!/bin/bash
# Sparse (make C=2) on the kernel C files the series touches.
#
#   tools/sparse.sh --record SRC OBJ LINUX   warnings of those files as they
#                                            are in SRC (the base), one per line
#   tools/sparse.sh SRC OBJ BASELINE          PASS/FAIL per file: no warning
#                                            that the baseline does not have
# Warnings are compared without line numbers, which patches shift.
set -uo pipefail

record=
[ "$1" != --record ] || { record=1; shift; }
src=$(realpath "$1")
obj=$(realpath "$2")
ref=${3:-/dev/null}

touched() {	# kernel C files the series adds or changes
	git -C "$1" diff --name-only --diff-filter=AM base..HEAD -- '*.c' | grep -v '^tools/' || true
}

sparse_of() {	# file -> normalized warnings
	local f=$1 o=${1%.c}.o
	[ -f "$src/$f" ] || return 0
	make -C "$src" -s ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- O="$obj" \
		C=2 CHECK=sparse "$o" 2>&1 | grep -E ': (warning|error):' |
		sed -E "s|^$src/||; s|^([^:]*):[0-9]+:[0-9]+: |\1: |" | sort -u
}

built() {	# was the object part of this configuration?
	local o=${1%.c}.o
	[ -f "$obj/${o%/*}/.${o##*/}.cmd" ]
}

if [ -n "$record" ]; then
	for f in $(touched "$ref"); do
		built "$f" && sparse_of "$f"
	done
	exit 0
fi

for f in $(touched "$src"); do
	if ! built "$f"; then
		echo "PASS sparse $f (not part of this s390x configuration)"
		continue
	fi
	new=$(sparse_of "$f" | grep -vxF -f "$ref" || true)
	if [ -z "$new" ]; then
		echo "PASS sparse $f (no new warnings)"
	else
		echo "$new" | sed 's/^/    /'
		echo "FAIL sparse $f"
	fi
done
