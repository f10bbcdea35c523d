#!/bin/sh
# POST_CHECK of the modular guest: the KUnit modules' parameters refuse
# malformed values.  iova_kunit ran its suite as it loaded, with the
# default scaling_max_shift; loaded again with a value out of range, odd
# (the case steps by two) or not a number, it must fail with the kernel's
# own message for a refused parameter and leave nothing loaded.  The bench
# is the positive case: it boots with 24 and needs the 64 GiB row
# (tools/bench/scaling.py).  TAP on stdout.
. /bench/tap.sh
echo "TAP version 13"

param=/sys/module/iova_kunit/parameters/scaling_max_shift
shows_default() { [ "$(cat $param 2>/dev/null)" = 20 ]; }
refuses() {	# value
	! modprobe iova_kunit "scaling_max_shift=$1" 2>/dev/null &&
	! grep -q '^iova_kunit ' /proc/modules &&
	dmesg | grep -qF "\`$1' invalid for parameter \`scaling_max_shift'"
}

check iova_kunit_loaded_with_scaling_max_shift_20 shows_default
check iova_kunit_unloads rmmod iova_kunit
for v in 17 19 25 4294967314 abc -1; do
	check "iova_kunit_refuses_scaling_max_shift_$v" refuses "$v"
done
echo "1..$n"
exit $fails
