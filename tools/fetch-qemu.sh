#!/bin/bash
# QEMU for the modular guest: qemu-system-s390x 10.0 from Debian 12's
# bookworm-backports, downloaded and unpacked into build/qemu (not
# installed; the other boots keep Debian 12's QEMU 7.2).
#
# QEMU 7.2's TCG sometimes runs stale translated code where the guest has
# written new code over old: a modular guest, which frees module init
# text and loads the next module's code over it, hit an "illegal
# operation" in virtio_pci_modern_dev's text in 3 of 14 boots, with both
# lazy and strict DMA, at the same offsets every time; under 10.0, 0 of 10.
#   tools/fetch-qemu.sh    prints the path of the qemu-system-s390x to use
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/build/qemu
bin=$dir/bin/qemu-system-s390x
if [ ! -x "$bin" ]; then
	apt=$dir/apt
	rm -rf "$dir"
	mkdir -p "$apt/lists/partial" "$dir/debs" "$dir/bin"
	echo "deb http://deb.debian.org/debian bookworm-backports main" > "$apt/sources.list"
	opts=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	      -o Dir::State::Lists="$apt/lists" -o Debug::NoLocking=1)
	apt-get "${opts[@]}" update -qq >&2
	(cd "$dir/debs" && apt-get "${opts[@]}" download -q qemu-system-s390x \
		qemu-system-data qemu-system-common >&2 2>/dev/null)
	for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
	cat > "$bin" <<EOS
#!/bin/sh
exec "$dir/root/usr/bin/qemu-system-s390x" -L "$dir/root/usr/share/qemu" "\$@"
EOS
	chmod +x "$bin"
	"$bin" --version | head -1 >&2
fi
echo "$bin"
