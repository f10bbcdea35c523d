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
tools/dma-tools.sh build/linux build/obj/series
tv=$(date +%s)
tools/vm.sh --kernel build/obj/series/arch/s390/boot/bzImage \
	--initrd build/guest/initramfs.cpio --log "$log" --timeout 900

set +e
tools/verdict.py "$log" --kernel series --expect tools/expectations.txt \
	--exclude dma_ --json build/guest/main.json > build/guest/main.verdict
verdict=$?
consoles=(--console "$log")
results=(--results build/guest/main.json)
# As in make check: 4 vCPUs, fio verifying what it writes; lazy mode with
# a 128 MiB aperture, run out of IOVA space again and again.
for mode in "lazy 48 mem=128M" "strict 4 s390_iommu=strict" "fq 4 iommu.strict=0"; do
	set -- $mode
	dlog=build/guest/main-dma-$1.log
	VM_SMP=4 tools/vm.sh --kernel build/obj/series/arch/s390/boot/bzImage \
		--initrd build/guest/initramfs.cpio --log "$dlog" --timeout 900 \
		--root-disk --mode dmacheck --conf DMA_MODE="$1" \
		--root-extra build/guest/fio --root-extra build/guest/dma-tools \
		--conf FIO_LOOPS="$2" --conf VFIO_DEVICES= --append "${3:-}"
	tools/verdict.py "$dlog" --kernel series --expect tools/expectations.txt \
		--require tap --only "dma_$1:" --json "build/guest/main-dma-$1.json" \
		> /dev/null || verdict=1
	consoles+=(--console "$dlog")
	results+=(--results "build/guest/main-dma-$1.json")
done
boot_s=$(( $(date +%s) - tv ))
set -e
tools/report.py "${consoles[@]}" "${results[@]}" \
	--linux build/linux --build-seconds "$build_s" --boot-seconds "$boot_s" \
	--total-seconds $(( $(date +%s) - t0 ))
exit $verdict
