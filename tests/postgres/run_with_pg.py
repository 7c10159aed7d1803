#!/usr/bin/python3
"""tests/postgres/run_with_pg.py - runs one test program against a fresh
database on a private PostgreSQL (pgserver.py), with its URL in
FACTEUR_TEST_DB_URL: the same tests that run on SQLite, on the second
backend.

usage: run_with_pg.py PORT COMMAND [ARG...]
Exit status: the command's, or 77 (skipped) when PostgreSQL is missing.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgserver import PG  # noqa: E402


def main():
    miss = PG.missing()
    if miss:
        print("SKIP: missing peer: %s" % miss)
        return 77
    with PG(int(sys.argv[1])) as pg:
        env = dict(os.environ, FACTEUR_TEST_DB_URL=pg.createdb("facteur"),
                   FACTEUR_TEST_PG_PSQL=pg.url("postgres"))
        return subprocess.run(sys.argv[2:], env=env, timeout=600).returncode


if __name__ == "__main__":
    sys.exit(main())
