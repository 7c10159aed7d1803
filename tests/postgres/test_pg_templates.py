#!/usr/bin/python3
"""tests/postgres/test_pg_templates.py - the PostgreSQL config templates
against the schema, on a private PostgreSQL (pgserver.py).

  - every config-templates/postfix/pgsql/*.cf, through Postfix's own
    pgsql: client (postmap -q, postfix-pgsql), answers as the matching
    sqlite: table does for the same rows;
  - config-templates/dovecot/dovecot-pgsql.conf.ext's queries, with %u
    put in as Dovecot would, run and give the rows Dovecot needs.
Only the hosts / connect lines are changed, to point at the private
server. Runs in ~4 s.

usage: test_pg_templates.py MKDB TEMPLATES_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgserver import PG  # noqa: E402

MKDB, TPL = sys.argv[1], sys.argv[2]
POSTMAP = "/usr/sbin/postmap"
FAILURES = []
ROWS = b"""\
domain|example.org
domain_off|dead.org
user|alice@example.org|example.org/alice/
user_off|carol@example.org|example.org/carol/
alias|root|alice@example.org
valias|info@example.org|alice@example.org
valias|info@example.org|bob@example.net
sender|spam@bad.example|address|REJECT|554|5.7.1|No spam
sender|@worse.example|domain|REJECT|550||
recipient|nobody@example.org|REJECT|550|5.1.1|No such user
recipient|trash@example.org|DISCARD|0||
"""
# table, key, want (None = not found)
CASES = [
    ("virtual_mailbox_domains", "example.org", "example.org"),
    ("virtual_mailbox_domains", "dead.org", None),
    ("virtual_mailbox_domains", "nope.org", None),
    ("virtual_mailbox_maps", "alice@example.org", "example.org/alice/"),
    ("virtual_mailbox_maps", "carol@example.org", None),
    ("alias_maps", "root", "alice@example.org"),
    ("alias_maps", "nobody", None),
    ("virtual_alias_maps", "info@example.org",
     "alice@example.org,bob@example.net"),
    ("virtual_alias_maps", "alice@example.org", "alice@example.org"),
    ("virtual_alias_maps", "zed@example.org", None),
    ("sender_access", "spam@bad.example", "554 5.7.1 No spam"),
    ("sender_access", "worse.example", "550 5.7.1 Access denied"),
    ("sender_access", "ok@good.example", None),
    ("recipient_access", "nobody@example.org", "550 5.1.1 No such user"),
    ("recipient_access", "trash@example.org", "DISCARD"),
]


def check(what, got, want):
    if got != want:
        FAILURES.append("%s: got %r, want %r" % (what, got, want))
        print("FAIL " + FAILURES[-1], flush=True)


def postmap(conf, key, table):
    p = subprocess.run([POSTMAP, "-c", conf, "-q", key, table],
                       capture_output=True, text=True, timeout=30)
    if p.returncode == 1 and not p.stderr.strip():
        return None
    if p.returncode != 0:
        return "exit %d: %s" % (p.returncode, p.stderr.strip())
    return p.stdout.rstrip("\n")


def postfix_maps(pg, url, tmp):
    conf = os.path.join(tmp, "postfix")
    os.mkdir(conf)
    shutil.copy("/etc/postfix/dynamicmaps.cf", conf)
    if os.path.isdir("/etc/postfix/dynamicmaps.cf.d"):
        shutil.copytree("/etc/postfix/dynamicmaps.cf.d",
                        os.path.join(conf, "dynamicmaps.cf.d"))
    with open(os.path.join(conf, "main.cf"), "w") as f:
        f.write("compatibility_level = 3.6\n")
    for name in sorted({c[0] for c in CASES}):
        with open(os.path.join(TPL, "postfix/pgsql", name + ".cf")) as f:
            text = f.read()
        check(name + ".cf names a role", "user = facteur_lookup" in text,
              True)
        # Postfix takes a libpq URL in hosts; dbname and user are in it.
        text = re.sub(r"(?m)^hosts = .*$", "hosts = " + url, text)
        with open(os.path.join(conf, name + ".cf"), "w") as f:
            f.write(text)
    for name, key, want in CASES:
        got = postmap(conf, key, "pgsql:%s/%s.cf" % (conf, name))
        if got is not None and "," in got:
            got = ",".join(sorted(got.split(",")))
        check("pgsql:%s %s" % (name, key), got, want)


def dovecot_queries(pg, tmp):
    with open(os.path.join(TPL, "dovecot/dovecot-pgsql.conf.ext")) as f:
        text = f.read().replace("\\\n", " ")
    check("driver", re.search(r"(?m)^driver = (\S+)", text).group(1),
          "pgsql")
    q = {m.group(1): m.group(2).strip() for m in re.finditer(
        r"(?m)^(password_query|user_query|iterate_query) = (.*)$", text)}
    check("queries", sorted(q), ["iterate_query", "password_query",
                                 "user_query"])
    sub = lambda s: s.replace("%u", "ALICE@example.org")  # noqa: E731
    got = pg.psql(sub(q["password_query"]), "tpl").split("|")
    check("password_query user", got[0], "alice@example.org")
    check("password_query hash", len(got) > 1 and got[1] != "", True)
    got = pg.psql(sub(q["user_query"]), "tpl").split("|")
    check("user_query home", got[0], "/var/mail/utilisateurs/"
          "example.org/alice/")
    check("user_query quota", got[3], "*:bytes=0:messages=0")
    check("password_query inactive", pg.psql(q["password_query"].replace(
        "%u", "carol@example.org"), "tpl"), "")
    check("iterate_query", pg.psql(q["iterate_query"], "tpl"),
          "alice@example.org")


def main():
    miss = PG.missing() or (None if os.access(POSTMAP, os.X_OK)
                            else POSTMAP + " (postfix)")
    if miss:
        print("SKIP: missing peer: " + miss)
        return 77
    tmp = tempfile.mkdtemp(prefix="pgtpl-", dir=os.getcwd())
    try:
        with PG(int(os.environ.get("PG_PORT", "54335"))) as pg:
            url = pg.createdb("tpl")
            subprocess.run([MKDB, url], input=ROWS, check=True, timeout=30)
            postfix_maps(pg, url, tmp)
            dovecot_queries(pg, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("template tests passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
