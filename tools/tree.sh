#!/bin/bash
# Build the kernel work tree: build/linux is a git repository with one commit
# holding Debian's pristine linux-source-6.1 (tagged "base") and the series
# from patches/ applied on top with git am.
#
# The tree is rebuilt when patches/ or the Debian base changed; it refuses to
# throw away commits that were not exported back to patches/ (FORCE=1 does).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
linux=${LINUX:-$top/build/linux}
tarball=${BASE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
patches=$top/patches

base_version=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || echo unknown)
[ -f "$tarball" ] || { echo "tree: $tarball missing (apt-get install linux-source-6.1)" >&2; exit 1; }

series_files() {
	[ -f "$patches/series" ] || return 0
	grep -v -e '^#' -e '^$' "$patches/series"
}

stamp() {
	{
		echo "base $base_version"
		series_files | while read -r p; do echo "$p $(sha256sum < "$patches/$p")"; done
	} | sha256sum | cut -d' ' -f1
}

if [ "${1:-}" = --stamp ]; then
	stamp
	exit 0
fi

meta() { git -C "$linux" config --get "bench.$1" || true; }
set_meta() { git -C "$linux" config "bench.$1" "$2"; }

create_base() {
	echo "tree: extracting $(basename "$tarball") ($base_version) into $linux"
	rm -rf "$linux"
	mkdir -p "$linux"
	tar -xf "$tarball" -C "$linux" --strip-components=1
	git -C "$linux" init -q -b work
	git -C "$linux" config core.looseCompression 1
	git -C "$linux" config pack.compression 1
	git -C "$linux" config gc.auto 0
	git -C "$linux" add -A -f
	# Fixed identity and dates: the base commit is the same on every machine
	# that has the same Debian package.
	GIT_AUTHOR_NAME="Debian linux-source-6.1" GIT_AUTHOR_EMAIL="debian-kernel@lists.debian.org" \
	GIT_COMMITTER_NAME="Debian linux-source-6.1" GIT_COMMITTER_EMAIL="debian-kernel@lists.debian.org" \
	GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
		git -C "$linux" commit -q -m "Debian linux-source-6.1 $base_version"
	git -C "$linux" tag -f base >/dev/null
	set_meta base-version "$base_version"
}

apply_series() {
	git -C "$linux" reset -q --hard base
	local n=0 p msg
	for p in $(series_files); do
		if ! msg=$(git -C "$linux" am -q --keep-cr "$patches/$p" 2>&1); then
			# git's own words: a conflict, a lock held by another git,
			# a malformed patch are not the same problem.
			echo "tree: git am patches/$p failed on linux-source-6.1 $base_version:" >&2
			echo "$msg" | sed 's/^/    /' >&2
			if [ -d "$linux/.git/rebase-apply" ]; then
				echo "tree: resolve it in $linux (git am --continue), then run 'make export'" >&2
			fi
			set_meta head unexported
			set_meta stamp ""
			exit 1
		fi
		n=$((n + 1))
	done
	echo "tree: applied $n patches on linux-source-6.1 $base_version"
}

if [ -d "$linux/.git" ]; then
	if [ -d "$linux/.git/rebase-apply" ]; then
		echo "tree: a git am is in progress in $linux; finish or abort it first" >&2
		exit 1
	fi
	if [ "$(meta stamp)" = "$(stamp)" ]; then
		# patches/ did not change since the tree was last in step with
		# it: the tree is the newer one, edits and all.
		if [ "$(meta head)" != "$(git -C "$linux" rev-parse HEAD)" ]; then
			echo "tree: $linux has commits not exported yet (make export)" >&2
		fi
		exit 0
	fi
	# patches/ changed (a pull, a checkout): rebuild the tree from it,
	# but never over work that was not exported.
	if [ -z "${FORCE:-}" ]; then
		if [ -n "$(git -C "$linux" status --porcelain --untracked-files=no)" ]; then
			echo "tree: patches/ changed and $linux has uncommitted changes; commit and export them, or FORCE=1" >&2
			exit 1
		fi
		if [ -n "$(meta head)" ] && [ "$(meta head)" != "$(git -C "$linux" rev-parse HEAD)" ]; then
			echo "tree: patches/ changed and $linux has commits not exported; export them, or FORCE=1" >&2
			exit 1
		fi
	fi
	if [ "$(meta base-version)" != "$base_version" ]; then
		create_base
	fi
else
	create_base
fi

apply_series
set_meta stamp "$(stamp)"
set_meta head "$(git -C "$linux" rev-parse HEAD)"
