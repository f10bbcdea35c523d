#!/bin/sh
# Install, with apt-get, whatever the bench needs and this machine lacks.
# Debian 12 (bookworm) is the reference host; s390x packages come from the
# same archive through dpkg's multiarch support.
set -eu

need=""
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }

for pkg in linux-source-6.1 gcc-s390x-linux-gnu libc6-dev-s390x-cross \
	   qemu-system-misc qemu-system-x86 sparse make flex bison bc libssl-dev libelf-dev \
	   cpio xz-utils rsync git python3 python3-ply python3-git perl gnuplot-nox \
	   kmod gcc libc6-dev gcc-aarch64-linux-gnu linux-config-6.1 coccinelle; do
	have_pkg "$pkg" || need="$need $pkg"
done

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

if [ -n "$need" ]; then
	echo "deps: installing$need"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

# s390x userspace for the guest (busybox, fio and its libraries) is
# downloaded, never installed on the host.
if ! dpkg --print-foreign-architectures | grep -qx s390x; then
	echo "deps: enabling the s390x architecture for apt-get download"
	$SUDO dpkg --add-architecture s390x
	$SUDO apt-get update -qq
fi
