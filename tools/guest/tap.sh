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

# Hand PCI function $1 to the kernel's dma_map_benchmark driver.  That
# driver does not enable the device, and the zPCI function measures only
# while enabled; sysfs enables only unbound devices.
bind_dma_map_benchmark() {
	sys=/sys/bus/pci/devices/$1
	[ -e $sys/driver ] && echo $1 > $sys/driver/unbind
	echo 1 > $sys/enable
	echo dma_map_benchmark > $sys/driver_override
	echo $1 > /sys/bus/pci/drivers_probe
}

# Debug kernels: kmemleak reports objects older than 5 s that nothing
# points to; scan twice so that those freed late are not counted.
kmemleak_check() {
	f=/sys/kernel/debug/kmemleak
	[ -w $f ] || return 0
	echo scan > $f
	sleep 6
	echo scan > $f
	leaks=$(grep -c '^unreferenced object' $f)
	head -60 $f | sed 's/^/# kmemleak: /'
	echo "# report: kmemleak: $leaks unreferenced objects after the tests"
	check "kmemleak_finds_no_unreferenced_objects" test "$leaks" -eq 0
}
