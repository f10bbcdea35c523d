#!/usr/bin/env python3
"""The lazy allocator at scale, from the KUnit scaling case's report lines.

  scaling.py [--icount] CONSOLE_LOG OUT_DIR

Reads the lines "report: scaling: aperture N pages: ..." that
iova_lazy_flush.bookkeeping_stays_two_bits_per_page prints, writes
OUT_DIR/scaling.txt (the table) and OUT_DIR/scaling.png (reclaim time
against the aperture, when gnuplot is there), and prints the table.

Both schemes keep two bitmaps; the base's bitmap scheme (pci_dma.c)
clears the freed pages of the whole aperture when it reclaims (its words
column: the words it touches with the lock held), the lazy mode only
moves a sweep point and catches up 4096 pages at a time later.  Beside
them, a model of one large flush queue (32768 entries, the shape upstream
Linux chose for s390): its IOVA nodes and queue when the queue is full,
the ranges it takes between flushes, and its flush, which frees every
queued range (the real queue does that with interrupts off).

--icount: the boot ran under QEMU's -icount shift=0, where a guest
nanosecond is one guest instruction: times are printed as instructions,
exact but for an interrupt that lands inside one, and the lazy reclaim is
checked to stay flat (the largest aperture's within twice the smallest's).
"""
import os
import re
import subprocess
import sys

LINE = re.compile(
    r'report: scaling: aperture (\d+) pages: lazy (\d+) bytes, ([\d.]+) bits per page, '
    r'(\d+) allocations per flush, mean allocation (\d+) ns, slowest reclaim (\d+) ns'
    r'; bitmap scheme (\d+) bytes, reclaim (\d+) ns \((\d+) words\)'
    r'(?:; flush queue (\d+) bytes, (\d+) allocations per flush, reclaim (\d+) ns)?')


def main():
    args = sys.argv[1:]
    icount = '--icount' in args
    args = [a for a in args if a != '--icount']
    if len(args) != 2:
        sys.exit(__doc__)
    log, out = args
    unit = 'ins' if icount else 'ns'
    rows = {}
    with open(log, errors='replace') as f:
        for line in f:
            m = LINE.search(line)
            if m:
                rows[int(m.group(1))] = [None if g is None else
                                         int(g) if '.' not in g else float(g)
                                         for g in m.groups()]
    if not rows:
        print('scaling: no report lines in %s' % log)
        return 1
    head = ('%10s %5s | %8s %8s %8s | %9s %9s | %13s | %13s %10s | %13s' %
            ('pages', 'GiB', 'lazy b/p', 'bmap b/p', 'fq b/p',
             'allocs/fl', 'fq a/fl', 'lazy recl ' + unit, 'bmap recl ' + unit,
             'bmap words', 'fq recl ' + unit))
    lines = [head, '-' * len(head)]

    def num(v, f):
        return '-' if v is None else f % v
    for pages in sorted(rows):
        (_, lbytes, _, allocs, _, lrecl, bbytes, brecl, bwords,
         fbytes, fallocs, frecl) = rows[pages]
        lines.append('%10d %5d | %8.4f %8.4f %8s | %9d %9s | %13d | %13d %10d | %13s' %
                     (pages, pages * 4096 >> 30, lbytes * 8 / pages,
                      bbytes * 8 / pages,
                      num(None if fbytes is None else fbytes * 8 / pages, '%.3f'),
                      allocs, num(fallocs, '%d'), lrecl, brecl, bwords,
                      num(frecl, '%d')))
    os.makedirs(out, exist_ok=True)
    table = '\n'.join(lines) + '\n'
    with open(os.path.join(out, 'scaling.txt'), 'w') as f:
        f.write(table)
    print(table, end='')
    # Issue 11's goal: the lazy bookkeeping no larger than the bitmap
    # scheme's (its bitmaps and the fields beside them) at every aperture.
    # The bench boots with iova_kunit.scaling_max_shift=24: the 64 GiB row
    # must be there, or the parameter was refused.
    if 1 << 24 not in rows:
        print('scaling: no row at 16777216 pages (64 GiB): was '
              'iova_kunit.scaling_max_shift=24 refused? See %s' % log)
    over = [p for p in sorted(rows) if rows[p][1] > rows[p][6]]
    print('scaling: goal lazy bookkeeping <= bitmap scheme at every aperture: %s' %
          ('met (%s bytes less)' % ', '.join(str(rows[p][6] - rows[p][1]) for p in sorted(rows))
           if not over else 'NOT met at %s pages' % ', '.join(map(str, over))))
    # Issue 11's reclaim flat in the aperture: counted in instructions
    # only; wall-clock times under TCG include the host's translation.
    if icount:
        recl = [rows[p][5] for p in sorted(rows)]
        flat = 1 << 18 in rows and 1 << 24 in rows and recl[-1] <= 2 * recl[0]
        print('scaling: goal lazy reclaim flat from 1 to 64 GiB (largest <= 2 x smallest): '
              '%s (%s instructions; bitmap scheme %s)' %
              ('met' if flat else 'NOT met',
               ', '.join(map(str, recl)),
               ', '.join(str(rows[p][7]) for p in sorted(rows))))
    data = os.path.join(out, 'scaling.dat')
    with open(data, 'w') as f:
        for pages in sorted(rows):
            r = rows[pages]
            f.write('%d %d %d %s\n' % (pages, r[5], r[7],
                                        '?' if r[11] is None else r[11]))
    script = '''set terminal png size 800,500
set output "%s"
set logscale xy
set xlabel "aperture (4 KiB pages)"
set ylabel "longest reclaim, lock held (%s)"
set yrange [*:*]
set offsets 0, 0, graph 0.6, 0
set key left top
set datafile missing "?"
set termoption noenhanced
plot "%s" using 1:2 with linespoints title "lazy bitmaps (series)", \\
     "%s" using 1:3 with linespoints title "bitmap scheme (pci_dma.c)", \\
     "%s" using 1:4 with linespoints title "one 32768-entry flush queue (model)"
''' % (os.path.join(out, 'scaling.png'),
       'guest instructions' if icount else 'ns, QEMU TCG',
       data, data, data)
    try:
        subprocess.run(['gnuplot'], input=script, text=True, check=True)
        print('scaling: plot in %s' % os.path.join(out, 'scaling.png'))
    except (OSError, subprocess.CalledProcessError):
        print('scaling: no gnuplot, no plot')
    return 0


if __name__ == '__main__':
    sys.exit(main())
