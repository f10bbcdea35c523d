#!/bin/bash
# Download Debian s390x packages (not install them) into build/debs.
#   [DEB_ARCH=amd64] tools/fetch-s390x.sh PACKAGE...
# DEB_ARCH fetches another architecture's (the x86_64 guest's busybox).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
debs=$top/build/debs
mkdir -p "$debs"
arch=${DEB_ARCH:-s390x}
missing=()
for pkg in "$@"; do
	ls "$debs/${pkg}"_*_"$arch".deb >/dev/null 2>&1 || missing+=("$pkg:$arch")
done
[ ${#missing[@]} -gt 0 ] || exit 0
echo "fetch: ${missing[*]}"
# One apt-get for all (each call reads the package cache, about a second
# of CPU); if that fails, one per package names the one that failed.
(cd "$debs" && apt-get download -q "${missing[@]}" >/dev/null 2>&1) && exit 0
for pkg in "${missing[@]}"; do
	(cd "$debs" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
		echo "fetch: apt-get download $pkg failed (is the $arch architecture enabled? run tools/deps.sh)" >&2
		exit 1
	}
done
