#!/bin/bash
# The guest tools of the DMA-mode boots, as trees for vm.sh --root-extra:
# Debian's fio for s390x (build/guest/fio) and dma_map_benchmark
# (build/guest/dma-tools/bench).
#   tools/dma-tools.sh LINUX OBJ      OBJ: a kernel build with its headers
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/bench/fetch-fio.sh" "$top/build/guest/fio"
mkdir -p "$top/build/guest/dma-tools/bench"
s390x-linux-gnu-gcc -static -O2 -I "$2/usr/include" -I "$1/include" \
	"$1/tools/testing/selftests/dma/dma_map_benchmark.c" \
	-o "$top/build/guest/dma-tools/bench/dma_map_benchmark"
echo "dma-tools: fio and dma_map_benchmark in build/guest"
