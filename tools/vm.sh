#!/bin/bash
# Boot an s390x kernel under QEMU (TCG) with the bench's virtio PCI devices,
# run what the guest is told to, keep the console, and exit with the guest
# run's status (run mode) or 0 once the guest powered off.
#
#   tools/vm.sh --kernel bzImage --initrd base.cpio --log console.log \
#       [--mode selftests|run|bench|shell] [--run PROG [--args "..."]] \
#       [--append "kernel args"] [--timeout SECONDS] [--conf KEY=VALUE]...
#       [--icount] [--disk FILE | --null-disk] [--root-disk [--root-extra DIR]]
#       [--arch x86_64]
#
# --null-disk: disk 0003 is QEMU's null block driver (1 GiB of zeroes, no
# host I/O), so the bench measures the guest's DMA path, not the host.
#
# --root-disk: the guest's root file system is an ext2 image of the
# initramfs (and the per-boot settings, and the trees of --root-extra) on its
# virtio-blk disk 0003, at least 64 MiB of file system, then a 16 MiB gap and
# a 32 MiB scratch area at SCRATCH_MB (in /etc/bench.conf); no initramfs.
#
# Devices, each its own zPCI function (and so its own IOMMU group):
#   0001:00:00.0 virtio-net-pci            vfio-pci, general vfio tests
#   0002:00:00.0 virtio-blk-pci (modern,   vfio-pci, user-space virtio-blk
#                 iommu_platform) on a       driver of the selftests
#                 disk with a known pattern
#   0003:00:00.0 virtio-blk-pci (modern,   guest kernel's virtio-blk: /dev/vda
#                 iommu_platform)
#   0004:00:00.0 virtio-rng-pci (modern,   left to the mode (dma_map_benchmark)
#                 iommu_platform)
#   0005:00:00.0 virtio-blk-pci like 0002  vfio-pci, for the DMA fault tests: a
#                                          faulted zPCI function stays unusable
#                                          until reboot
#
# --arch x86_64: a q35 machine with an emulated Intel IOMMU in front of the
# same devices, each behind a PCIe root port: 0000:01:00.0 (net), 02:00.0
# (test disk), 03:00.0 (the guest's disk), 04:00.0 (fault disk); no rng;
# console on the first serial port; no interrupt remapping, so vfio runs
# with allow_unsafe_interrupts.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
guest=$top/build/guest
arch=s390x kernel= initrd= log= mode=selftests run= args= append= timeout=600 icount= disk= rootdisk= nulldisk=
rootextra=()
conf=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--log) log=$2; shift ;;
	--mode) mode=$2; shift ;;
	--run) run=$2; mode=run; shift ;;
	--args) args=$2; shift ;;
	--append) append=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--conf) conf+=("$2"); shift ;;
	--icount) icount=1 ;;
	--disk) disk=$2; shift ;;
	--root-disk) rootdisk=1 ;;
	--root-extra) rootextra+=("$2"); shift ;;
	--null-disk) nulldisk=1 ;;
	--arch) arch=$2; shift ;;
	*) echo "vm: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ -f "$kernel" ] || { echo "vm: kernel $kernel not found" >&2; exit 2; }
[ -f "$initrd" ] || { echo "vm: initramfs $initrd not found" >&2; exit 2; }
[ -n "$log" ] || log=$guest/console.log
mkdir -p "$guest" "$(dirname "$log")"

# The test disk: 2 MiB, sector n holds "SECTOR <n>" padded with its low
# byte, so a reader can tell every sector from every other.
testdisk=$guest/test-disk.img
if [ ! -f "$testdisk" ]; then
	python3 -c '
import sys
with open(sys.argv[1], "wb") as f:
    for n in range(4096):
        tag = b"SECTOR %08d" % n
        f.write(tag + bytes([n & 0xff]) * (512 - len(tag)))
' "$testdisk"
fi
if [ -z "$disk" ]; then
	disk=$guest/scratch-disk.img
	[ -f "$disk" ] || truncate -s 64M "$disk"
fi

# Per-boot settings ride in a second cpio appended to the base one.
overlay=$(mktemp -d)
trap 'rm -rf "$overlay"' EXIT
mkdir -p "$overlay/etc" "$overlay/run"
case $arch in
s390x)	net=0001:00:00.0 blk=0002:00:00.0 own=0003:00:00.0 fault=0005:00:00.0 ;;
x86_64)	net=0000:01:00.0 blk=0000:02:00.0 own=0000:03:00.0 fault=0000:04:00.0 ;;
*)	echo "vm: unknown architecture $arch" >&2; exit 2 ;;
esac
{
	echo "MODE=$mode"
	echo "VFIO_DEVICES=\"$net $blk $fault\""
	echo "export DISK_DEVICE=$own"
	echo "export VFIO_SELFTEST_DEVICE=$net"
	echo "export VFIO_SELFTEST_BLK_DEVICE=$blk"
	echo "export VFIO_SELFTEST_BLK_FAULT_DEVICE=$fault"
	echo "QMP_TEST_DISK=$testdisk"	# for a guest that plugs the test disk back
	for c in "${conf[@]+"${conf[@]}"}"; do echo "$c"; done
	printf 'RUN_ARGS=%q\n' "$args"
} > "$overlay/etc/bench.conf"
if [ -n "$run" ]; then
	[ -f "$run" ] || { echo "vm: program $run not found" >&2; exit 2; }
	install -m 755 "$run" "$overlay/run/prog"
fi
(cd "$overlay" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$overlay.cpio"
cat "$initrd" "$overlay.cpio" > "$overlay/initrd"
rm -f "$overlay.cpio"
boot=(-initrd "$overlay/initrd")
if [ -n "$rootdisk" ]; then
	rootdir=$overlay/root
	mkdir -p "$rootdir"
	(cd "$rootdir" && cpio -idm --quiet) < "$initrd"
	cp -a "$overlay/etc" "$overlay/run" "$rootdir"/
	for extra in "${rootextra[@]+"${rootextra[@]}"}"; do
		cp -a "$extra"/. "$rootdir"/
	done
	fs_mb=$(( $(du -sm "$rootdir" | cut -f1) * 5 / 4 + 16 ))
	[ $fs_mb -ge 64 ] || fs_mb=64
	echo "SCRATCH_MB=$((fs_mb + 16))" >> "$rootdir/etc/bench.conf"
	disk=$guest/root-disk.img
	rm -f "$disk"
	truncate -s ${fs_mb}M "$disk"
	PATH=$PATH:/sbin:/usr/sbin mke2fs -q -t ext2 -L root -d "$rootdir" "$disk"
	truncate -s $((fs_mb + 48))M "$disk"
	boot=()
	append="root=/dev/vdb rootfstype=ext2 rw init=/init $append"
fi

diskspec="file=$disk,format=raw,cache=unsafe"
[ -z "$nulldisk" ] || diskspec="driver=null-co,read-zeroes=on,size=1G"
# Under -icount with two vCPUs, QEMU 7.2 here stopped serving the null
# disk after a while (both kernels).  The -icount boots of the bench run
# with VM_SMP=1 and the disk's notifications in the vCPU thread, the
# setup that never hung.
diskopts=
[ -z "$icount" ] || diskopts=,ioeventfd=off

# The DMA checks fail translation table allocations on purpose
# (tools/guest/dma-check.sh): mark the two caches for failslab's filter.
[ "$mode" != dmacheck ] ||
	append="slub_debug=A,PCI_DMA_region_tables,PCI_DMA_page_tables $append"
# A CPU stall panics the guest, so QEMU exits at once (-no-reboot) rather
# than at the timeout; the console keeps the stall report.
append="sysctl.kernel.panic_on_rcu_stall=1 $append"
qemu=("${QEMU:-qemu-system-s390x}" -machine s390-ccw-virtio -cpu max -smp "${VM_SMP:-2}" -m 1024
	-nographic -nodefaults -no-reboot -serial none
	-chardev stdio,id=con0,signal=off -device sclpconsole,chardev=con0
	-kernel "$kernel" "${boot[@]}"
	-append "console=ttysclp0 panic=-1 $append"
	-device zpci,uid=1,fid=1,target=vnet
	-device virtio-net-pci,id=vnet,romfile=
	-device zpci,uid=2,fid=2,target=vtest
	-device virtio-blk-pci,id=vtest,drive=dtest,disable-legacy=on,iommu_platform=on
	-drive if=none,id=dtest,file="$testdisk",format=raw,readonly=on
	-device zpci,uid=3,fid=3,target=vdisk
	-device virtio-blk-pci,id=vdisk,drive=ddisk,disable-legacy=on,iommu_platform=on$diskopts
	-drive "if=none,id=ddisk,$diskspec"
	-device zpci,uid=4,fid=4,target=vrng
	-device virtio-rng-pci,id=vrng,disable-legacy=on,iommu_platform=on
	-device zpci,uid=5,fid=5,target=vfault
	-device virtio-blk-pci,id=vfault,drive=dfault,disable-legacy=on,iommu_platform=on
	-drive if=none,id=dfault,file="$testdisk",format=raw,readonly=on)
if [ "$arch" = x86_64 ]; then
	# The IOMMU comes before the devices it translates for; each device
	# sits behind its own PCIe root port (bus 1 to 4), for its own IOMMU
	# group and function level reset.
	qemu=("${QEMU_X86:-qemu-system-x86_64}" -machine q35 -cpu max -smp "${VM_SMP:-2}"
		-m 1024 -nographic -nodefaults -no-reboot
		-chardev stdio,id=con0,signal=off -serial chardev:con0
		-kernel "$kernel" "${boot[@]}"
		-append "console=ttyS0 panic=-1 vfio_iommu_type1.allow_unsafe_interrupts=1 $append"
		-device intel-iommu)
	for port in 1 2 3 4; do
		qemu+=(-device pcie-root-port,id=rp$port,chassis=$port,bus=pcie.0,addr=0$((port + 2)).0)
	done
	qemu+=(-device virtio-net-pci,id=vnet,romfile=,bus=rp1
		-device virtio-blk-pci,id=vtest,drive=dtest,disable-legacy=on,iommu_platform=on,bus=rp2
		-drive if=none,id=dtest,file="$testdisk",format=raw,readonly=on
		-device virtio-blk-pci,id=vdisk,drive=ddisk,disable-legacy=on,iommu_platform=on,bus=rp3
		-drive "if=none,id=ddisk,$diskspec"
		-device virtio-blk-pci,id=vfault,drive=dfault,disable-legacy=on,iommu_platform=on,bus=rp4
		-drive if=none,id=dfault,file="$testdisk",format=raw,readonly=on)
fi
[ -z "$icount" ] || qemu+=(-icount "${VM_ICOUNT:-shift=0,sleep=off}")

# The guest drives the monitor by printing "BENCH-QMP <command>" lines
# (tools/qmp-relay.py): hot-unplug and plug of its devices.
qmp_sock=$overlay/qmp.sock
qemu+=(-qmp "unix:$qmp_sock,server=on,wait=off")
: > "$log"
python3 "$top/tools/qmp-relay.py" "$log" "$qmp_sock" > "$overlay/qmp.log" 2>&1 &
relay=$!

start=$(date +%s.%N)
set +e
timeout --foreground -k 30 "$timeout" "${qemu[@]}" < /dev/null > "$log" 2>&1
rc=$?
wait $relay
set -e
if grep -q ' command ' "$overlay/qmp.log"; then
	{ echo "BENCH-BEGIN qmp"; cat "$overlay/qmp.log"; echo "BENCH-END qmp"; } >> "$log"
	grep -v ' event ' "$overlay/qmp.log" | sed 's/^/vm: /' >&2
fi
end=$(date +%s.%N)
printf 'vm: %s: %.1f s, console in %s\n' "$(basename "$kernel")" \
	"$(echo "$end - $start" | bc)" "${log#$top/}" >&2
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then	# 137: killed after the grace time
	echo "vm: TIMEOUT after $timeout s" | tee -a "$log" >&2
	exit 124
fi
grep -q '^BENCH-POWEROFF' "$log" || { echo "vm: the guest did not reach poweroff" >&2; exit 1; }
if [ "$mode" = run ]; then
	sed -n '/^BENCH-BEGIN run/,/^BENCH-END run/p' "$log" | sed '1d;$d'
	exit "$(sed -n 's/^BENCH-END run rc=\([0-9]*\).*/\1/p' "$log")"
fi
exit 0
