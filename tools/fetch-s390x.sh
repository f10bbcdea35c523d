#!/bin/bash
# Download Debian s390x packages (not install them) into build/debs.
#   tools/fetch-s390x.sh PACKAGE...
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
debs=$top/build/debs
mkdir -p "$debs"
for pkg in "$@"; do
	ls "$debs/${pkg}"_*_s390x.deb >/dev/null 2>&1 && continue
	echo "fetch: $pkg:s390x"
	(cd "$debs" && apt-get download -q "$pkg:s390x" >/dev/null 2>&1) || {
		echo "fetch: apt-get download $pkg:s390x failed (is the s390x architecture enabled? run tools/deps.sh)" >&2
		exit 1
	}
done
