"""stack - the whole facteur stack behind a private Postfix, for the faults
suite (tests/faults/test_faults.py). Standard library only, run as root.

    Knot (dnsserver.py)      zones example.net (SPF, DMARC), example.org,
                             bl.test (an empty DNSBL zone)
    facteur-lookup           socketmap: domains, mailboxes, aliases
    facteur-blacklist        \\
    facteur-scrub             | smtpd_milters, one socket each, in
    facteur-dkim              | DESIGN.md's order (mode "separate"), or
    facteur-spam             /  facteur-milter alone (mode "chain")
    facteur-lmtp             virtual_transport, Maildirs on a small tmpfs
    Postfix (harness.py)     smtpd on 127.0.0.1, milter_default_action as
                             config-templates/postfix/main.cf.milters

Every daemon runs in the foreground, started and SIGKILLed by pid through
harness.Daemon; the configuration keeps the shipped on_error (tempfail) and
only points sockets, resolvers and the database into the test's directory
and shortens the DNS timeouts so a stopped DNS server costs a second, not
five, per message.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import dnsserver  # noqa: E402
import fixtures  # noqa: E402
import harness  # noqa: E402

MILTERS = ("blacklist", "scrub", "dkim", "spam")
USERS = ["u%d@example.org" % i for i in range(4)]
SENDER = "sender@example.net"
BLOCKED = "spammer@bad.example"
AUTHSERV = "mx.faults.test"
MAILFS_SIZE = "96m"


def main_cf_milter_action():
    """milter_default_action of the shipped main.cf.milters."""
    with open(os.path.join(fixtures.TEMPLATES, "postfix",
                           "main.cf.milters")) as f:
        return harness.parse_main_cf(f.read())["milter_default_action"]


class MailFs:
    """A small filesystem for the Maildirs, mounted by the test (we are
    root) and unmounted at close(), also from harness's SIGTERM handler:
    kind "tmpfs" (the default) or "ext4" (a loop file beside it: real
    fsync, as on a disk; FAULTS_MAILFS=ext4). On ext4 a SIGKILL mostly
    lands in an fsync, which completes first: in the directory fsync after
    the rename it duplicates that recipient (docs/faults.md)."""

    def __init__(self, path, size=MAILFS_SIZE, kind="tmpfs"):
        self.path = path
        self.filler = None
        self.kind = kind
        os.makedirs(path, exist_ok=True)
        if kind == "tmpfs":
            harness.run(["mount", "-t", "tmpfs", "-o",
                         "size=%s,mode=0755" % size, "faults-mail", path])
        else:
            img = path + ".img"
            harness.run(["truncate", "-s", size.upper(), img])
            harness.run(["mkfs.ext4", "-q", "-F", "-m", "0", img])
            harness.run(["mount", "-o", "loop", img, path])
        harness._register(self)

    def fill(self):
        """Writes a file as root until the filesystem is full (smaller
        and smaller writes, so that no block is left)."""
        self.filler = os.path.join(self.path, "filler")
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600)
        try:
            for size in (1 << 20, 1 << 16, 4096, 512, 1):
                chunk = b"\0" * size
                try:
                    while os.write(fd, chunk) > 0:
                        pass
                except OSError:
                    pass
            try:
                os.fsync(fd)    # ext4: delayed allocation counts now
            except OSError:
                pass
        finally:
            os.close(fd)
        return os.statvfs(self.path).f_bavail

    def free(self):
        if self.filler and os.path.exists(self.filler):
            os.unlink(self.filler)
        self.filler = None

    def emergency_stop(self):
        subprocess.run(["umount", "-l", self.path], capture_output=True)

    def close(self):
        harness._unregister(self)
        subprocess.run(["umount", self.path], capture_output=True)
        subprocess.run(["umount", "-l", self.path], capture_output=True)
        if os.path.exists(self.path + ".img"):
            os.unlink(self.path + ".img")


def dns_zones():
    return {
        "example.net": [("@", "TXT", "v=spf1 ip4:127.0.0.1 -all"),
                        ("_dmarc", "TXT", "v=DMARC1; p=none")],
        "example.org": [("@", "MX", "10 mx"), ("mx", "A", "127.0.0.1"),
                        ("_dmarc", "TXT", "v=DMARC1; p=reject")],
        "bl.test": [("2.0.0.127", "A", "127.0.0.2")],
    }


def milter_keys(tmp, name, extra):
    keys = {"socket": "unix:" + os.path.join(tmp, name + ".sock"),
            "socket_mode": "0660", "user": harness.DEFAULT_MAIL_USER,
            "group": "postfix"}
    keys.update(extra)
    return keys


def write_conf(tmp, db, mail_root, resolver):
    rules = os.path.join(tmp, "faults.cf")
    with open(rules, "w") as f:
        f.write("body FLT_LUNCH /lunch/\nscore FLT_LUNCH 0.1\n")
    uid, gid = harness.user_ids(harness.DEFAULT_MAIL_USER)
    return fixtures.write_conf(os.path.join(tmp, "facteur.conf"), {
        "database": {"path": db, "busy_timeout": "1s"},
        "admin": {"mail_root": mail_root, "dkim_user": "root",
                  "dkim_keys_dir": os.path.join(tmp, "dkim")},
        "lookup": {"socket": os.path.join(tmp, "lookup.sock"), "user": ""},
        "lmtp": {"socket": os.path.join(tmp, "lmtp.sock"),
                 "socket_group": "postfix", "mail_root": mail_root,
                 "user": str(uid), "group": str(gid),
                 "hostname": AUTHSERV,
                 "sieve_before": os.path.join(fixtures.TEMPLATES, "sieve",
                                              "before.sieve")},
        "blacklist": milter_keys(tmp, "blacklist", {
            "internal_hosts": "", "dnsbl_zones": "bl.test",
            "dnsbl_timeout": "1s", "resolver": resolver}),
        "scrub": milter_keys(tmp, "scrub", {"internal_hosts": "127.0.0.0/8"}),
        "dkim": milter_keys(tmp, "dkim", {
            "authserv_id": AUTHSERV, "internal_hosts": "",
            "resolver": resolver, "dns_timeout": "1s"}),
        "spam": milter_keys(tmp, "spam", {
            "internal_hosts": "", "rules_path": rules, "bayes_path": "",
            "cache_dir": "", "network_tests": "no"}),
        "milter": milter_keys(tmp, "milter", {}),
    })


def make_db(exe, tmp, conf):
    uid, gid = harness.user_ids(harness.DEFAULT_MAIL_USER)
    dbdir = os.path.join(tmp, "db")
    os.mkdir(dbdir)
    db = os.path.join(dbdir, "facteur.sqlite")
    admin = fixtures.Admin(exe["facteur"], conf, db)
    admin("db", "init")
    admin("domain", "add", "example.org")
    for u in USERS:
        admin.add_user(u, "pw-" + u.split("@")[0])
    admin("blacklist", "sender", "add", BLOCKED, "--code", "554",
          "--enhanced", "5.7.1", "--message", "Blacklisted")
    admin("dkim", "keygen", "example.org", "--selector", "flt")
    for p in [dbdir] + [os.path.join(dbdir, f) for f in os.listdir(dbdir)]:
        os.chown(p, uid, gid)
    return db


class Stack:
    """Every daemon of the suite; start()/kill()/restart() by name:
    lookup, lmtp, blacklist, scrub, dkim, spam, milter."""

    def __init__(self, exe, tmp):
        self.exe = exe
        self.tmp = tmp
        self.daemons = {}
        self.mailfs = MailFs(os.path.join(tmp, "mailfs"),
                             kind=os.environ.get("FAULTS_MAILFS", "tmpfs"))
        uid, gid = harness.user_ids(harness.DEFAULT_MAIL_USER)
        os.chown(self.mailfs.path, uid, gid)
        self.mail_root = self.mailfs.path
        # TTLs of 1 s: the daemons' DNS caches forget within the fault,
        # so a stopped server is felt as a load of new names would feel it
        self.dns = dnsserver.DnsServer(os.path.join(tmp, "dns"), dns_zones(),
                                       soa_minimum=1, default_ttl=1)
        self.dbpath = os.path.join(tmp, "db", "facteur.sqlite")
        self.conf = write_conf(tmp, self.dbpath, self.mail_root,
                               "127.0.0.1@%d" % self.dns.port)
        make_db(exe, tmp, self.conf)
        self.pf = None

    def sock(self, name):
        return os.path.join(self.tmp, name + ".sock")

    def start(self, name):
        sock = self.sock(name)
        if os.path.exists(sock):
            os.unlink(sock)
        argv = [self.exe[name], "-f", "-c", self.conf]
        if name == "lookup":
            argv += ["--db", self.dbpath]
        d = harness.Daemon(argv, name, self.tmp, timeout=60,
                           ready=lambda: harness.unix_socket_open(sock))
        self.daemons[name] = d
        return d

    def kill(self, name):
        d = self.daemons[name]
        d.proc.kill()
        d.proc.wait(10)
        d.close()

    def alive(self):
        """Names of the started daemons that exited on their own."""
        return {n: d.proc.poll() for n, d in self.daemons.items()}

    def start_all(self, milters_mode="separate"):
        for name in ("lookup", "lmtp") + MILTERS + ("milter",):
            self.start(name)
        sm = "socketmap:unix:%s:" % self.sock("lookup")
        self.pf = harness.Postfix(os.path.join(self.tmp, "pf"),
                                  main_cf_extra={
            "virtual_mailbox_domains": sm + "domains",
            "virtual_mailbox_maps": sm + "mailboxes",
            "virtual_alias_maps": sm + "virtual_aliases",
            "virtual_transport": "lmtp:unix:" + self.sock("lmtp"),
            "recipient_delimiter": "+",
            "smtpd_milters": self.milters_param(milters_mode),
            "milter_default_action": main_cf_milter_action(),
            "milter_protocol": "6",
            "smtpd_client_connection_count_limit": "0",
            "smtpd_client_connection_rate_limit": "0",
            "smtpd_client_message_rate_limit": "0",
        })

    def milters_param(self, mode):
        if mode == "chain":
            return "unix:" + self.sock("milter")
        return ", ".join("unix:" + self.sock(n) for n in MILTERS)

    def set_milters(self, mode):
        self.pf.postconf("smtpd_milters=" + self.milters_param(mode))
        self.pf.reload()

    def lock_db(self, seconds):
        """Holds the database in a write transaction (BEGIN EXCLUSIVE and
        a write) for `seconds`, as the mail user, in a child process, as
        a long admin command would. (PRAGMA locking_mode=EXCLUSIVE, which
        would shut WAL readers out, cannot be had while the daemons keep
        the database open.) Returns the Popen once the lock is held."""
        code = (
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None,"
            " timeout=10)\n"
            "c.execute('BEGIN EXCLUSIVE')\n"
            "c.execute('CREATE TABLE IF NOT EXISTS faults_lock(x)')\n"
            "c.execute('INSERT INTO faults_lock VALUES (1)')\n"
            "print('locked', flush=True)\n"
            "time.sleep(float(sys.argv[2]))\n"
            "c.execute('ROLLBACK')\n")
        uid, gid = harness.user_ids(harness.DEFAULT_MAIL_USER)

        def drop():
            os.setgid(gid)
            os.setuid(uid)
        p = subprocess.Popen(["/usr/bin/python3", "-c", code, self.dbpath,
                              str(seconds)],
                             stdout=subprocess.PIPE, text=True,
                             preexec_fn=drop)
        line = p.stdout.readline()
        if line.strip() != "locked":
            p.kill()
            raise RuntimeError("could not lock the database: %r" % line)
        return p

    def sanitizer_reports(self):
        return {n: d.sanitizer_report() for n, d in self.daemons.items()
                if d.sanitizer_report()}

    def close(self):
        if self.pf is not None:
            self.pf.close()
        for d in self.daemons.values():
            d.close()
        self.dns.close()
        self.mailfs.close()

