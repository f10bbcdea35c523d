#!/bin/bash
# Build the vfio selftests of the patched tree as static s390x binaries and
# install them with the kselftest runner.
#   [GUEST_ARCH=x86_64] tools/selftests.sh LINUX OBJ INSTALL_DIR
# GUEST_ARCH=x86_64 builds them with the host's compiler for the x86 guest.
set -euo pipefail
linux=$(realpath "$1")
obj=$(realpath "$2")
install=$(realpath -m "$3")
arch=(ARCH=s390 CROSS_COMPILE=s390x-linux-gnu-)
objects=$(dirname "$obj")/kselftest
if [ "${GUEST_ARCH:-s390x}" = x86_64 ]; then
	arch=(ARCH=x86)
	objects+=-x86_64
fi
rm -rf "$install"
make -s -C "$linux/tools/testing/selftests" TARGETS=vfio "${arch[@]}" \
	KHDR_INCLUDES="-isystem $obj/usr/include" \
	USERLDFLAGS=-static O="$objects" \
	INSTALL_PATH="$install" install >/dev/null
echo "selftests: $(grep -c . "$install/kselftest-list.txt") vfio programs in ${install#$PWD/}"
