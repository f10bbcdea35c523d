#!/bin/bash
# Compile every kernel C file the series touches with the configurations
# distributions and other architectures use, on the base and on the
# patched tree, and compare the warnings.
#
#   tools/cross.sh LINUX OUTDIR [TARGET...]
# TARGETs: s390x-debian (Debian's s390x config), x86_64-debian (Debian's
# amd64 config), arm64 (defconfig plus IOMMU, vfio and KUnit options).
# A file is compiled where the configuration builds it (as Kbuild would,
# found by a dry run of its directory).  Prints one PASS/FAIL line per
# target: every such file compiles, and no warning is new.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
linux=$(realpath "$1")
out=$(realpath -m "$2")
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(s390x-debian x86_64-debian arm64)
src=$top/build/cross-src
mkdir -p "$out"

result() { if [ "$1" = 0 ]; then echo "PASS $2"; else echo "FAIL $2"; fi; }

# Kernel C files the series adds or changes (not the ones it deletes).
mapfile -t files < <(git -C "$linux" diff --name-only --diff-filter=AM base..HEAD -- '*.c' |
	grep -v '^tools/')

git -C "$linux" worktree prune
[ -e "$src/.git" ] || git -C "$linux" worktree add -q --detach "$src" base || exit 1

debian_config() {	# arch: Debian's config of the flavour "none", from linux-config-6.1
	local arch=$1 deb dir=$top/build/debs/linux-config-$1
	if [ "$arch" = amd64 ] && [ -f /usr/src/linux-config-6.1/config.amd64_none_amd64.xz ]; then
		xzcat /usr/src/linux-config-6.1/config.amd64_none_amd64.xz
		return
	fi
	if [ ! -d "$dir" ]; then
		mkdir -p "$dir"
		(cd "$dir" && apt-get download -q "linux-config-6.1:$arch" > /dev/null 2>&1) || return 1
		dpkg-deb -x "$dir"/linux-config-6.1_*.deb "$dir/x" || return 1
	fi
	xzcat "$dir"/x/usr/src/linux-config-6.1/config."$arch"_none_"$arch".xz
}

configure() {	# target obj make-args...
	local target=$1 obj=$2
	shift 2
	case "$target" in
	s390x-debian) debian_config s390x > "$obj/.config" ;;
	x86_64-debian) debian_config amd64 > "$obj/.config" ;;
	arm64)
		make -s -C "$src" O="$obj" "$@" defconfig > /dev/null &&
		"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
			"$top/tools/config/arm64.config" > /dev/null ;;
	esac || return 1
	# Debian's configs sign modules with keys that are not here.
	"$src/scripts/config" --file "$obj/.config" --set-str SYSTEM_TRUSTED_KEYS "" \
		--set-str MODULE_SIG_KEY "" --set-str SYSTEM_REVOCATION_KEYS "" \
		--disable DEBUG_INFO_BTF
	make -s -C "$src" O="$obj" "$@" olddefconfig > /dev/null 2>&1
}

# The files of @files that the configuration in $obj builds.
configured() {	# obj make-args...
	local obj=$1 dirs f
	shift
	dirs=$(for f in "${files[@]}"; do dirname "$f"; done | sort -u)
	for d in $dirs; do
		make -n -C "$src" O="$obj" "$@" "$d/" 2>/dev/null
	done | grep -o -- ' -c -o [^ ]*\.o ' | sed 's/ -c -o //; s/ $//' | sort -u > "$obj/built.txt"
	for f in "${files[@]}"; do
		grep -qxF "${f%.c}.o" "$obj/built.txt" && echo "$f"
	done
}

compile() {	# obj warnings-file make-args...: compile $todo, keep warnings
	local obj=$1 warn=$2 f rc=0
	shift 2
	: > "$warn"
	[ ${#todo[@]} -gt 0 ] || return 0
	# One make run for all the files (one walk of the build tree); -k goes
	# on past a file that does not compile.
	for f in "${todo[@]}"; do
		rm -f "$obj/${f%.c}.o"
	done
	make -s -k -C "$src" O="$obj" "$@" -j"$(nproc)" \
		$(for f in "${todo[@]}"; do echo "${f%.c}.o"; done) > "$obj/cc.log" 2>&1
	for f in "${todo[@]}"; do
		if [ ! -f "$obj/${f%.c}.o" ]; then
			echo "    $f does not compile:" >&2
			grep -F "$f:" "$obj/cc.log" | grep -m5 -E '(fatal )?error:' |
				sed 's/^/      /' >&2
			rc=1
		fi
	done
	# Warnings without line numbers, which the series moves.
	grep 'warning:' "$obj/cc.log" | sed -E 's/:[0-9]+:[0-9]+:/:/' | sort > "$warn"
	return $rc
}

status=0
for target in "${targets[@]}"; do
	case "$target" in
	s390x-debian) margs=(ARCH=s390) cross=s390x-linux-gnu- ;;
	x86_64-debian) margs=(ARCH=x86_64) cross= ;;
	arm64) margs=(ARCH=arm64) cross=aarch64-linux-gnu- ;;
	*) echo "cross: unknown target $target" >&2; exit 2 ;;
	esac
	margs+=(CROSS_COMPILE=$cross)
	if command -v ccache > /dev/null && [ -z "${NO_CCACHE:-}" ]; then
		margs+=("CC=ccache ${cross}gcc")
	fi
	obj=$out/$target
	start=$(date +%s)
	mkdir -p "$obj"
	git -C "$src" checkout -q --detach base
	rc=0
	configure "$target" "$obj" "${margs[@]}" &&
		make -s -C "$src" O="$obj" "${margs[@]}" prepare > "$obj/prepare.log" 2>&1 || rc=1
	if [ $rc != 0 ]; then
		result 1 "$target: configure and prepare the base tree (see ${obj#$top/})"
		status=1
		continue
	fi
	# What the patched tree builds; the files it adds are not on base.
	git -C "$src" checkout -q --detach "$(git -C "$linux" rev-parse HEAD)"
	mapfile -t todo < <(configured "$obj" "${margs[@]}")
	git -C "$src" checkout -q --detach base
	mapfile -t base_todo < <(for f in "${todo[@]}"; do [ -f "$src/$f" ] && echo "$f"; done)
	todo_all=("${todo[@]}")
	todo=("${base_todo[@]}")
	compile "$obj" "$obj/warnings-base.txt" "${margs[@]}" 2>/dev/null
	git -C "$src" checkout -q --detach "$(git -C "$linux" rev-parse HEAD)"
	make -s -C "$src" O="$obj" "${margs[@]}" prepare >> "$obj/prepare.log" 2>&1
	todo=("${todo_all[@]}")
	compile "$obj" "$obj/warnings-series.txt" "${margs[@]}"
	rc=$?
	new=$(grep -vxF -f "$obj/warnings-base.txt" "$obj/warnings-series.txt")
	[ -z "$new" ] || { echo "$new" | sed 's/^/    new warning: /'; rc=1; }
	result $rc "$target: ${#todo[@]} of ${#files[@]} touched files compile, no new warnings ($(( $(date +%s) - start )) s)"
	echo "    ${todo[*]}" | fold -s -w 100 | sed '2,$s/^/    /'
	[ $rc = 0 ] || status=1
done
exit $status
