#!/bin/bash
# Build the x86_64 guest: the patched kernel from tools/config/x86_64.config
# (q35, Intel IOMMU, vfio, virtio, the generic KUnit suites built in), the
# vfio selftests that are not s390's, and an initramfs with Debian's amd64
# busybox.  tools/check.sh boots it in the default and the strict DMA mode.
#
#   tools/x86.sh LINUX OBJ INITRAMFS KSELFTEST_DIR
# Prints PASS/FAIL lines.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
linux=$(realpath "$1")
obj=$(realpath -m "$2")
initrd=$(realpath -m "$3")
kselftest=$(realpath -m "$4")
log=$(dirname "$obj")/build-x86_64.log
mkdir -p "$obj" "$(dirname "$initrd")"

result() { if [ "$1" = 0 ]; then echo "PASS $2"; else echo "FAIL $2"; fi; }

start=$(date +%s)
KERNEL_ARCH=x86_64 "$top/tools/kernel.sh" "$linux" "$obj" series > "$log" 2>&1
rc=$?
result $rc "x86_64 kernel builds: q35, Intel IOMMU, vfio, generic KUnit suites ($(( $(date +%s) - start )) s)"
if [ $rc != 0 ]; then
	grep -E 'error|lacks' "$log" | head -10 | sed 's/^/    /'
	exit 1
fi
GUEST_ARCH=x86_64 "$top/tools/selftests.sh" "$linux" "$obj" "$kselftest" >> "$log" 2>&1 &&
	DEB_ARCH=amd64 "$top/tools/initramfs.sh" "$initrd" "$kselftest" >> "$log" 2>&1
rc=$?
result $rc "vfio selftests build for x86_64 into its initramfs ($(grep -s -c . "$kselftest/kselftest-list.txt") programs)"
exit $rc
