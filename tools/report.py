#!/usr/bin/env python3
"""Print what a boot of the patched kernel showed: the series, the test
results by area, and the facts the tests measured.

Tests state measured facts with TH_LOG("report: ...") in the selftests or
kunit_info(test, "report: ...") in KUnit; those lines are collected here.
"""
import argparse
import collections
import json
import re
import subprocess


def git(linux, *args):
    return subprocess.run(['git', '-C', linux] + list(args), check=True,
                          capture_output=True, text=True).stdout.strip()


def area_of(name):
    if name.startswith('kunit:'):
        return 'KUnit ' + name[len('kunit:'):].split('.')[0]
    if name.startswith('dma_'):
        return 'DMA mode ' + name.split(':')[0][len('dma_'):] + ', root on virtio-blk'
    return name.split(':')[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--console', required=True, action='append')
    ap.add_argument('--results', required=True, action='append')
    ap.add_argument('--linux', required=True)
    ap.add_argument('--build-seconds', type=int)
    ap.add_argument('--boot-seconds', type=int)
    ap.add_argument('--total-seconds', type=int)
    args = ap.parse_args()

    res = {'results': {}, 'checks': [], 'passed': 0, 'failed': 0}
    for path in args.results:
        with open(path) as f:
            part = json.load(f)
        res['results'].update(part['results'])
        res['checks'] += part['checks']
        res['passed'] += part['passed']
        res['failed'] += part['failed']
    console = []
    for path in args.console:
        with open(path, errors='replace') as f:
            console += f.read().splitlines()

    base = git(args.linux, 'log', '-1', '--format=%s', 'base')
    subjects = git(args.linux, 'log', '--reverse', '--format=%s', 'base..HEAD').splitlines()
    print('\n== series: %d patches on %s' % (len(subjects), base))
    for i, s in enumerate(subjects, 1):
        print('  %2d %s' % (i, s))

    uname = next((l for l in console if l.startswith('Linux version')), '')
    print('\n== patched kernel: %s' % ' '.join(uname.split()[:3]))
    if args.build_seconds is not None:
        print('  build %d s, four boots with their tests %d s, main job %d s'
              % (args.build_seconds, args.boot_seconds, args.total_seconds))

    by_area = collections.OrderedDict()
    for name in sorted(res['results']):
        if name.startswith('kselftest:'):
            continue
        ok = res['results'][name] == 'pass'
        passed, total = by_area.get(area_of(name), (0, 0))
        by_area[area_of(name)] = (passed + ok, total + 1)
    print('\n== tests on the patched kernel')
    for area, (passed, total) in by_area.items():
        print('  %-40s %3d/%d passed' % (area, passed, total))
    for c in res['checks']:
        if not c['ok']:
            print('  FAIL %s' % c['check'])
    print('  %d passed, %d failed' % (res['passed'], res['failed']))

    facts = []
    for line in console:
        m = re.search(r'report: (.*)$', line)
        if m and m.group(1) not in facts:
            facts.append(m.group(1))
    if facts:
        print('\n== what the series shows')
        for fact in facts:
            print('  ' + fact)


if __name__ == '__main__':
    main()
