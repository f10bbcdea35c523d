# Sourced by the guest's init in bench mode (/bench/run.sh).
#
# Workloads, each for $BENCH_RUNTIME seconds:
#   psync   fio, 4 KiB random O_DIRECT reads, one at a time
#   libaio  fio, the same with 16 in flight
#   dmamap  dma_map_benchmark: map and unmap one page, on 0004:00:00.0
# on the virtio-blk disk 0003:00:00.0, whose host side does no I/O.
#
# With BENCH_MEASURE=1 (the -icount boot, where guest time counts guest
# instructions), every workload is bracketed by updates of the zPCI
# measurement block of its function, for the RPCITs it caused, and by
# the CPUs' clock and idle time, for the guest CPU time it took.  Results
# are printed as
#   BENCH-RESULT workload key=value ...
export LD_LIBRARY_PATH=/lib/s390x-linux-gnu

bench_result() { echo "BENCH-RESULT $*"; }

# Guest CPU time, busy, in ns: the time elapsed on every CPU less the
# time it waited idle, which s390 counts in microseconds.  /proc/stat
# rounds both to 10 ms ticks, 0.5% of a 2 s workload.
# Prints nothing if either is missing.
busy_ns() {
	echo "$(awk '/^now at/ { print $3; exit }' /proc/timer_list)" \
		$(cat /sys/devices/system/cpu/cpu[0-9]*/idle_time_us 2>/dev/null) |
	awk 'NF >= 2 && $1 ~ /^[0-9]+$/ { idle = 0; for (i = 2; i <= NF; i++) idle += $i
		printf "%.0f\n", $1 * (NF - 1) - idle * 1000 }'
}

# Context switches on every CPU since boot: a psync read costs about 1500
# instructions more when fio's thread sleeps before its completion arrives.
ctxt() { awk '$1 == "ctxt" { print $2 }' /proc/stat; }

fmb() {	# function -> samples refreshes mapped-pages
	awk -F':[ \t]+' '/Samples/ { s = $2 } /Refresh operations/ { r = $2 }
		/Mapped pages/ { m = $2 } END { print s + 0, r + 0, m + 0 }' \
		"/sys/kernel/debug/pci/$1/statistics"
}

# Refreshes and mapped pages from a measurement block update that began
# after now.
fresh_counts() {
	function=$1
	set -- $(fmb "$function")
	first=$1
	i=0
	while [ $i -lt 150 ]; do
		sleep 0.2
		set -- $(fmb "$function")
		[ "$1" -ge $((first + 2)) ] && break
		i=$((i + 1))
	done
	echo "$2 $3"
}

# Run "$@" (one workload) for function $fn; adds rpcit=, mapped=, ctxt=
# and busy_ns= when measuring.  The workload prints its own key=value pairs.
measure() {
	name=$1
	shift
	if [ "$BENCH_MEASURE" = 1 ]; then
		before=$(fresh_counts "$fn")
		c0=$(ctxt)
		b0=$(busy_ns)
	fi
	echo "bench: $name (up $(cut -d' ' -f1 /proc/uptime) s)"
	out=$("$@")
	if [ "$BENCH_MEASURE" = 1 ]; then
		b1=$(busy_ns)
		c1=$(ctxt)
		after=$(fresh_counts "$fn")
		out="$out $(echo "$before $after" |
			awk '{ printf "rpcit=%d mapped=%d", $3 - $1, $4 - $2 }') ctxt=$((c1 - c0))"
		if [ -n "$b0" ] && [ -n "$b1" ]; then
			out="$out busy_ns=$((b1 - b0))"
		else
			echo "bench: $name: no guest CPU time (timer_list, idle_time_us)" >&2
		fi
	fi
	bench_result "$name $out"
}

# A workload that hangs must not hang the boot.
limit=$((BENCH_RUNTIME * 4 + 60))

fio_run() {	# engine iodepth
	timeout $limit fio --name=bench --filename="$BENCH_DISK" --direct=1 --rw=randread \
		--bs=4k --ioengine="$1" --iodepth="$2" --numjobs=1 \
		--time_based --runtime="$BENCH_RUNTIME" --size=512M \
		--norandommap --randrepeat=0 --minimal 2>/dev/null |
	awk -F';' '{ printf "ios=%d iops=%s clat_us=%s", $6 / 4, $8, $16 }'
}

dmamap_run() {
	timeout $limit /bench/dma_map_benchmark -t 1 -s "$BENCH_RUNTIME" -g 1 -d 0 -b 64 2>&1 |
	awk '/average map latency/ { split($0, a, /[:(]/); gsub(/[^0-9.]/, "", a[3]); map = a[3] }
		/average unmap latency/ { split($0, a, /[:(]/); gsub(/[^0-9.]/, "", a[3]); unmap = a[3] }
		END { printf "map_us=%s unmap_us=%s", map, unmap }'
}

echo "bench: config $BENCH_CONFIG on $(uname -r), disk $BENCH_DISK, $(cat /sys/bus/pci/devices/0003:00:00.0/iommu_group/type 2>/dev/null)"
marker "BEGIN bench"
# DMA bookkeeping: unreclaimable slab and struct iova objects before the
# workloads and after them (the measuring boot goes twice through the
# DMA space).
dma_memory() {
	echo "sunreclaim_kb_$1=$(awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo)" \
		"iova_objects_$1=$(awk '$1 == "iommu_iova" { print $2 }' /proc/slabinfo 2>/dev/null || echo 0)"
}
memory_before=$(dma_memory before)
fn=0003:00:00.0
# Warm up: the first I/Os page in fio and its libraries.  The measuring
# boot reads 512 MiB (4 mappings per read: twice through the 1 GiB DMA
# space), so that its figures are those of the steady state, where every
# DMA address has been used and flushed before.
warm=4M
[ "$BENCH_MEASURE" = 1 ] && warm=512M
timeout 300 fio --name=warm --filename="$BENCH_DISK" --direct=1 --rw=randread \
	--bs=4k --ioengine=psync --size=512M --io_size=$warm --norandommap \
	--minimal >/dev/null 2>&1
if [ "$BENCH_PROFILE" = 1 ]; then
	# The ftrace function profiler over the psync workload: calls and
	# time per kernel function (guest instructions, under -icount).
	t=/sys/kernel/debug/tracing
	echo 1 > $t/function_profile_enabled
	measure psync fio_run psync 1
	echo 0 > $t/function_profile_enabled
	for f in $t/trace_stat/function*; do
		sed 's/^/BENCH-PROFILE /' "$f"
	done
	marker "END bench"
	return 0
fi
measure psync fio_run psync 1
measure libaio fio_run libaio 16

. /bench/tap.sh
fn=0004:00:00.0
bind_dma_map_benchmark $fn
measure dmamap dmamap_run
bench_result "memory $memory_before $(dma_memory after)"
marker "END bench"
