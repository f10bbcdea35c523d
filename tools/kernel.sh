#!/bin/bash
# Configure and build an s390x kernel out of tree.
#
#   [KERNEL_ARCH=x86_64] [KERNEL_TARGET=vmlinux.o [KERNEL_HEADERS=1]] [KERNEL_KEEP_CONFIG=1] \
#	tools/kernel.sh SRC OBJ series|base [FRAGMENT...]
#
# The config is allnoconfig plus tools/config/s390x-vfio.config and
# tools/config/series.config.  Every option of the first fragment must
# survive olddefconfig; those of the second only on the patched kernel,
# which is the one that adds them.  FRAGMENTs, merged last, may turn
# options off or change them (the bench's tools/config/bench.config, the
# modular kernel's tools/config/modules.config); their own options must
# survive olddefconfig too.  KERNEL_ARCH=x86_64 builds the x86_64 guest's
# kernel with the host compiler from tools/config/x86_64.config alone.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
src=$(realpath "$1")
obj=$(realpath -m "$2")
flavour=$3
frags=("$top/tools/config/s390x-vfio.config" "$top/tools/config/series.config")
extra=("${@:4}")

cc=s390x-linux-gnu-gcc
arch=(ARCH=s390 CROSS_COMPILE=s390x-linux-gnu-)
if [ "${KERNEL_ARCH:-s390x}" = x86_64 ]; then
	frags=("$top/tools/config/x86_64.config")
	cc=gcc
	arch=(ARCH=x86_64)
fi
if command -v ccache >/dev/null && [ -z "${NO_CCACHE:-}" ]; then
	cc="ccache $cc"
fi
kmake=(make -C "$src" -s "${arch[@]}" O="$obj" CC="$cc")

mkdir -p "$obj"
# KERNEL_KEEP_CONFIG=1 (tools/walk.sh, for a patch that changes no
# Kconfig file): the config of the last build stands.
if [ -z "${KERNEL_KEEP_CONFIG:-}" ] || [ ! -f "$obj/.config" ]; then
	[ ! -f "$obj/.config" ] || cp -p "$obj/.config" "$obj/.config.prev"
	"${kmake[@]}" allnoconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${frags[@]}" \
		"${extra[@]}" >/dev/null 2>&1
	"${kmake[@]}" olddefconfig >/dev/null 2>&1
	# An unchanged config keeps its old time stamp: nothing is rebuilt for it.
	if [ -f "$obj/.config.prev" ] && cmp -s "$obj/.config" "$obj/.config.prev"; then
		mv "$obj/.config.prev" "$obj/.config"
	else
		rm -f "$obj/.config.prev"
	fi
fi

missing=0
check_frag() {	# fragment [final]: final fragments are not overridden
	local frag=$1 line
	while read -r line; do
		case "$line" in CONFIG_*) ;; *) continue ;; esac
		# an option an extra fragment turns off or sets otherwise
		[ -n "${2:-}" ] || [ ${#extra[@]} = 0 ] ||
			! grep -qs -e "# ${line%%=*} is not set" \
			-e "^${line%%=*}=" "${extra[@]}" || continue
		if ! grep -qxF "$line" "$obj/.config"; then
			echo "kernel: $flavour config lacks $line (from $(basename "$frag"))" >&2
			missing=1
		fi
	done < "$frag"
}
check_frag "${frags[0]}"
[ "$flavour" = base ] || [ ${#frags[@]} = 1 ] || check_frag "${frags[1]}"
for frag in "${extra[@]+"${extra[@]}"}"; do
	check_frag "$frag" final
done
[ $missing = 0 ] || exit 1

echo "kernel: building $flavour ($(make -C "$src" -s kernelversion)) in ${obj#$top/}"
start=$(date +%s)
# KERNEL_TARGET=vmlinux.o (tools/walk.sh, a patch in the middle of the
# series): the objects linked relocatably, without the final link, the
# boot image and the exported headers, which
# KERNEL_HEADERS=1 adds back.
if ! "${kmake[@]}" -j"$(nproc)" ${KERNEL_TARGET:-}; then
	echo "kernel: $flavour build failed" >&2
	exit 1
fi
if [ -z "${KERNEL_TARGET:-}" ] || [ -n "${KERNEL_HEADERS:-}" ]; then
	"${kmake[@]}" headers >/dev/null
fi
echo "kernel: $flavour built in $(( $(date +%s) - start )) s"
