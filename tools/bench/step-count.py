# Run by gdb-multiarch (tools/bench/step-count.sh): attach to QEMU's gdb
# stub, single-step NCALLS calls of each function of FUNCS from entry to
# return, and write the instructions per call and per executed function
# (by symbol of each PC) as JSON to OUT, with the PCs of the last call.
# QEMU's single-step masks interrupts and timers, so a call's count is that
# call's own.
import bisect
import collections
import json
import os
import subprocess

import gdb

vmlinux = os.environ["VMLINUX"]
funcs = os.environ.get("FUNCS", "dma_map_page_attrs dma_unmap_page_attrs").split()
ncalls = int(os.environ.get("NCALLS", "10"))

syms = []
nm = subprocess.run(["nm", "-n", vmlinux], capture_output=True, text=True, check=True)
for line in nm.stdout.splitlines():
    p = line.split()
    if len(p) == 3 and p[1] in "tTwW":
        syms.append((int(p[0], 16), p[2]))
addrs = [a for a, _ in syms]


def sym(pc):
    i = bisect.bisect_right(addrs, pc) - 1
    return syms[i][1] if i >= 0 else "?"


def reg(name):
    return int(gdb.parse_and_eval("$" + name)) & 0xFFFFFFFFFFFFFFFF


gdb.execute("set pagination off")
gdb.execute("target remote :" + os.environ.get("GDB_PORT", "1234"))
result = {}
for func in funcs:
    totals, per, trace = [], collections.Counter(), []
    for _ in range(ncalls):
        # At the entry itself: r14 still holds the return address.
        gdb.execute("break *" + func, to_string=True)
        gdb.execute("continue", to_string=True)
        gdb.execute("delete", to_string=True)
        ret, sp, count = reg("r14"), reg("r15"), 0
        trace = []
        while not (reg("pc") == ret and reg("r15") == sp):
            trace.append(reg("pc"))
            per[sym(reg("pc"))] += 1
            count += 1
            gdb.execute("stepi", to_string=True)
        totals.append(count)
    result[func] = {"calls": totals,
                    "per_call": {k: v / ncalls for k, v in per.items()},
                    "last_call": ["%x" % pc for pc in trace]}
with open(os.environ["OUT"], "w") as f:
    json.dump(result, f, indent=1)
gdb.execute("detach")
