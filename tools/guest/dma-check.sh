#!/bin/sh
# DMA through the IOMMU in one mode, on a guest whose root file system is
# on the virtio-blk disk 0003:00:00.0.  Prints TAP.
#   dma-check.sh MODE      MODE: lazy, strict or fq
mode=$1
SCRATCH_MB=80
FIO_LOOPS=
. /etc/bench.conf
scratch_blk=$((SCRATCH_MB * 256))	# in 4 KiB blocks
disk_pci=/sys/bus/pci/devices/0003:00:00.0
fault_pci=/sys/bus/pci/devices/0005:00:00.0
. /bench/tap.sh

# Counters of a function (the disk's by default): the machine's RPCIT
# count, and the IOMMU driver's own where the kernel has them.
counters() {
	awk -F':[ \t]+' '/Samples/ { s = $2 } /Refresh operations/ { r = $2 }
		/Global IOTLB flushes/ { g = $2 } /Map IOTLB flushes/ { m = $2 }
		/Unmap IOTLB flushes/ { u = $2 } /Mapped pages/ { p = $2 }
		END { print s + 0, r + 0, g + 0, m + 0, u + 0, p + 0 }' \
		/sys/kernel/debug/pci/${1:-0003:00:00.0}/statistics
}

# Wait for a measurement block update that began after this call.
fresh_counters() {
	set -- $(counters)
	first=$1
	i=0
	while [ $i -lt 150 ]; do
		sleep 0.2
		set -- $(counters)
		[ "$1" -ge $((first + 2)) ] && break
		i=$((i + 1))
	done
	echo "$2 $3 $4 $5"
}

case $mode in
lazy)	want=DMA-LAZY ;;
strict)	want=DMA ;;
fq)	want=DMA-FQ ;;
esac

echo "TAP version 13"
echo "# dma mode $mode, disk $BENCH_DISK, kernel $(uname -r), up $(cut -d' ' -f1 /proc/uptime) s"
root_dev=$(awk '$5 == "/" { print $3 }' /proc/self/mountinfo)
check "root_file_system_is_on_the_virtio_blk_disk" \
	test "$root_dev" = "$(cat /sys/block/${BENCH_DISK#/dev/}/dev)"
check "disk_domain_type_is_$want" test "$(group_type $disk_pci)" = "$want"

# Data integrity: write a pattern through the page cache and the DMA API,
# drop the caches, read it back.
dd if=/dev/urandom of=/tmp/pattern bs=1M count=8 2>/dev/null
cp /tmp/pattern /data.bin && sync
echo 3 > /proc/sys/vm/drop_caches
check "written_data_reads_back_identically" cmp -s /tmp/pattern /data.bin
rm -f /data.bin
dd if=/dev/urandom of=/tmp/pattern bs=4096 count=256 2>/dev/null
# Past the end of the file system (see tools/vm.sh --root-disk).
dd if=/tmp/pattern of="$BENCH_DISK" bs=4096 seek=$scratch_blk count=256 oflag=direct 2>/dev/null
dd if="$BENCH_DISK" of=/tmp/back bs=4096 skip=$scratch_blk count=256 iflag=direct 2>/dev/null
check "direct_io_reads_back_identically" cmp -s /tmp/pattern /tmp/back

echo "# data checked at $(cut -d' ' -f1 /proc/uptime) s"
# IOTLB flushes of a fixed workload: 2048 reads of 4 KiB, O_DIRECT.
ios=2048
set -- $(fresh_counters)
r0=$1 g0=$2 m0=$3 u0=$4
dd if="$BENCH_DISK" of=/dev/null bs=4096 count=$ios iflag=direct 2>/dev/null
set -- $(fresh_counters)
rpcit=$(($1 - r0)) global=$(($2 - g0)) map=$(($3 - m0)) unmap=$(($4 - u0))
per_io() { echo "$1 $ios" | awk '{ printf "%.3f", $1 / $2 }'; }
echo "# report: mode $mode: per 4 KiB read $(per_io $rpcit) RPCITs (machine count): $(per_io $map) map, $(per_io $unmap) unmap, $(per_io $global) global IOTLB flushes (driver count)"
check "every_map_is_refreshed_once" test "$map" -ge "$ios"
case $mode in
lazy)
	check "unmaps_are_not_flushed" \
		test "$map" -ge "$ios" -a "$unmap" -eq 0 -a "$global" -eq 0
	check "machine_saw_no_more_than_the_map_refreshes" \
		test "$rpcit" -le $((map + 2))
	;;
strict)
	check "every_unmap_is_flushed" test "$unmap" -ge "$ios"
	;;
fq)
	check "unmaps_are_flushed_in_batches" \
		test "$map" -ge "$ios" -a "$unmap" -eq 0 -a "$global" -ge 1 -a "$global" -lt "$ios"
	;;
esac

echo "# flushes counted at $(cut -d' ' -f1 /proc/uptime) s"

# Data integrity under contention (FIO_LOOPS set): four fio jobs write
# 4 to 256 KiB blocks to 4 MiB each of the scratch area and verify them
# (crc32c), FIO_LOOPS times, from every vCPU.
fio_verify() {	# loops, block size options
	loops=$1
	shift
	fio --name=verify --filename="$BENCH_DISK" --offset=$((SCRATCH_MB + 4))M \
		--size=4M --offset_increment=4M --numjobs=4 --ioengine=libaio \
		--iodepth=4 --direct=1 --rw=randwrite "$@" \
		--verify=crc32c --verify_fatal=1 --loops="$loops" \
		--group_reporting > /tmp/fio.out 2>&1
	rc=$?
	bad=$(grep -ci 'verify.*\(bad\|fail\|mismatch\)' /tmp/fio.out)
	[ $rc = 0 ] || sed 's/^/# fio: /' /tmp/fio.out | tail -20
	echo "# report: mode $mode: fio crc32c verify, 4 jobs on $(nproc) vCPUs, $*: $((loops * 16)) MiB written and verified, fio rc $rc, $bad verify errors"
	test $rc -eq 0 -a $bad -eq 0
}
if [ -n "$FIO_LOOPS" ]; then
	# fio maps big shared libraries; a 128 MiB guest needs overcommit.
	echo 1 > /proc/sys/vm/overcommit_memory
	set -- $(counters)
	g0=$3
	check "fio_verifies_every_block_on_$(nproc)_vcpus" \
		fio_verify "$FIO_LOOPS" --bsrange=4k-256k
	set -- $(counters)
	echo "# report: mode $mode: $(($3 - g0)) global IOTLB flushes of the disk's function during fio"
	[ "$mode" != lazy ] ||
		check "fio_verified_through_ten_exhaustions" test $(($3 - g0)) -ge 10
fi
# Lazy mode: one global flush per exhaustion of the IOVA space, exactly.
# dma_map_benchmark maps and unmaps 64 pages at a time on 0004:00:00.0
# from a thread per vCPU; all IOVA ranges have that size and alignment, so
# the pages mapped are the IOVA pages used.  The flushes must number the
# apertures' worth of them, give or take one and the pages in flight.
if [ -n "$FIO_LOOPS" ] && [ "$mode" = lazy ]; then
	# The aperture is as large as memory (s390_iommu_aperture=1).
	mem_kib=$(dmesg | sed -n 's/.*Memory: [0-9]*K\/\([0-9]*\)K available.*/\1/p' | head -1)
	pages=$(( ${mem_kib:-0} / 4 ))
	[ "$pages" -gt 2048 ] || pages=4096000000	# unknown: fail below
	fn=0004:00:00.0
	bind_dma_map_benchmark $fn
	set -- $(counters $fn)
	g0=$3 p0=$6
	/bench/dma_map_benchmark -t "$(nproc)" -s 5 -g 64 -d 0 -b 64 > /tmp/dmamap.out 2>&1
	rc=$?
	set -- $(counters $fn)
	global=$(($3 - g0)) mapped=$(($6 - p0))
	echo "# report: mode lazy: dma_map_benchmark, $(nproc) threads: rc $rc, aperture $pages pages, $mapped pages mapped ($((mapped / pages)) apertures' worth), $global global IOTLB flushes"
	check "dma_map_benchmark_runs_out_of_iova_space_ten_times" \
		test $rc -eq 0 -a "$global" -ge 10
	check "one_global_flush_per_exhaustion" \
		test "$global" -ge $((mapped / pages - 1)) -a \
		"$global" -le $((mapped / (pages - 64 * $(nproc) - 64) + 1))
fi

# Fault injection knobs under /sys/kernel/debug: save_knobs prints
# "knob=value" for each, restore_knobs writes such a list back.
fi_dir=/sys/kernel/debug
save_knobs() {
	for k in "$@"; do echo "$k=$(cat $fi_dir/$k)"; done
}
restore_knobs() {
	for kv in $1; do echo "${kv#*=}" > "$fi_dir/${kv%%=*}"; done
}

# The type of an idle device's group follows writes to its type file.
if [ "$mode" = lazy ]; then
	unbind=/sys/bus/pci/drivers/virtio-pci/unbind
	echo "0005:00:00.0" > $unbind
	for t in DMA DMA-FQ DMA-LAZY; do
		echo $t > $fault_pci/iommu_group/type 2>/dev/null
		echo "0005:00:00.0" > /sys/bus/pci/drivers_probe
		blk=$(ls $fault_pci/virtio*/block 2>/dev/null)
		sector=$(dd if=/dev/$blk bs=512 skip=7 count=1 iflag=direct 2>/dev/null | head -c 15)
		check "sysfs_switches_to_$t" test "$(group_type $fault_pci)" = "$t" -a \
			"$sector" = "SECTOR 00000007"
		echo "0005:00:00.0" > $unbind
	done
	for bad in DMA-LAZYX bogus; do
		echo "$bad" > $fault_pci/iommu_group/type 2>/dev/null
		refused=$?
		check "sysfs_refuses_type_$bad" test $refused -ne 0 -a \
			"$(group_type $fault_pci)" = DMA-LAZY
	done
	echo > $fault_pci/iommu_group/type 2>/dev/null
	refused=$?
	check "sysfs_refuses_an_empty_type" test $refused -ne 0 -a \
		"$(group_type $fault_pci)" = DMA-LAZY
	# Every allocation of a switch to DMA-LAZY (the domain and its region
	# table, the dma-iommu cookie, the IOVA domain, the lazy-flush
	# bitmaps) fails in turn: /proc/self/fail-nth of a shell that writes
	# the type file, with failslab and fail_page_alloc set to fail
	# sleeping allocations too.  A failed write leaves the old type; a
	# domain that cannot be allocated, or whose lazy-flush bookkeeping
	# cannot, falls back to a strict DMA domain, as the core and
	# dma-iommu do for a flush queue.
	fi_saved=$(save_knobs failslab/ignore-gfp-wait fail_page_alloc/ignore-gfp-wait \
		 fail_page_alloc/min-order failslab/verbose fail_page_alloc/verbose)
	echo N > $fi_dir/failslab/ignore-gfp-wait
	echo N > $fi_dir/fail_page_alloc/ignore-gfp-wait
	echo 0 > $fi_dir/fail_page_alloc/min-order
	echo 1 > $fi_dir/failslab/verbose
	echo 1 > $fi_dir/fail_page_alloc/verbose
	type_file=$fault_pci/iommu_group/type
	nth=1 failed=0 absorbed=0 fallback=0 bad=0
	while [ $nth -le 300 ]; do
		[ "$(group_type $fault_pci)" = DMA ] ||
			echo DMA > $type_file 2>/dev/null || bad=$((bad + 1))
		# fail-nth is opened before it is set: only the open and write
		# of the type file count.
		set -- $(sh -c "exec 3> /proc/self/fail-nth 4< /proc/self/fail-nth
			echo $nth >&3
			echo DMA-LAZY > $type_file
			rc=\$?
			read left <&4
			echo \$rc \${left:-none}" 2>/dev/null)
		rc=${1:-none} left=${2:-none}
		now=$(group_type $fault_pci)
		case "$left" in
		0)	;;
		[1-9]*)	break ;;
		*)	bad=$((bad + 1))
			echo "# fault injection: allocation $nth: no result from the shell"
			nth=$((nth + 1))
			continue ;;
		esac
		case "$rc/$now" in
		0/DMA-LAZY)	absorbed=$((absorbed + 1)) ;;
		0/DMA)		fallback=$((fallback + 1)) ;;
		*/DMA)		failed=$((failed + 1)) ;;
		*)		bad=$((bad + 1))
				echo "# fault injection: allocation $nth: write rc $rc, type $now" ;;
		esac
		nth=$((nth + 1))
	done
	restore_knobs "$fi_saved"
	echo DMA-LAZY > $type_file 2>/dev/null
	echo "0005:00:00.0" > /sys/bus/pci/drivers_probe
	blk=$(ls $fault_pci/virtio*/block 2>/dev/null)
	sector=$(dd if=/dev/$blk bs=512 skip=7 count=1 iflag=direct 2>/dev/null | head -c 15)
	echo "# report: fault injection: $((nth - 1)) allocations of the open and write of the type file for a switch to DMA-LAZY failed in turn: $failed failed the write (type unchanged), $fallback fell back to DMA, $absorbed were absorbed, $bad other outcomes"
	check "sysfs_switch_fails_cleanly_at_every_allocation" \
		test "$nth" -le 300 -a "$failed" -gt 0 -a "$fallback" -gt 0 -a "$bad" -eq 0 -a \
		"$(group_type $fault_pci)" = DMA-LAZY -a "$sector" = "SECTOR 00000007"
	echo DMA > $fault_pci/iommu_group/type 2>/dev/null
	refused=$?
	check "sysfs_refuses_a_change_while_a_driver_is_bound" test $refused -ne 0 -a \
		"$(group_type $fault_pci)" = DMA-LAZY
fi

# Hot-unplug through QEMU's monitor (tools/qmp-relay.py) of the test disk
# 0002:00:00.0 while the kernel's virtio-blk driver reads it with O_DIRECT
# in lazy mode, so that its domain holds lazily freed IOVAs when it goes;
# then plug it back, with its zPCI function, and read it again.  Each
# command carries an id the relay runs once.
qmp() { echo "BENCH-QMP $*" > /dev/console; }
wait_until() {	# up to 60 s
	i=0
	while [ $i -lt 300 ]; do
		eval "$1" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
test_disk_reads() {	# file [dd flag]: sectors 0, 7 and 4095 hold their tags
	for s in 0 7 4095; do
		[ "$(dd if=$1 bs=512 skip=$s count=1 ${2:-} 2>/dev/null |
			head -c 15)" = "$(printf 'SECTOR %08d' $s)" ] || return 1
	done
}
if [ "$mode" = lazy ]; then
	hp=0002:00:00.0
	hp_pci=/sys/bus/pci/devices/$hp
	hp_blk=$(ls $hp_pci/virtio*/block 2>/dev/null)
	check "hotplug_disk_reads_before_unplug" test_disk_reads "/dev/$hp_blk" iflag=direct
	rm -f /tmp/hp-reader-stopped
	( while dd if=/dev/$hp_blk of=/dev/null bs=64k iflag=direct 2>/dev/null; do :; done
	  touch /tmp/hp-reader-stopped ) &
	reader=$!
	sleep 2
	set -- $(counters $hp)
	echo "# report: hotplug: $6 pages mapped on $hp, $3 global IOTLB flushes, at the unplug"
	check "hotplug_unplugs_with_lazily_freed_iovas_outstanding" test "$6" -gt 0 -a "$3" -eq 0
	reading=no
	kill -0 $reader 2>/dev/null && [ ! -e /tmp/hp-reader-stopped ] && reading=yes
	qmp '{"execute":"device_del","arguments":{"id":"vtest"},"id":"hp-del"}'
	wait_until "[ ! -e $hp_pci ]"
	gone=$?
	check "hotplug_unplug_under_load_removes_the_function" test $gone -eq 0
	wait_until "[ -e /tmp/hp-reader-stopped ]"
	stopped=$?
	check "hotplug_reads_in_flight_fail_and_stop" test $reading = yes -a $stopped -eq 0
	kill $reader 2>/dev/null
	wait $reader
	if [ $gone -eq 0 ]; then
		qmp '{"execute":"blockdev-add","arguments":{"driver":"raw","node-name":"dtest","read-only":true,"file":{"driver":"file","filename":"'"$QMP_TEST_DISK"'","read-only":true}},"id":"hp-drive"}'
		qmp '{"execute":"device_add","arguments":{"driver":"zpci","id":"ztest","uid":2,"fid":2,"target":"vtest"},"id":"hp-zpci"}'
		qmp '{"execute":"device_add","arguments":{"driver":"virtio-blk-pci","id":"vtest","drive":"dtest","disable-legacy":"on","iommu_platform":"on"},"id":"hp-disk"}'
		wait_until "ls $hp_pci/virtio*/block > /dev/null 2>&1"
	fi
	check "hotplug_plug_brings_the_function_back" test -e $hp_pci
	hp_blk=$(ls $hp_pci/virtio*/block 2>/dev/null)
	check "hotplug_disk_reads_after_plug" test_disk_reads "/dev/$hp_blk" iflag=direct
	check "hotplug_disk_domain_type_is_$want" test "$(group_type $hp_pci)" = "$want"

	# The translation tables of the kernel's own DMA mappings come from
	# two caches that slub_debug=A marks for failslab's cache filter
	# (tools/vm.sh); the task filter fails only tasks that set
	# make-it-fail.  The disk's domain, new since the plug, needs a page
	# table for every 1 MiB of IOVA space it moves through.  In each round
	# the next table allocation of a dd that reads 2 MiB of the disk with
	# O_DIRECT, whose requests it issues itself, fails (read again if its
	# maps found all their tables): the map fails, virtio-blk requeues the
	# request, and what dd reads must be the disk, byte for byte.
	fs=/sys/kernel/debug/failslab
	marked=0
	for c in PCI_DMA_region_tables PCI_DMA_page_tables; do
		[ "$(cat /sys/kernel/slab/$c/failslab 2>/dev/null)" = 1 ] && marked=$((marked + 1))
	done
	read_disk() {	# output file
		rm -f "$1"
		sh -c "echo 1 > /proc/self/make-it-fail
			exec dd if=/dev/$hp_blk of=$1 bs=64k count=32 iflag=direct" 2>/dev/null &&
			[ "$(wc -c < "$1")" -eq 2097152 ]
	}
	ref=no
	read_disk /tmp/ref.img && test_disk_reads /tmp/ref.img && ref=yes
	fs_saved=$(save_knobs failslab/cache-filter failslab/task-filter \
		 failslab/probability failslab/interval failslab/times failslab/space \
		 failslab/verbose failslab/ignore-gfp-wait)
	echo Y > $fs/cache-filter
	echo Y > $fs/task-filter
	echo 100 > $fs/probability
	echo 1 > $fs/interval
	echo 0 > $fs/space
	rounds=8 injected=0 reads=0 intact=0
	for r in $(seq $rounds); do
		# The first injection shows its call chain in the kernel log.
		echo $((r == 1 ? 2 : 1)) > $fs/verbose
		echo 1 > $fs/times
		tries=0
		while [ "$(cat $fs/times)" != 0 ] && [ $tries -lt 4 ]; do
			read_disk /tmp/fi.img && cmp -s /tmp/ref.img /tmp/fi.img &&
				intact=$((intact + 1))
			reads=$((reads + 1))
			tries=$((tries + 1))
		done
		[ "$(cat $fs/times)" = 0 ] && injected=$((injected + 1))
	done
	echo 0 > $fs/times
	restore_knobs "$fs_saved"
	rm -f /tmp/fi.img /tmp/ref.img
	echo "# report: page table faults: $marked of 2 table caches marked; $rounds rounds: $injected table allocations of dd failed, $intact of $reads reads of 2 MiB returned the disk byte for byte"
	check "page_table_allocation_failures_leave_dma_reads_intact" \
		test $marked -eq 2 -a $ref = yes -a $injected -eq $rounds -a \
		$intact -eq $reads
fi
kmemleak_check
echo "1..$n"
exit $fails
