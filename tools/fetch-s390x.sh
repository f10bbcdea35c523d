#!/bin/bash
# Download Debian s390x packages (not install them) into build/debs.
#   [DEB_ARCH=amd64] tools/fetch-s390x.sh PACKAGE...
# DEB_ARCH fetches another architecture's (the x86_64 guest's busybox).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
debs=$top/build/debs
mkdir -p "$debs"
arch=${DEB_ARCH:-s390x}
for pkg in "$@"; do
	ls "$debs/${pkg}"_*_"$arch".deb >/dev/null 2>&1 && continue
	echo "fetch: $pkg:$arch"
	(cd "$debs" && apt-get download -q "$pkg:$arch" >/dev/null 2>&1) || {
		echo "fetch: apt-get download $pkg:$arch failed (is the $arch architecture enabled? run tools/deps.sh)" >&2
		exit 1
	}
done
