#!/usr/bin/python3
"""tests/structure/module_once.py BUILD_DIR SOURCE_ROOT

Each filter module (milters/<m>/module.c) and chain.c is compiled once,
into its own static library, which the standalone daemon, facteur-milter
and 'facteur explain' link (issue 13 item 2): a second compilation is a
copy that can drift from the daemons' flags and includes. Reads the
build's compile_commands.json. Exit 0, or 1 naming each file compiled
more than once (or not at all)."""
import json
import os
import sys


def main():
    build, root = sys.argv[1], os.path.realpath(sys.argv[2])
    with open(os.path.join(build, 'compile_commands.json')) as f:
        cmds = json.load(f)
    count = {}
    for c in cmds:
        path = os.path.realpath(os.path.join(c['directory'], c['file']))
        count[path] = count.get(path, 0) + 1
    mdir = os.path.join(root, 'milters')
    want = [os.path.join(mdir, 'chain', 'chain.c')]
    for m in sorted(os.listdir(mdir)):
        src = os.path.join(mdir, m, 'module.c')
        if os.path.exists(src) and os.path.exists(
                os.path.join(mdir, m, 'meson.build')):
            want.append(src)
    bad = 0
    for src in want:
        n = count.get(src, 0)
        if n != 1:
            rel = os.path.relpath(src, root)
            print('FAIL: %s compiled %d times' % (rel, n), file=sys.stderr)
            bad = 1
    if not bad:
        print('ok: %d module files, each compiled once' % len(want))
    return bad


if __name__ == '__main__':
    sys.exit(main())
