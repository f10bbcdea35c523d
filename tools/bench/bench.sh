#!/bin/bash
# make bench: IOPS, IOTLB flushes and guest-side cost per I/O of every DMA
# mode, base kernel and series side by side, measured in one run.
#
# Configurations (kernel, kernel parameters):
#   base-lazy     base kernel, s390's own DMA code (the reference)
#   base-strict   base kernel, s390_iommu=strict
#   series-strict series, s390_iommu=strict           (DMA)
#   series-fq     series, iommu.strict=0               (DMA-FQ, default sizes)
#   fq-anchor     series with tools/bench/fq-anchor.patch, iommu.strict=0
#                 (one 32768-entry queue per CPU, 4 s timeout; bench only)
#   series-lazy   series, default                      (DMA-LAZY)
#
# The kernels are the test configs without lock debugging
# (tools/config/bench.config), built in build/obj/bench-* (the anchor
# in the series' directory, then put back).  Per
# configuration, one boot under -icount on one vCPU, where guest time
# counts guest instructions, measures RPCITs and guest CPU time per I/O
# for a fixed workload, and BENCH_RUNS (3) ordinary boots on two vCPUs
# measure IOPS and latencies.  base-lazy and series-lazy, whose ratio is
# the goal, get BENCH_MEASURE_BOOTS (3) -icount boots, taken in turn, and
# their median counts: whether a psync read's completion reaches the
# guest before the task sleeps depends on the host, which moves its
# instructions per read by up to 15% from boot to boot.  One more boot
# runs the KUnit scaling case of the lazy allocator
# (tools/bench/scaling.py).  Environment: BENCH_RUNS, BENCH_RUNTIME
# (seconds per workload, 5), BENCH_MEASURE_RUNTIME (guest seconds per
# workload under -icount, 2), BENCH_MEASURE_BOOTS, BENCH_CONFIGS.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=build/bench
runs=${BENCH_RUNS:-3}
runtime=${BENCH_RUNTIME:-5}
measure_runtime=${BENCH_MEASURE_RUNTIME:-2}
measure_boots=${BENCH_MEASURE_BOOTS:-3}
case $measure_boots in
''|*[!0-9]*|0) echo "bench: BENCH_MEASURE_BOOTS must be 1 or more" >&2; exit 2 ;;
esac
configs=${BENCH_CONFIGS:-base-lazy base-strict series-strict series-fq fq-anchor series-lazy}
t0=$(date +%s)
progress() { printf 'bench [%4d s] %s\n' $(( $(date +%s) - t0 )) "$*"; }
mkdir -p "$out/logs" "$out/root/bench"

# BENCH_PROFILE=1: instead of the bench, profile the psync workload of
# base-lazy and series-lazy with the ftrace function profiler, on kernels
# that also have tools/config/profile.config, in build/obj/prof-*.
profile=${BENCH_PROFILE:-}
kind=bench
frags=(tools/config/bench.config)
if [ -n "$profile" ]; then
	kind=prof
	frags+=(tools/config/profile.config)
	configs="base-lazy series-lazy"
fi

kbuild() {	# name src flavour
	progress "building the $1 $kind kernel"
	tools/kernel.sh "$2" "build/obj/$kind-$3" "$3" "${frags[@]}" \
		> "$out/logs/build-$kind-$1.log" 2>&1 ||
		{ echo "bench: $1 kernel failed, see $out/logs/build-$kind-$1.log" >&2; exit 1; }
}

# The flush-queue anchor: the series with the bench-only patch, built in
# the series' bench object directory, then put back.
build_anchor() {
	if [ -n "$(git -C build/linux status --porcelain --untracked-files=no)" ]; then
		echo "bench: build/linux has uncommitted changes; commit them first" >&2
		exit 1
	fi
	git -C build/linux apply "$top/tools/bench/fq-anchor.patch"
	local ok=
	kbuild fq-anchor build/linux series && ok=1
	[ -z "$ok" ] || cp build/obj/bench-series/arch/s390/boot/bzImage "$out/bzImage-anchor"
	git -C build/linux checkout -q -- drivers/iommu/dma-iommu.c
	[ -n "$ok" ] || exit 1
}

kbuild base build/linux-base base
case " $configs " in *" fq-anchor "*) build_anchor ;; esac
kbuild series build/linux series

progress "guest userspace: fio for s390x, dma_map_benchmark"
tools/bench/fetch-fio.sh "$out/fio"
s390x-linux-gnu-gcc -static -O2 -I build/obj/bench-series/usr/include -I build/linux/include \
	build/linux/tools/testing/selftests/dma/dma_map_benchmark.c \
	-o "$out/root/bench/dma_map_benchmark"
install -m 644 tools/bench/guest-bench.sh "$out/root/bench/run.sh"
mkdir -p "$out/no-kselftest"
tools/initramfs.sh "$out/initramfs.cpio" "$out/no-kselftest" "$out/fio" "$out/root" >/dev/null

kernel_of() {
	case $1 in
	base-*) echo build/obj/$kind-base/arch/s390/boot/bzImage ;;
	fq-anchor) echo "$out/bzImage-anchor" ;;
	*) echo build/obj/$kind-series/arch/s390/boot/bzImage ;;
	esac
}
# No KUnit suite matches: the bench boots skip them.
args_of() {
	case $1 in
	*-strict) echo "kunit.filter_glob=none s390_iommu=strict" ;;
	*-fq|fq-anchor) echo "kunit.filter_glob=none iommu.strict=0" ;;
	*) echo "kunit.filter_glob=none" ;;
	esac
}

boot() {	# config name measure icount runtime
	local log=$out/logs/$1-$2.log smp=2
	[ -z "$4" ] || smp=1
	VM_SMP=$smp tools/vm.sh --kernel "$(kernel_of "$1")" --initrd "$out/initramfs.cpio" \
		--log "$log" --timeout 400 --mode bench --null-disk $4 \
		--append "$(args_of "$1")" --conf VFIO_DEVICES= \
		--conf BENCH_CONFIG="$1" --conf BENCH_RUNTIME="$5" \
		--conf BENCH_MEASURE="$3" --conf BENCH_PROFILE="${profile:-0}" \
		2>/dev/null || true
	grep -q '^BENCH-END bench' "$log" || echo "bench: $1 $2 did not finish, see $log" >&2
}

if [ -n "$profile" ]; then
	for config in $configs; do
		progress "$config: profiling boot (-icount)"
		boot "$config" profile 1 --icount "$measure_runtime"
		sed -n 's/^BENCH-PROFILE //p; /^BENCH-RESULT/p' "$out/logs/$config-profile.log" \
			> "$out/profile-$config.txt"
	done
	tools/bench/profile-diff.py "$out/profile-base-lazy.txt" \
		"$out/profile-series-lazy.txt" | tee "$out/profile-diff.txt"
	exit 0
fi

rm -f "$out"/logs/*-measure*.log "$out"/logs/*-run*.log
for m in $(seq "$measure_boots"); do
	for config in $configs; do
		case $config in
		base-lazy|series-lazy) ;;
		*) [ "$m" = 1 ] || continue ;;
		esac
		progress "$config: measuring boot $m (-icount)"
		name=measure
		[ "$m" = 1 ] || name=measure$m
		boot "$config" "$name" 1 --icount "$measure_runtime"
	done
done
for config in $configs; do
	for i in $(seq "$runs"); do
		progress "$config: run $i of $runs"
		boot "$config" "run$i" 0 "" "$runtime"
	done
done
# The lazy allocator at scale: the KUnit scaling case alone on the series'
# bench kernel; its IOVAs have no memory behind them.  Under -icount, on
# one vCPU, its times are guest instructions.
if [ -f build/obj/$kind-series/arch/s390/boot/bzImage ]; then
	progress "scaling: the lazy allocator at 2^18 to 2^24 pages"
	VM_SMP=1 tools/vm.sh --kernel build/obj/$kind-series/arch/s390/boot/bzImage \
		--initrd "$out/initramfs.cpio" --log "$out/logs/scaling.log" \
		--timeout 900 --mode idle --conf VFIO_DEVICES= --icount \
		--append "kunit.filter_glob=iova_lazy_flush.bookkeeping_stays_two_bits_per_page iova_kunit.scaling_max_shift=24" \
		2>/dev/null || true
	tools/bench/scaling.py --icount "$out/logs/scaling.log" "$out" || true
fi
progress "analysis"
tools/bench/analyze.py --logs "$out/logs" --configs "$configs" --reference base-lazy \
	--out "$out"
progress "done"
