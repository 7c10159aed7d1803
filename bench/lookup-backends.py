#!/usr/bin/python3
"""bench/lookup-backends.py - bench/lookup.sh on SQLite and on PostgreSQL
in one run, side by side.

Starts a private PostgreSQL 15 (tests/postgres/pgserver.py: initdb and
pg_ctl in a temporary directory under the current one, unix socket only,
fsync off, run as nobody), runs lookup.sh once on a SQLite file and once
on a fresh PostgreSQL database (same rows, same keys, same loads), and
prints both tables and the PostgreSQL/SQLite latency ratios.

usage: lookup-backends.py FACTEUR_LOOKUP MKDB LOOKUP_LOAD LOOKUP_CEILING
Measure with a release build without sanitizers (see lookup.sh).
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "postgres"))
from pgserver import PG  # noqa: E402


def run(env_extra):
    env = dict(os.environ, **env_extra)
    p = subprocess.run([os.path.join(HERE, "lookup.sh")] + sys.argv[1:5],
                       env=env, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        raise RuntimeError("lookup.sh: " + p.stdout + p.stderr)
    return p.stdout


def rows(table):
    out = {}
    for line in table.splitlines():
        m = re.match(r"socketmap, (\d+) conn\s+(\d+)\s+([\d.]+)\s+([\d.]+)",
                     line)
        if m:
            out[int(m.group(1))] = tuple(float(x) for x in m.group(2, 3, 4))
    return out


def main():
    if PG.missing():
        print("SKIP: missing peer: " + PG.missing())
        return 77
    lite = run({})
    with PG(int(os.environ.get("PG_PORT", "54340"))) as pg:
        pgout = run({"DB_URL": pg.createdb("bench")})
    print("== SQLite\n" + lite + "\n== PostgreSQL 15 (unix socket)\n" +
          pgout)
    a, b = rows(lite), rows(pgout)
    print("%-12s %12s %12s %12s" % ("connections", "qps PG/SQL",
                                    "p50 PG/SQL", "p99 PG/SQL"))
    for c in sorted(set(a) & set(b)):
        print("%-12d %12.2f %12.2f %12.2f" % (
            c, b[c][0] / a[c][0], b[c][1] / a[c][1], b[c][2] / a[c][2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
