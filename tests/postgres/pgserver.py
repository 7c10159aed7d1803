#!/usr/bin/python3
"""tests/postgres/pgserver.py - a private PostgreSQL for the tests.

Debian's postgresql-15 (initdb, pg_ctl) in a temporary directory under
the current one (the build directory), listening on a unix socket in that
directory only (listen_addresses = ''), trust authentication for the
superuser "postgres". PostgreSQL refuses to run as root, so the server
runs as `nobody`; clients (the tests, facteur) connect over the socket.

    with PG() as pg:
        url = pg.createdb("t1")      # postgresql:///t1?host=...&user=postgres
        pg.restart()

PG.missing() names what is absent, for a skip message.
"""
import os
import pwd
import shutil
import subprocess
import tempfile

BIN = "/usr/lib/postgresql/15/bin"
PSQL = "/usr/bin/psql"
USER = "nobody"


class PG:
    def __init__(self, port=54329):
        self.port = port
        self.dir = None

    @staticmethod
    def missing():
        for p in (BIN + "/initdb", BIN + "/pg_ctl", PSQL):
            if not os.access(p, os.X_OK):
                return p + " (Debian package postgresql-15)"
        return None

    def _as_pg(self, args, **kw):
        kw.setdefault("check", True)
        kw.setdefault("capture_output", True)
        kw.setdefault("timeout", 60)
        if os.geteuid() == 0:
            kw["user"] = USER
            kw["group"] = pwd.getpwnam(USER).pw_gid
        return subprocess.run(args, **kw)

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="pg-", dir=os.getcwd())
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "log")
        if os.geteuid() == 0:
            pw = pwd.getpwnam(USER)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self._as_pg([BIN + "/initdb", "-D", self.data, "-U", "postgres",
                     "--auth=trust", "--no-locale", "-E", "UTF8"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("listen_addresses = ''\n"
                    "unix_socket_directories = '%s'\n"
                    "port = %d\nfsync = off\nmax_connections = 200\n"
                    % (self.dir, self.port))
        self.start()
        return self

    def start(self):
        self._as_pg([BIN + "/pg_ctl", "-D", self.data, "-l", self.log,
                     "-w", "-t", "30", "start"])

    def stop(self, mode="fast"):
        self._as_pg([BIN + "/pg_ctl", "-D", self.data, "-m", mode, "-w",
                     "stop"], check=False)

    def restart(self):
        self.stop()
        self.start()

    def hba_first(self, line):
        """Puts line before initdb's trust rules in pg_hba.conf; reloads."""
        p = os.path.join(self.data, "pg_hba.conf")
        with open(p) as f:
            text = f.read()
        with open(p, "w") as f:
            f.write(line + "\n" + text)
        self._as_pg([BIN + "/pg_ctl", "-D", self.data, "reload"])

    def __exit__(self, *exc):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, db, user="postgres"):
        return "postgresql:///%s?host=%s&port=%d&user=%s" % (
            db, self.dir, self.port, user)

    def psql(self, sql, db="postgres", user="postgres"):
        p = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-v",
                            "ON_ERROR_STOP=1", "-d", self.url(db, user),
                            "-c", sql],
                           capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            raise RuntimeError("psql %r: %s" % (sql, p.stderr))
        return p.stdout.strip()

    def createdb(self, name):
        self.psql('DROP DATABASE IF EXISTS "%s"' % name)
        self.psql('CREATE DATABASE "%s"' % name)
        return self.url(name)
