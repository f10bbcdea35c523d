#!/bin/bash
# make: the main job.  Install what is missing, apply the series to Debian's
# linux-source-6.1, build the s390x kernel and the vfio selftests, boot it
# under QEMU with virtio PCI devices handed to vfio-pci, and report what the
# series shows.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
log=build/guest/main.log
t0=$(date +%s)

tools/deps.sh
tools/tree.sh
tb=$(date +%s)
make -s kernel
build_s=$(( $(date +%s) - tb ))
make -s initramfs
tv=$(date +%s)
tools/vm.sh --kernel build/obj/series/arch/s390/boot/bzImage \
	--initrd build/guest/initramfs.cpio --log "$log" --timeout 900
boot_s=$(( $(date +%s) - tv ))

set +e
tools/verdict.py "$log" --kernel series --expect tools/expectations.txt \
	--json build/guest/main.json > build/guest/main.verdict
verdict=$?
set -e
tools/report.py --console "$log" --results build/guest/main.json \
	--linux build/linux --build-seconds "$build_s" --boot-seconds "$boot_s" \
	--total-seconds $(( $(date +%s) - t0 ))
exit $verdict
