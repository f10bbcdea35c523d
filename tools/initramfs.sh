#!/bin/bash
# Build the guest's base initramfs: Debian's busybox-static for s390x (or
# DEB_ARCH's, amd64 for the x86_64 guest), our init, and the installed
# kselftests.  Per-boot settings (what to run) go
# into a small second cpio that tools/vm.sh appends.
#
#   tools/initramfs.sh OUT.cpio KSELFTEST_INSTALL_DIR [EXTRA_ROOT_DIR...]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "$1")
mkdir -p "$(dirname "$out")"
kselftest=$(realpath "$2")
shift 2
debs=$top/build/debs
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

arch=${DEB_ARCH:-s390x}
"$top/tools/fetch-s390x.sh" busybox-static

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run}
dpkg-deb -x "$debs"/busybox-static_*_"$arch".deb "$root/.deb"
cp "$root/.deb/bin/busybox" "$root/bin/busybox"
rm -rf "$root/.deb"
install -m 755 "$top/tools/guest/init" "$root/init"
install -m 755 "$top/tools/guest/timeout" "$root/usr/bin/timeout"
mkdir -p "$root/bench"
install -m 755 "$top/tools/guest/dma-check.sh" "$top/tools/guest/iommu-check.sh" \
	"$top/tools/guest/tap.sh" "$root/bench/"
cp -a "$kselftest" "$root/kselftest"
for extra in "$@"; do
	cp -a "$extra"/. "$root"/
done
echo "MODE=selftests" > "$root/etc/bench.conf"

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
echo "initramfs: $out ($(du -h "$out" | cut -f1))"
