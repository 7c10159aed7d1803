#!/usr/bin/python3
"""tests/include-cycles.py - fails on a new two-file cycle (issue 13 item 7).

A module is a file's path without its extension: lib/dns.c and lib/dns.h
are the module lib/dns; a private header X_int.h belongs to module X.
Unit tests (X_test.c), tests/ and bench/ are not modules: a test may
include and define what the code under test uses. Two modules form a two-file cycle when each
uses the other, by either measure:

  - include: a file of A includes B's header and a file of B includes
    A's header (read from the sources);
  - symbol: A's object calls or reads a symbol B's object defines, and
    B's one of A's (read from the objects the build made, through its
    compile_commands.json: this sees two files that share one header,
    as lookup's lk_conn.c and lk_server.c did, or call each other
    through a third, as lib/milter/daemon.c and native_serve.c did).

Each pair should be one module, or a one-way split where the lower part
knows nothing of the upper. tests/include-cycles.known lists the pairs
not untangled yet (one "A B" per line, with why); any other pair fails
the test, so a cycle once removed cannot come back. A listed pair that is
no longer a cycle is reported, to be deleted from the list.

Usage: include-cycles.py SOURCE_ROOT [BUILD_ROOT]
Without BUILD_ROOT only the include measure runs."""
import json
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module(path):
    stem = os.path.splitext(path)[0]
    return stem[:-4] if stem.endswith('_int') else stem


def is_program(rel):
    """A file of the program, not a test, fuzz target or bench."""
    return not (rel.startswith(('..', 'tests/', 'bench/')) or
                rel.endswith('_test.c'))


def tree_files(root):
    out = subprocess.run(['git', '-C', root, 'ls-files', '*.c', '*.h'],
                         capture_output=True, text=True)
    if out.returncode == 0 and out.stdout.strip():
        files = out.stdout.split()
    else:
        files = []  # not a git checkout (a tarball): walk it
        for d, dirs, names in os.walk(root):
            dirs[:] = [x for x in dirs if not x.startswith(('.', 'build'))
                       and x != 'subprojects']
            files += [os.path.relpath(os.path.join(d, n), root)
                      for n in names if n.endswith(('.c', '.h'))]
    return [f for f in files if os.path.exists(os.path.join(root, f))]


def include_uses(root, files):
    headers = {os.path.basename(f): f for f in files if f.endswith('.h')}
    known = set(files)
    uses = {}
    for f in filter(is_program, files):
        with open(os.path.join(root, f), encoding='utf-8',
                  errors='replace') as fh:
            text = fh.read()
        for inc in INCLUDE.findall(text):
            local = os.path.normpath(os.path.join(os.path.dirname(f), inc))
            h = local if local in known else headers.get(
                os.path.basename(inc))
            if h is None:
                continue  # generated (facteur_build.h) or not ours
            a, b = module(f), module(h)
            if a != b:
                uses.setdefault(a, {}).setdefault(b, '%s includes %s' % (
                    f, os.path.basename(h)))
    return uses


def symbol_uses(root, build):
    """Module -> {module: why} from the build's objects (nm)."""
    cc = os.path.join(build, 'compile_commands.json')
    if not os.path.exists(cc):
        return None
    root = os.path.realpath(root)
    defs, undefs = {}, {}
    seen = set()
    for e in json.load(open(cc)):
        src = os.path.realpath(os.path.join(e['directory'], e['file']))
        rel = os.path.relpath(src, root)
        obj = os.path.join(e['directory'], e['output'])
        if not is_program(rel) or not os.path.exists(obj) or rel in seen:
            continue
        seen.add(rel)
        mod = module(rel)
        out = subprocess.run(['nm', '-P', obj], capture_output=True,
                             text=True).stdout
        for line in out.splitlines():
            p = line.split()
            if len(p) < 2:
                continue
            if p[1] == 'U':
                undefs.setdefault(mod, set()).add(p[0])
            elif p[1] in 'TDBRVWCG':
                defs.setdefault(p[0], set()).add(mod)
    uses = {}
    for mod, names in undefs.items():
        for n in sorted(names):
            for d in defs.get(n, ()):
                if d != mod:
                    uses.setdefault(mod, {}).setdefault(d, 'uses ' + n)
    return uses


def cycles(uses):
    out = {}
    for a, deps in uses.items():
        for b, why in deps.items():
            if a < b and a in uses.get(b, {}):
                out[(a, b)] = '%s %s; %s %s' % (a, why, b, uses[b][a])
    return out


def read_known(path):
    known = set()
    if os.path.exists(path):
        for line in open(path):
            line = line.split('#', 1)[0].split()
            if len(line) >= 2:
                known.add(tuple(sorted(line[:2])))
    return known


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else '.'
    build = sys.argv[2] if len(sys.argv) > 2 else None
    known = read_known(os.path.join(os.path.dirname(os.path.abspath(
        __file__)), 'include-cycles.known'))
    files = tree_files(root)
    found = {}
    for what, uses in (('include', include_uses(root, files)),
                       ('symbol', symbol_uses(root, build) if build
                        else None)):
        if uses is None:
            print('note: no %s/compile_commands.json: symbol measure '
                  'skipped' % build)
            continue
        for pair, why in cycles(uses).items():
            found.setdefault(pair, []).append('%s: %s' % (what, why))
    new = sorted(p for p in found if p not in known)
    for a, b in new:
        print('two-file cycle: %s <-> %s' % (a, b))
        for why in found[(a, b)]:
            print('    ' + why)
    for a, b in sorted(known - set(found)):
        print('note: %s <-> %s is no longer a cycle: delete its line in '
              'tests/include-cycles.known' % (a, b))
    print('%d file(s), %d known cycle(s) left, %d new' % (
        len(files), len(known & set(found)), len(new)))
    if new:
        print('make each new pair one module or a one-way split (the '
              'lower part knows nothing of the upper)')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
