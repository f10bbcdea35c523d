#!/bin/bash
# make check: every test of the project, ending with "N passed, M failed".
#
#  1. the series as a maintainer receives it: applies with git am, patches/
#     in step with the tree, cover letter, checkpatch --strict per patch;
#  2. the base kernel and every patch built in turn (bisectable), sparse on
#     the C files the series touches;
#  3. the patched kernel booted under QEMU: KUnit at boot and the vfio
#     selftests, every one must pass, no kernel report in the log;
#  4. the base kernel booted with the same tests: every feature test must
#     fail there, every guard must pass.
set -uo pipefail
shopt -s lastpipe	# tally counts in this shell, not a subshell

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/check
rm -rf "$out/logs"
mkdir -p "$out/logs"
passed=0
failed=0
t0=$(date +%s)

tally() {	# read PASS/FAIL lines, echo them, count them
	local line
	while IFS= read -r line; do
		echo "$line"
		case "$line" in
		PASS\ *) passed=$((passed + 1)) ;;
		FAIL\ *) failed=$((failed + 1)) ;;
		esac
	done
}
result() { if [ "$1" = 0 ]; then echo "PASS $2"; else echo "FAIL $2"; fi; }
stage() { printf '\n== %s (%d s)\n' "$1" $(( $(date +%s) - t0 )); }
finish() {
	printf '\ncheck: %d s in all, logs in %s\n' $(( $(date +%s) - t0 )) "$out"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
}

stage "host tools"
tools/deps.sh > "$out/logs/deps.log" 2>&1
result $? "host packages installed (tools/deps.sh)" | tally
s390x-linux-gnu-gcc --version > /dev/null 2>&1 || finish

stage "series"
tools/tree.sh > "$out/logs/tree.log" 2>&1
rc=$?
result $rc "series applies with git am to linux-source-6.1 $(dpkg-query -W -f='${Version}' linux-source-6.1)" | tally
[ $rc = 0 ] || { sed 's/^/    /' "$out/logs/tree.log"; finish; }
tools/series-check.sh build/linux 2>&1 | tally

stage "builds: base, then every patch"
tools/walk.sh build/linux "$out" 2>&1 | tally
series_kernel=$out/bzImage-series
base_kernel=$out/bzImage-base
tools/sparse.sh build/walk "$out/obj" "$out/sparse-base.txt" 2>&1 | tally

stage "vfio selftests and initramfs"
{ tools/selftests.sh build/linux "$out/obj" build/kselftest &&
  tools/initramfs.sh build/guest/initramfs.cpio build/kselftest; } > "$out/logs/initramfs.log" 2>&1
rc=$?
result $rc "vfio selftests build for s390x (make -C tools/testing/selftests TARGETS=vfio)" | tally
[ $rc = 0 ] || { tail -20 "$out/logs/initramfs.log"; finish; }

boot() {	# kernel flavour
	local log=$out/logs/console-$2.log
	if [ ! -f "$1" ]; then
		result 1 "$2 kernel boots (no kernel was built)" | tally
		return
	fi
	tools/vm.sh --kernel "$1" --initrd build/guest/initramfs.cpio --log "$log" \
		--timeout 900 2>&1 | sed 's/^/    /'
	tools/verdict.py "$log" --kernel "$2" --expect tools/expectations.txt \
		--exclude dma_ --json "$out/results-$2.json" |
		grep -v 'passed, .* failed$' | tally
}

stage "patched kernel under QEMU"
boot "$series_kernel" series

stage "base kernel under QEMU (feature tests must fail, guards pass)"
boot "$base_kernel" base

# DMA through the IOMMU in each mode, with the root file system on the
# virtio-blk disk: lazy flush (default), strict, flush queue.
dma_boot() {	# kernel flavour mode kernel-args
	local log=$out/logs/console-$2-dma-$3.log
	[ -f "$1" ] || return 0
	tools/vm.sh --kernel "$1" --initrd build/guest/initramfs.cpio --log "$log" \
		--timeout 600 --root-disk --mode dmacheck --conf DMA_MODE="$3" \
		--conf VFIO_DEVICES= --append "$4" 2>&1 | sed 's/^/    /'
	tools/verdict.py "$log" --kernel "$2" --expect tools/expectations.txt \
		--require tap --only "dma_$3:" | grep -v 'passed, .* failed$' | tally
}
for flavour in series base; do
	stage "$flavour kernel: DMA modes, root file system on virtio-blk"
	kernel=$series_kernel
	[ $flavour = series ] || kernel=$base_kernel
	dma_boot "$kernel" $flavour lazy ""
	dma_boot "$kernel" $flavour strict "s390_iommu=strict"
	dma_boot "$kernel" $flavour fq "iommu.strict=0"
done

finish
