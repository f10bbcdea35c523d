#!/bin/bash
# Stage Debian's fio for s390x with the shared libraries it needs into a
# directory tree for the bench's initramfs.
#   tools/bench/fetch-fio.sh OUTDIR
#
# fio's package closure holds perl and python too (for its helper
# scripts); only the libraries the fio binary loads, found through the
# ELF NEEDED entries, go into OUTDIR.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "$1")
debs=$top/build/debs
extract=$top/build/fio-pkgs
[ -f "$out/.complete" ] && exit 0

pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
	--no-breaks --no-replaces --no-enhances fio:s390x 2>/dev/null |
	grep -v '^[ <]' | grep ':s390x$' | sed 's/:s390x$//' |
	grep -vE '^(lib)?(perl|python)|^(dpkg|tar|passwd|cdebconf|install-info)$' | sort -u)
"$top/tools/fetch-s390x.sh" $pkgs

rm -rf "$extract"
mkdir -p "$extract"
for p in $pkgs; do
	dpkg-deb -x "$debs/${p}"_*_s390x.deb "$extract"
done

libdirs=("$extract/lib/s390x-linux-gnu" "$extract/usr/lib/s390x-linux-gnu"
	 "$extract/usr/lib/s390x-linux-gnu/ceph" "$extract/lib" "$extract/usr/lib")
find_lib() {
	local d
	for d in "${libdirs[@]}"; do
		if [ -e "$d/$1" ]; then
			echo "$d/$1"
			return 0
		fi
	done
	return 0
}

rm -rf "$out"
mkdir -p "$out/usr/bin" "$out/lib/s390x-linux-gnu" "$out/lib64"
cp "$extract/usr/bin/fio" "$out/usr/bin/fio"
todo=("$extract/usr/bin/fio")
declare -A seen
while [ ${#todo[@]} -gt 0 ]; do
	file=${todo[0]}
	todo=("${todo[@]:1}")
	for lib in $(readelf -d "$file" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
		if [ -n "${seen[$lib]:-}" ]; then
			continue
		fi
		seen[$lib]=1
		path=$(find_lib "$lib")
		if [ -z "$path" ]; then
			echo "fetch-fio: $lib not found in the packages" >&2
			exit 1
		fi
		cp -L "$path" "$out/lib/s390x-linux-gnu/$lib"
		todo+=("$path")
	done
done
# The dynamic loader.
cp -L "$(find_lib ld64.so.1)" "$out/lib/ld64.so.1"
ln -sf ../lib/ld64.so.1 "$out/lib64/ld64.so.1"
touch "$out/.complete"
echo "fetch-fio: fio and ${#seen[@]} libraries, $(du -sh "$out" | cut -f1)"
