#!/usr/bin/env python3
"""Turn a guest console log into test results and a verdict.

The console holds the kernel log of the boot (where the built-in KUnit
suites print KTAP), then the kselftest runner's TAP between the markers
BENCH-BEGIN/END kselftest, then the whole kernel log again between
BENCH-BEGIN/END dmesg.

  verdict.py LOG --kernel series|base [--expect FILE] [--json OUT]

--kernel series: every test must pass, every plan must be complete, and the
  log must hold no Oops/WARN/BUG/KASAN/lockdep report.
--kernel base: the unpatched kernel booted with the same tests.  Every test
  the expectation file calls a "feature" must fail (or be absent), every
  "guard" must pass, every "unit-guard" (a KUnit case the series adds) must
  be absent, and the log must be as clean as above.

Each check prints one line, PASS or FAIL; the last line is
"N passed, M failed".  The exit status is 0 when nothing failed.
"""
import argparse
import json
import re
import sys

TAP_LINE = re.compile(r'^(?P<indent>\s*)(?P<ok>not ok|ok) (?P<num>\d+)(?: -)?\s*'
                      r'(?P<name>[^#]*?)\s*(?:#\s*(?P<directive>.*))?$')
PLAN = re.compile(r'^\s*1\.\.(\d+)\s*$')
SUBTEST = re.compile(r'^(\s*)# Subtest: (\S+)')
SELFTEST_HEADER = re.compile(r'^# selftests: (\S+): (\S+)$')
HARNESS_RUN = re.compile(r'^#\s+RUN\s+(\S+) \.\.\.$')

# Reports that mean the kernel is broken, whatever the tests said.
CRASH = re.compile(
    r'(Oops[:\[]|Kernel panic|Unable to handle kernel|kernel BUG at|'
    r'^\s*BUG: |WARNING: |------------\[ cut here \]|KASAN: |UBSAN: |'
    r'possible recursive locking|circular locking dependency|'
    r'inconsistent lock state|lock held when returning|'
    r'detected stalls on CPUs|self-detected stall on CPU|INFO: task .* blocked|'
    r'DEBUG_LOCKS_WARN_ON|suspicious RCU usage|'
    r'trying to register non-static key|'
    r'turning off the locking correctness validator)')


def section(lines, name):
    """Lines between BENCH-BEGIN name and BENCH-END name, and the END line."""
    out, inside, end = [], False, None
    for line in lines:
        if line.startswith('BENCH-BEGIN ' + name):
            inside = True
            continue
        if inside and line.startswith('BENCH-END ' + name):
            end = line
            break
        if inside:
            out.append(line)
    return out, end


def parse_kunit(boot_lines, modules=False):
    """KTAP of the built-in suites: {kunit:suite.test: status}, plan problems.

    Suites are subtests of the top level; their cases are indented once.
    Cases of a parameterised test are indented twice and only counted
    through the case that holds them.  With modules, the suites ran as
    their modules loaded: there is no top-level plan, every suite that
    started must have finished.
    """
    results, problems = {}, []
    suite, suites_done, top_plan, in_ktap = None, 0, None, modules
    suites_started = 0
    for line in boot_lines:
        if line.startswith('KTAP version') or line.startswith('TAP version'):
            in_ktap = True
            continue
        if not in_ktap:
            continue
        m = SUBTEST.match(line)
        if m and len(m.group(1)) <= 4:
            suite = m.group(2)
            suites_started += 1
            continue
        m = PLAN.match(line)
        if m and not line.startswith(' ') and top_plan is None:
            top_plan = int(m.group(1))
            continue
        m = TAP_LINE.match(line)
        if not m:
            continue
        depth = len(m.group('indent'))
        if depth == 0:
            suites_done += 1
        elif depth == 4 and suite:
            results['kunit:%s.%s' % (suite, m.group('name'))] = tap_status(m)
    if modules:
        if not suites_started:
            problems.append('no KUnit suite ran as its module loaded')
        elif suites_done != suites_started:
            problems.append('%d KUnit suites started but %d finished'
                            % (suites_started, suites_done))
    elif top_plan is None:
        problems.append('no KUnit plan (KTAP "1..N") in the boot log')
    elif suites_done != top_plan:
        problems.append('KUnit plan 1..%d but %d suites reported' % (top_plan, suites_done))
    return results, problems


def tap_status(m):
    directive = (m.group('directive') or '').strip().upper()
    if m.group('ok') == 'not ok':
        return 'fail'
    if directive.startswith('SKIP'):
        return 'skip'
    return 'pass'


def parse_kselftest(lines, end):
    """The runner's TAP with each binary's harness TAP nested in "# " lines."""
    results, problems = {}, []
    if end is None:
        return results, ['kselftest run did not finish (no BENCH-END kselftest)']
    plan = None
    binaries = 0
    current, running = None, None
    inner_plan, inner_seen = None, 0

    def close_binary():
        if current and inner_plan is not None and inner_seen != inner_plan:
            problems.append('%s: plan 1..%d but %d results' % (current, inner_plan, inner_seen))
        if current and inner_plan is None:
            problems.append('%s: no TAP plan' % current)

    for line in lines:
        m = SELFTEST_HEADER.match(line)
        if m:
            close_binary()
            current, inner_plan, inner_seen = m.group(2), None, 0
            continue
        if line.startswith('# '):
            inner = line[2:]
            pm = PLAN.match(inner)
            if pm and current and inner_plan is None:
                inner_plan = int(pm.group(1))
                continue
            m = HARNESS_RUN.match(inner)
            if m:
                running = m.group(1)
                continue
            m = TAP_LINE.match(inner)
            if m and current and not m.group('indent'):
                # 6.1's harness prints a skipped test as "ok N # SKIP why"
                name = m.group('name') or running or 'test %s' % m.group('num')
                results['%s:%s' % (current, name)] = tap_status(m)
                inner_seen += 1
                running = None
            continue
        pm = PLAN.match(line)
        if pm and plan is None:
            plan = int(pm.group(1))
            continue
        m = TAP_LINE.match(line)
        if m and not m.group('indent'):
            binaries += 1
            name = m.group('name').replace('selftests: ', '').split(': ')[-1]
            results['kselftest:%s' % name] = tap_status(m)
    close_binary()
    if plan is None:
        problems.append('no kselftest TAP plan')
    elif plan != binaries:
        problems.append('kselftest plan 1..%d but %d results' % (plan, binaries))
    return results, problems


def parse_tap_sections(lines):
    """Plain TAP between BENCH-BEGIN tap NAME and BENCH-END tap NAME."""
    results, problems, current, plan, seen = {}, [], None, None, 0
    for line in lines:
        if line.startswith('BENCH-BEGIN tap '):
            current, plan, seen = line.split()[2], None, 0
            continue
        if line.startswith('BENCH-END tap ') and current:
            if plan is None or plan != seen:
                problems.append('%s: plan %s but %d results' % (current, plan, seen))
            current = None
            continue
        if not current:
            continue
        m = PLAN.match(line)
        if m:
            plan = int(m.group(1))
            continue
        m = TAP_LINE.match(line)
        if m and not m.group('indent'):
            results['%s:%s' % (current, m.group('name'))] = tap_status(m)
            seen += 1
    if current:
        problems.append('%s: TAP section did not finish' % current)
    return results, problems


SELFTEST_END = re.compile(r'^(not )?ok \d+ selftests: ')


def crashes(lines):
    """Kernel reports, each with the selftest program running then."""
    seen, out, program = set(), [], None
    for line in lines:
        if line.startswith('BENCH-'):
            continue
        m = SELFTEST_HEADER.match(line)
        if m:
            program = m.group(2)
        elif SELFTEST_END.match(line):
            program = None
        if CRASH.search(line) and line not in seen:
            seen.add(line)
            out.append((program, line.strip()))
    return out


ARCHES = ('s390', 'x86_64')


def load_expectations(path):
    """{name: kind} and {name: architecture} of the names bound to one."""
    kinds, arches = {}, {}
    if not path:
        return kinds, arches
    with open(path) as f:
        for raw in f:
            line = raw.split('#', 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            if len(fields) not in (2, 3):
                raise SystemExit('%s: bad line %r' % (path, line))
            name, kind = fields[:2]
            if kind not in ('feature', 'guard', 'unit-guard', 'series-only'):
                raise SystemExit('%s: bad kind %r for %s' % (path, kind, name))
            kinds[name] = kind
            if len(fields) == 3:
                if fields[2] not in ARCHES:
                    raise SystemExit('%s: bad architecture %r for %s' % (path, fields[2], name))
                arches[name] = fields[2]
    return kinds, arches


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('log')
    ap.add_argument('--kernel', choices=('series', 'base'), default='series')
    ap.add_argument('--expect')
    ap.add_argument('--json')
    ap.add_argument('--quiet', action='store_true', help='print failures only')
    ap.add_argument('--require', default='kunit,kselftest',
                    help='sections the log must hold: kunit, kselftest, tap')
    ap.add_argument('--only', default='',
                    help='check only the expectations whose name starts so')
    ap.add_argument('--exclude', action='append', default=[],
                    help='leave out the expectations whose name starts so '
                    '(may be given more than once)')
    ap.add_argument('--arch', choices=ARCHES, default='s390',
                    help='the guest\'s architecture: tests bound to another '
                    'one must skip or be absent')
    ap.add_argument('--kunit-modules', action='store_true',
                    help='the KUnit suites are modules: read them from the '
                    'kernel log the guest printed at the end')
    args = ap.parse_args()

    with open(args.log, errors='replace') as f:
        lines = [l.rstrip('\r\n') for l in f]

    boot = []
    for line in lines:
        if line.startswith('BENCH-'):
            break
        boot.append(line)
    required = set(args.require.split(','))
    if args.kunit_modules:
        kunit, kunit_problems = parse_kunit(section(lines, 'dmesg')[0], True)
    else:
        kunit, kunit_problems = parse_kunit(boot)
    ks_lines, ks_end = section(lines, 'kselftest')
    kselftest, ks_problems = parse_kselftest(ks_lines, ks_end)
    tap, tap_problems = parse_tap_sections(lines)
    if 'kunit' not in required:
        kunit, kunit_problems = {}, []
    if 'kselftest' not in required:
        kselftest, ks_problems = {}, []
    if 'tap' in required and not tap:
        tap_problems.append('no TAP section in the log')
    results = dict(kunit)
    results.update(kselftest)
    results.update(tap)
    kinds, arches = load_expectations(args.expect)
    expect = {k: v for k, v in kinds.items()
              if k.startswith(args.only) and
              not any(k.startswith(e) for e in args.exclude) and
              arches.get(k, args.arch) == args.arch}
    foreign = {k for k in kinds if arches.get(k, args.arch) != args.arch}

    checks = []  # (ok, text)
    for problem in kunit_problems + ks_problems + tap_problems:
        checks.append((False, 'plan: ' + problem))
    if not any(l.startswith('BENCH-POWEROFF') for l in lines):
        checks.append((False, 'boot: the guest never reached poweroff'))
    for program, report in crashes(lines):
        # On base, a program whose every test is a feature (or series-only,
        # failing there by chance) may provoke the very reports the series
        # removes.
        tests = [k for k in kinds if k.startswith('%s:' % program)]
        if (args.kernel == 'base' and program and tests and
                all(kinds[k] in ('feature', 'series-only') for k in tests)):
            checks.append((True, 'kernel report on base during %s, none of whose '
                           'tests is a guard: %s' % (program, report)))
        else:
            checks.append((False, 'kernel report: ' + report))

    if args.kernel == 'series':
        for name in sorted(results):
            status = results[name]
            if name.startswith('kselftest:'):
                continue
            if name in foreign:
                checks.append((status == 'skip', '%s %s on %s (%s only)' %
                               (name, status, args.arch, arches[name])))
                continue
            ok = status == 'pass'
            checks.append((ok, '%s %s' % (name, status if not ok else '')))
            if expect and name not in expect:
                checks.append((False, '%s is not classified in %s' % (name, args.expect)))
        for name in sorted(set(expect) - set(results)):
            checks.append((False, '%s did not run' % name))
    else:
        for name in sorted(expect):
            status = results.get(name, 'absent')
            if expect[name] == 'feature':
                ok = status != 'pass'
                checks.append((ok, '%s fails on base (%s)' % (name, status)))
            elif expect[name] == 'unit-guard':
                ok = status == 'absent'
                checks.append((ok, '%s is series-only (%s on base)' % (name, status)))
            elif expect[name] == 'series-only':
                continue    # not judged on base
            else:
                ok = status == 'pass'
                checks.append((ok, '%s passes on base (%s)' % (name, status)))

    passed = sum(1 for ok, _ in checks if ok)
    failed = len(checks) - passed
    for ok, text in checks:
        if not ok or not args.quiet:
            print('%s %s' % ('PASS' if ok else 'FAIL', text.strip()))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'kernel': args.kernel, 'results': results,
                       'checks': [{'ok': ok, 'check': t.strip()} for ok, t in checks],
                       'passed': passed, 'failed': failed}, f, indent=1, sort_keys=True)
    print('%d passed, %d failed' % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
