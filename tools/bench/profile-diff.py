#!/usr/bin/env python3
"""Compare two ftrace function profiles of the same workload, per I/O.

    profile-diff.py BASE SERIES [N]

BASE and SERIES are build/bench/profile-<config>.txt files (the function
profiler's table followed by the workload's BENCH-RESULT line).  Prints the
N functions (default 40) whose calls per I/O differ most, with their
average time per call in guest microseconds (under -icount, instructions
in thousands; inflated by the profiler itself, so compare, do not add).
"""
import re
import sys


def load(path):
    funcs, ios = {}, None
    for line in open(path, errors="replace"):
        m = re.match(r"\s+(\S+)\s+(\d+)\s+([\d.]+) us\s+([\d.]+) us", line)
        if m:
            funcs[m.group(1)] = (int(m.group(2)), float(m.group(4)))
        m = re.search(r"BENCH-RESULT \S+ ios=(\d+)", line)
        if m:
            ios = int(m.group(1))
    if not ios:
        sys.exit(f"{path}: no BENCH-RESULT line with ios=")
    return funcs, ios


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    (base, base_ios), (series, series_ios) = load(sys.argv[1]), load(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    rows = []
    for f in set(base) | set(series):
        b, s = base.get(f, (0, 0.0)), series.get(f, (0, 0.0))
        rows.append((s[0] / series_ios - b[0] / base_ios, f, b, s))
    rows.sort(key=lambda r: -abs(r[0]))
    print(f"{'function':<36} {'calls/I/O':>18} {'us/call':>18}")
    print(f"{'':<36} {'base':>8} {'series':>9} {'base':>8} {'series':>9}")
    for _, f, b, s in rows[:n]:
        print(f"{f:<36} {b[0] / base_ios:8.2f} {s[0] / series_ios:9.2f} "
              f"{b[1]:8.3f} {s[1]:9.3f}")


if __name__ == "__main__":
    main()
