# Sourced by the guest's check scripts: TAP results and IOMMU group types.
n=0
fails=0

check() {	# name, then a command that must succeed
	name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		fails=$((fails + 1))
	fi
}

group_type() { cat "$1/iommu_group/type" 2>/dev/null; }
