#!/usr/bin/python3
"""bench/lookup-backends.py - bench/lookup.sh on SQLite and on PostgreSQL
in one interleaved run, side by side.

Starts a private PostgreSQL 15 (tests/postgres/pgserver.py: initdb and
pg_ctl in a temporary directory under the current one, unix socket only,
fsync off, run as nobody), then runs lookup.sh ROUNDS times (default 3)
on each backend, alternating SQLite, PostgreSQL, SQLite, ... (same rows,
same keys, same loads; each run a fresh database and daemon), so that
the machine's load falls on both alike. Prints every run's table and, per
connection count, the median queries/s, p50/p99 latency and CPU per query
of facteur-lookup (and of the PostgreSQL server), with the
PostgreSQL/SQLite ratios; issue 14's target is p50 and p99 within 2x at 8
connections.

usage: lookup-backends.py FACTEUR_LOOKUP MKDB LOOKUP_LOAD LOOKUP_CEILING
env: ROUNDS (3), QUERIES, SECS (lookup.sh's), PG_PORT (54340).
Measure with a release build without sanitizers (see lookup.sh).
"""
import os
import re
import statistics
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
    """{conns: (qps, p50, p99, cpu us/q, pg us/q)}"""
    out = {}
    for line in table.splitlines():
        m = re.match(r"socketmap, (\d+) conn\s+(\d+)\s+([\d.]+)\s+([\d.]+)"
                     r"\s+[\d.]+\s+([\d.]+)\s+(\S+)", line)
        if m:
            g = m.groups()
            out[int(g[0])] = tuple(float(x) for x in g[1:5]) + (
                float(g[5]) if g[5] != "-" else 0.0,)
    return out


def med(runs, c, i):
    return statistics.median(r[c][i] for r in runs if c in r)


def main():
    if PG.missing():
        print("SKIP: missing peer: " + PG.missing())
        return 77
    rounds = int(os.environ.get("ROUNDS", "3"))
    lite, pgr = [], []
    with PG(int(os.environ.get("PG_PORT", "54340"))) as pg:
        with open(os.path.join(pg.data, "postmaster.pid")) as f:
            pid = f.readline().strip()
        for i in range(rounds):
            out = run({})
            print("== round %d, SQLite\n%s" % (i + 1, out), flush=True)
            lite.append(rows(out))
            out = run({"DB_URL": pg.createdb("bench%d" % i),
                       "PG_PID": pid})
            print("== round %d, PostgreSQL 15 (unix socket)\n%s"
                  % (i + 1, out), flush=True)
            pgr.append(rows(out))
    print("medians of %d interleaved rounds" % rounds)
    print("%-6s %-7s %9s %9s %9s %9s %9s" % (
        "conns", "backend", "qps", "p50 us", "p99 us", "cpu us/q",
        "pg us/q"))
    conns = sorted(set(lite[0]) & set(pgr[0]))
    for c in conns:
        for name, rr in (("sqlite", lite), ("pg", pgr)):
            print("%-6d %-7s %9.0f %9.1f %9.1f %9.1f %9.1f" % (
                (c, name) + tuple(med(rr, c, i) for i in range(5))))
    print("%-6s %12s %12s %12s %12s" % ("conns", "qps PG/SQL",
                                        "p50 PG/SQL", "p99 PG/SQL",
                                        "cpu PG/SQL"))
    for c in conns:
        print("%-6d %12.2f %12.2f %12.2f %12.2f" % ((c,) + tuple(
            med(pgr, c, i) / med(lite, c, i) if med(lite, c, i) else 0
            for i in range(4))))
    print("target: p50 and p99 PG/SQL <= 2 at 8 connections")
    return 0


if __name__ == "__main__":
    sys.exit(main())
