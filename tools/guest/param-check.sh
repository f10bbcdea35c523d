#!/bin/sh
# POST_CHECK of the series' test guests: iova_kunit's scaling_max_shift
# refuses malformed values written to sysfs with EINVAL and keeps its value
# (the suite ran at boot or load; the value counts only for a later run).
# TAP on stdout.
. /bench/tap.sh
echo "TAP version 13"

param=/sys/module/iova_kunit/parameters/scaling_max_shift
shows() { [ "$(cat $param 2>/dev/null)" = "$1" ]; }
# The write must fail with the error named (busybox prints strerror) and
# leave the value as it was.
refuses() {	# value error
	before=$(cat $param) || return 1
	err=$( (echo "$1" > $param) 2>&1) && return 1
	echo "# $1: $err"
	case $err in *"$2"*) shows "$before" ;; *) return 1 ;; esac
}
takes() { echo "$1" > $param && shows "$1"; }

check iova_kunit_scaling_max_shift_is_20 shows 20
for v in 17 19 25 26 abc -1 ""; do
	check "iova_kunit_refuses_scaling_max_shift_${v:-empty}_with_EINVAL" \
		refuses "$v" "Invalid argument"
done
check iova_kunit_refuses_scaling_max_shift_4294967314_with_ERANGE \
	refuses 4294967314 "out of range"
check iova_kunit_takes_scaling_max_shift_22 takes 22
check iova_kunit_takes_scaling_max_shift_20_back takes 20
echo "1..$n"
exit $fails
