#!/bin/sh
# DMA through an IOMMU driver that did not opt in to the lazy-flush mode
# (x86's Intel IOMMU), after the vfio selftests.  Prints TAP.
#   iommu-check.sh MODE      MODE: fq (the default) or strict
# The guest's own disk is $BENCH_DISK on $DISK_DEVICE; $VFIO_SELFTEST_BLK_FAULT_DEVICE
# is a virtio-blk function vfio-pci holds, idle after the selftests.
mode=$1
idle=$VFIO_SELFTEST_BLK_FAULT_DEVICE
idle_pci=/sys/bus/pci/devices/$idle
. /bench/tap.sh
# write_type TYPE: the shell's message when the kernel refused the write
write_type() { (echo "$1" > "$idle_pci/iommu_group/type") 2>&1; }
unbind() { [ -e "$idle_pci/driver" ] && echo "$idle" > "$idle_pci/driver/unbind"; }

case $mode in
fq)	want=DMA-FQ ;;
strict)	want=DMA ;;
*)	echo "Bail out! unknown mode $mode"; exit 1 ;;
esac

echo "TAP version 13"
echo "# iommu mode $mode, disk $BENCH_DISK on $DISK_DEVICE, kernel $(uname -r)"
check "disk_domain_type_is_$want" \
	test "$(group_type /sys/bus/pci/devices/$DISK_DEVICE)" = "$want"
dd if=/dev/urandom of=/tmp/pattern bs=4096 count=1024 2>/dev/null
dd if=/tmp/pattern of="$BENCH_DISK" bs=4096 count=1024 oflag=direct 2>/dev/null
dd if="$BENCH_DISK" of=/tmp/back bs=4096 count=1024 iflag=direct 2>/dev/null
check "direct_io_reads_back_identically" cmp -s /tmp/pattern /tmp/back

# The idle function's group: vfio-pci lets go of it, then its type file
# takes the types this driver offers and refuses the lazy-flush one.
unbind
echo > "$idle_pci/driver_override"
before=$(group_type "$idle_pci")
msg=$(write_type DMA-LAZY)
# EINVAL for the reason the series gives, not any other.
said=$(dmesg | grep -c "$idle: Device cannot be in a DMA-LAZY domain")
check "sysfs_refuses_DMA-LAZY_with_EINVAL" \
	test -n "$msg" -a -z "${msg##*Invalid argument*}" -a "$said" -ge 1 -a \
	"$(group_type "$idle_pci")" = "$before"
echo "# DMA-LAZY: ${msg:-accepted}"
for t in DMA DMA-FQ; do
	msg=$(write_type $t)
	echo "$idle" > /sys/bus/pci/drivers_probe
	blk=$(ls "$idle_pci"/virtio*/block 2>/dev/null)
	sector=$(dd if=/dev/$blk bs=512 skip=7 count=1 iflag=direct 2>/dev/null | head -c 15)
	check "sysfs_switches_to_$t" test -z "$msg" -a "$(group_type "$idle_pci")" = "$t" -a \
		"$sector" = "SECTOR 00000007"
	unbind
done
echo "1..$n"
exit $fails
