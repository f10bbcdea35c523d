#!/bin/bash
# Build the base and then every patch of the series in turn, in one
# worktree and one object directory, so each step rebuilds only what the
# patch touched.  This proves the series bisectable (every patch builds)
# and yields the base and the patched kernel for booting.  A patch in
# between that touches no header, boot code or build script builds
# vmlinux.o only, every object compiled and linked relocatably, and must
# leave no symbol undefined that the base kernel's vmlinux.o does not (the
# final link of vmlinux, its kallsyms passes and the boot image cost about
# 15 s a patch more, and the last patch builds them); one that changes
# only selftests, Documentation or MAINTAINERS builds nothing.
#
#   tools/walk.sh LINUX OUTDIR
# Prints one PASS/FAIL line per build; leaves OUTDIR/bzImage-base,
# OUTDIR/bzImage-series, OUTDIR/obj (at the last patch) and the sparse
# warnings of the files the series touches, as they are on the base, in
# OUTDIR/sparse-base.txt.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
linux=$(realpath "$1")
out=$(realpath -m "$2")
wt=$top/build/walk
obj=$out/obj
mkdir -p "$out"

git -C "$linux" worktree prune
if [ ! -e "$wt/.git" ]; then
	git -C "$linux" worktree add -q --detach "$wt" base || exit 1
fi

commits=($(git -C "$linux" rev-list --reverse base..HEAD))
n=${#commits[@]}
status=0
build_at() {	# commit label flavour [env...]: build the tree at commit
	git -C "$wt" checkout -q --detach "$1" || return 1
	env "${@:4}" "$top/tools/kernel.sh" "$wt" "$obj" "$3" > "$out/build-$2.log" 2>&1
}

# Symbols vmlinux.o uses and does not define: the linker script and the
# final link provide those of the base kernel.
undefined() { s390x-linux-gnu-nm -u "$obj/vmlinux.o" | awk '{ print $NF }' | sort -u; }

start=$(date +%s)
if build_at base base base; then
	cp "$obj/arch/s390/boot/bzImage" "$out/bzImage-base"
	undefined > "$out/undefined-base.txt"
	echo "PASS base kernel builds ($(( $(date +%s) - start )) s)"
	"$top/tools/sparse.sh" --record "$wt" "$obj" "$linux" > "$out/sparse-base.txt"
else
	echo "FAIL base kernel builds (see ${out#$top/}/build-base.log)"
	exit 1
fi
for i in "${!commits[@]}"; do
	num=$(printf '%04d' $((i + 1)))
	subject=$(git -C "$linux" log -1 --format=%s "${commits[$i]}")
	flavour=base
	[ $((i + 1)) -lt "$n" ] || flavour=series
	t=$(date +%s)
	# A patch in the middle of the series: no build if it changes only
	# selftests, Documentation or MAINTAINERS (no Kconfig), the config kept unless it
	# changes a Kconfig file, vmlinux alone unless it changes a header,
	# the boot code or the build scripts (arch/s390/boot compiles C that
	# includes kernel headers), the exported headers only if it changes
	# a UAPI header.
	changed=$(git -C "$linux" diff-tree --no-commit-id --name-only -r "${commits[$i]}")
	how=()
	if [ "$flavour" = base ]; then
		if ! echo "$changed" | grep -qvE '^(tools/testing/|Documentation/|MAINTAINERS$)' &&
		   ! echo "$changed" | grep -qi 'kconfig'; then
			echo "PASS patch $num needs no kernel build (selftests, Documentation, MAINTAINERS only): $subject"
			continue
		fi
		echo "$changed" | grep -qi 'kconfig' || how+=(KERNEL_KEEP_CONFIG=1)
		echo "$changed" | grep -qE '\.h$|^arch/s390/boot/|^scripts/|Makefile|Kbuild' ||
			how+=(KERNEL_TARGET=vmlinux.o)
		echo "$changed" | grep -q '^include/uapi/' && how+=(KERNEL_HEADERS=1)
	fi
	if build_at "${commits[$i]}" "$num" "$flavour" "${how[@]+"${how[@]}"}"; then
		what=
		if [[ " ${how[*]+"${how[*]}"} " == *" KERNEL_TARGET=vmlinux.o "* ]]; then
			what="vmlinux.o, "
			new=$(undefined | comm -13 "$out/undefined-base.txt" -)
			if [ -n "$new" ]; then
				echo "FAIL patch $num links: undefined in vmlinux.o: $(echo $new): $subject"
				status=1
				continue
			fi
		fi
		echo "PASS patch $num builds (${what}$(( $(date +%s) - t )) s): $subject"
	else
		echo "FAIL patch $num builds: $subject (see ${out#$top/}/build-$num.log)"
		status=1
	fi
done
if [ $status = 0 ]; then
	cp "$obj/arch/s390/boot/bzImage" "$out/bzImage-series"
fi
[ "$n" -gt 0 ] || cp "$out/bzImage-base" "$out/bzImage-series"
echo "walk: base and $n patches built in $(( $(date +%s) - start )) s" >&2
exit $status
