#!/bin/bash
# Keep a git worktree of the pristine base (tag "base" of build/linux) for
# building the unpatched kernel out of tree.
#   tools/base-tree.sh LINUX LINUX_BASE
set -euo pipefail
linux=$(realpath "$1")
wt=$(realpath -m "$2")
want=$(git -C "$linux" rev-parse base)
if [ -d "$wt/.git" ] || [ -f "$wt/.git" ]; then
	[ "$(git -C "$wt" rev-parse HEAD)" = "$want" ] && exit 0
	git -C "$wt" checkout -q --detach "$want"
else
	git -C "$linux" worktree prune
	git -C "$linux" worktree add -q --detach "$wt" "$want"
fi
