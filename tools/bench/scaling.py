#!/usr/bin/env python3
"""The lazy allocator at scale, from the KUnit scaling case's report lines.

  scaling.py CONSOLE_LOG OUT_DIR

Reads the lines "report: scaling: aperture N pages: ..." that
iova_lazy_flush.bookkeeping_stays_two_bits_per_page prints, writes
OUT_DIR/scaling.txt (the table) and OUT_DIR/scaling.png (reclaim time
against the aperture, when gnuplot is there), and prints the table.

Both schemes keep two bitmaps; the base's bitmap scheme (pci_dma.c)
clears the freed pages of the whole aperture when it reclaims (its words
column: the words it touches with the lock held), the lazy mode only
moves a sweep point and catches up 4096 pages at a time later.
"""
import os
import re
import subprocess
import sys

LINE = re.compile(
    r'report: scaling: aperture (\d+) pages: lazy (\d+) bytes, ([\d.]+) bits per page, '
    r'(\d+) allocations per flush, mean allocation (\d+) ns, slowest reclaim (\d+) ns'
    r'; bitmap scheme (\d+) bytes, reclaim (\d+) ns \((\d+) words\)')


def main():
    log, out = sys.argv[1], sys.argv[2]
    rows = {}
    with open(log, errors='replace') as f:
        for line in f:
            m = LINE.search(line)
            if m:
                rows[int(m.group(1))] = [int(g) if '.' not in g else float(g)
                                         for g in m.groups()]
    if not rows:
        print('scaling: no report lines in %s' % log)
        return 1
    head = ('%10s %5s | %8s %8s | %9s | %12s | %12s %10s' %
            ('pages', 'GiB', 'lazy b/p', 'bmap b/p', 'allocs/fl',
             'lazy recl ns', 'bmap recl ns', 'bmap words'))
    lines = [head, '-' * len(head)]
    for pages in sorted(rows):
        (_, lbytes, _, allocs, _, lrecl, bbytes, brecl, bwords) = rows[pages]
        lines.append('%10d %5d | %8.3f %8.3f | %9d | %12d | %12d %10d' %
                     (pages, pages * 4096 >> 30, lbytes * 8 / pages,
                      bbytes * 8 / pages, allocs, lrecl, brecl, bwords))
    os.makedirs(out, exist_ok=True)
    table = '\n'.join(lines) + '\n'
    with open(os.path.join(out, 'scaling.txt'), 'w') as f:
        f.write(table)
    print(table, end='')
    data = os.path.join(out, 'scaling.dat')
    with open(data, 'w') as f:
        for pages in sorted(rows):
            r = rows[pages]
            f.write('%d %d %d\n' % (pages, r[5], r[7]))
    script = '''set terminal png size 800,500
set output "%s"
set logscale xy
set xlabel "aperture (4 KiB pages)"
set ylabel "longest reclaim with the lock held (ns, QEMU TCG)"
set key left top
plot "%s" using 1:2 with linespoints title "lazy bitmaps (series)", \\
     "%s" using 1:3 with linespoints title "bitmap scheme (pci_dma.c)"
''' % (os.path.join(out, 'scaling.png'), data, data)
    try:
        subprocess.run(['gnuplot'], input=script, text=True, check=True)
        print('scaling: plot in %s' % os.path.join(out, 'scaling.png'))
    except (OSError, subprocess.CalledProcessError):
        print('scaling: no gnuplot, no plot')
    return 0


if __name__ == '__main__':
    sys.exit(main())
