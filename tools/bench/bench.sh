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
# Per configuration one boot under -icount, where guest time counts guest
# instructions, measures RPCITs and guest CPU time per I/O, and
# BENCH_RUNS (3) ordinary boots measure IOPS and latencies.  Environment:
# BENCH_RUNS, BENCH_RUNTIME (seconds per workload, 5), BENCH_CONFIGS.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=build/bench
runs=${BENCH_RUNS:-3}
runtime=${BENCH_RUNTIME:-5}
configs=${BENCH_CONFIGS:-base-lazy base-strict series-strict series-fq fq-anchor series-lazy}
t0=$(date +%s)
progress() { printf 'bench [%4d s] %s\n' $(( $(date +%s) - t0 )) "$*"; }
mkdir -p "$out/logs" "$out/root/bench"

# The flush-queue anchor: the series with the bench-only patch, built in
# the series' own tree and object directory, then put back.
progress "building the fq-anchor kernel"
if [ -n "$(git -C build/linux status --porcelain --untracked-files=no)" ]; then
	echo "bench: build/linux has uncommitted changes; commit them first" >&2
	exit 1
fi
git -C build/linux apply "$top/tools/bench/fq-anchor.patch"
if tools/kernel.sh build/linux build/obj/series series > "$out/logs/build-anchor.log" 2>&1; then
	cp build/obj/series/arch/s390/boot/bzImage "$out/bzImage-anchor"
	anchor_ok=1
else
	anchor_ok=
fi
git -C build/linux checkout -q -- drivers/iommu/dma-iommu.c
tools/kernel.sh build/linux build/obj/series series >> "$out/logs/build-anchor.log" 2>&1
[ -n "$anchor_ok" ] || { echo "bench: fq-anchor kernel failed, see $out/logs/build-anchor.log" >&2; exit 1; }

progress "guest userspace: fio for s390x, dma_map_benchmark"
tools/bench/fetch-fio.sh "$out/fio"
s390x-linux-gnu-gcc -static -O2 -isystem build/obj/series/usr/include -I build/linux/include \
	build/linux/tools/testing/selftests/dma/dma_map_benchmark.c \
	-o "$out/root/bench/dma_map_benchmark"
install -m 644 tools/bench/guest-bench.sh "$out/root/bench/run.sh"
tools/initramfs.sh "$out/initramfs.cpio" build/kselftest "$out/fio" "$out/root" >/dev/null

kernel_of() {
	case $1 in
	base-*) echo build/obj/base/arch/s390/boot/bzImage ;;
	fq-anchor) echo "$out/bzImage-anchor" ;;
	*) echo build/obj/series/arch/s390/boot/bzImage ;;
	esac
}
args_of() {
	case $1 in
	*-strict) echo "s390_iommu=strict" ;;
	*-fq|fq-anchor) echo "iommu.strict=0" ;;
	*) echo "" ;;
	esac
}

boot() {	# config name measure icount
	local log=$out/logs/$1-$2.log
	tools/vm.sh --kernel "$(kernel_of "$1")" --initrd "$out/initramfs.cpio" \
		--log "$log" --timeout 900 --mode bench --null-disk $4 \
		--append "$(args_of "$1")" --conf VFIO_DEVICES= \
		--conf BENCH_CONFIG="$1" --conf BENCH_RUNTIME="$runtime" \
		--conf BENCH_MEASURE="$3" 2>/dev/null || true
	grep -q '^BENCH-END bench' "$log" || echo "bench: $1 $2 did not finish, see $log" >&2
}

rm -f "$out"/logs/*-measure.log "$out"/logs/*-run*.log
for config in $configs; do
	progress "$config: measuring boot (-icount)"
	boot "$config" measure 1 --icount
	for i in $(seq "$runs"); do
		progress "$config: run $i of $runs"
		boot "$config" "run$i" 0 ""
	done
done
progress "analysis"
tools/bench/analyze.py --logs "$out/logs" --configs "$configs" --reference base-lazy \
	--out "$out" --doc Documentation/results.rst
progress "done"
