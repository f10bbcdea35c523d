#!/bin/bash
# Build the vfio selftests of the patched tree as static s390x binaries and
# install them with the kselftest runner.
#   tools/selftests.sh LINUX OBJ INSTALL_DIR
set -euo pipefail
linux=$(realpath "$1")
obj=$(realpath "$2")
install=$(realpath -m "$3")
rm -rf "$install"
make -s -C "$linux/tools/testing/selftests" TARGETS=vfio ARCH=s390 \
	CROSS_COMPILE=s390x-linux-gnu- KHDR_INCLUDES="-isystem $obj/usr/include" \
	USERLDFLAGS=-static O="$(dirname "$obj")/kselftest" \
	INSTALL_PATH="$install" install >/dev/null
echo "selftests: $(grep -c . "$install/kselftest-list.txt") vfio programs in ${install#$PWD/}"
