#!/bin/bash
# Guest instructions per DMA map and unmap, counted exactly: boot a bench
# kernel on one vCPU with QEMU's gdb stub, let the bench's psync workload
# run, and single-step calls of dma_map_page_attrs() and
# dma_unmap_page_attrs() (the kernel's virtio-blk, one page each) from
# entry to return with gdb-multiarch.  Prints instructions per call and
# per function executed.
#
#   tools/bench/step-count.sh NAME OBJDIR ["kernel args"]
#	(after make bench, which builds build/obj/bench-* and the initramfs)
#
# Environment: NCALLS (calls of each function, 10), FUNCS, GDB_PORT (1234).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
name=$1 obj=$2 args=${3:-}
out=build/bench/step-count
mkdir -p "$out"
command -v gdb-multiarch >/dev/null || { echo "step-count: needs gdb-multiarch (apt-get install gdb-multiarch)" >&2; exit 1; }
port=${GDB_PORT:-1234}
wrapper=$out/qemu-gdb
printf '#!/bin/sh\nexec qemu-system-s390x -gdb tcp::%s "$@"\n' "$port" > "$wrapper"
chmod +x "$wrapper"
log=$out/$name.log
rm -f "$log"
QEMU=$wrapper VM_SMP=1 tools/vm.sh --kernel "$obj/arch/s390/boot/bzImage" \
	--initrd build/bench/initramfs.cpio --log "$log" --timeout 900 --mode bench \
	--null-disk --append "kunit.filter_glob=none $args" --conf VFIO_DEVICES= \
	--conf BENCH_CONFIG="$name" --conf BENCH_RUNTIME=400 --conf BENCH_MEASURE=0 \
	--conf BENCH_PROFILE=0 >/dev/null 2>&1 &
vm=$!
trap 'kill $vm 2>/dev/null; pkill -f "$wrapper" 2>/dev/null || true' EXIT
for _ in $(seq 600); do
	grep -q '^bench: psync' "$log" 2>/dev/null && break
	sleep 1
done
grep -q '^bench: psync' "$log" || { echo "step-count: the guest did not reach psync, see $log" >&2; exit 1; }
VMLINUX=$obj/vmlinux OUT=$out/$name.json NCALLS=${NCALLS:-10} GDB_PORT=$port \
	timeout 600 gdb-multiarch -q -batch -x tools/bench/step-count.py "$obj/vmlinux" \
	> "$out/$name.gdb.log" 2>&1
python3 - "$out/$name.json" <<'PY'
import json, sys
for func, v in json.load(open(sys.argv[1])).items():
    print(f"{func}: {' '.join(map(str, v['calls']))} instructions per call")
    for sym, n in sorted(v["per_call"].items(), key=lambda x: -x[1]):
        print(f"   {sym:40s} {n:6.1f}")
PY
