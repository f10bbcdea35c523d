#!/bin/bash
# Build the patched kernel as distributions do: KVM, vfio, vfio-pci, type1,
# virtio and the KUnit suites as modules (tools/config/modules.config), and
# an initramfs that holds the modules next to the vfio selftests.
#
#   [MODULAR_STEP=build|install] tools/modular.sh LINUX OBJ INITRAMFS KSELFTEST_DIR
# Prints PASS/FAIL lines; the guest loads the modules with modprobe.
# MODULAR_STEP=build only builds the kernel (tools/check.sh does that
# early, beside the walk), install only installs its modules into the
# initramfs, which needs the selftests built; by default both.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
linux=$(realpath "$1")
obj=$(realpath -m "$2")
initrd=$(realpath -m "$3")
kselftest=$(realpath -m "$4")
log=$(dirname "$obj")/build-modules.log
root=$(dirname "$initrd")/modules-root
mkdir -p "$obj" "$(dirname "$initrd")"

result() { if [ "$1" = 0 ]; then echo "PASS $2"; else echo "FAIL $2"; fi; }

step=${MODULAR_STEP:-all}
if [ "$step" != install ]; then
start=$(date +%s)
"$top/tools/kernel.sh" "$linux" "$obj" series "$top/tools/config/modules.config" > "$log" 2>&1
rc=$?
result $rc "modular kernel builds: KVM, vfio, virtio, KUnit as modules, every symbol resolved ($(( $(date +%s) - start )) s)"
if [ $rc != 0 ]; then
	grep -E 'error|ERROR|undefined' "$log" | head -10 | sed 's/^/    /'
	exit 1
fi
echo "    modules: $(find "$obj" -name '*.ko' | wc -l) built"
[ "$step" != build ] || exit 0
fi

rm -rf "$root" "$initrd"
make -s -C "$linux" ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- O="$obj" \
	INSTALL_MOD_PATH="$root" INSTALL_MOD_STRIP=1 modules_install >> "$log" 2>&1 &&
	"$top/tools/initramfs.sh" "$initrd" "$kselftest" "$root" >> "$log" 2>&1
rc=$?
result $rc "modular kernel's modules install with depmod into its initramfs"
exit $rc
