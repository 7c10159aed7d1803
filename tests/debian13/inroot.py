#!/usr/bin/python3
"""facteur on a stock Debian 13 server, run inside the trixie root by
run.sh (its own mount, network and PID namespaces; loopback only).

The root is what apt leaves on a trixie mail server: Postfix 3.10
"Internet Site", Dovecot 2.4 (core, imapd, lmtpd, sieve, sqlite).
Steps, each timed; the first failure ends the run (exit 1):

  1. build facteur from /facteur/src in /facteur/build (kept between
     runs: only what changed is rebuilt), -Dwerror=true, no sanitizers,
     and `meson install` it under /usr/local, as `make install` would;
     the unit tests (suite unit) pass on trixie's libraries (OpenSSL
     3.5, glibc 2.41, vectorscan, PCRE2, SQLite);
  2. the stock Postfix and Dovecot started, as apt leaves them (real
     ports 25, 587, 143: the network namespace is private; a syslog
     socket at /dev/log collects their logs); `facteur setup --apply
     --yes`: Postfix 3.10 and Dovecot 2.4 are detected, `postconf -n`,
     `postconf -M` and `doveconf -n` accept the result without a
     warning; a second run changes nothing; `--undo` gives back /etc,
     /var and the rest byte for byte (modes and owners too);
  3. applied again, setup's next steps: the facteur daemons start as
     their systemd units would start them (ExecStartPre's
     --check-config, then ExecStart), Postfix reloads, Dovecot restarts;
  4. inbound mail to a virtual user via XCLIENT from 192.0.2.10 reaches
     her Maildir through facteur-lmtp with facteur-milter's A-R; she
     logs in over IMAP through Dovecot 2.4's SQL passdb and reads it;
     mail to postmaster@localhost reaches root's mbox through
     /etc/aliases; `facteur doctor` finds nothing wrong but DNS (none
     here) and reads Dovecot 2.4's queries; `facteur selftest` passes; install.md's Dovecot 2.4
     TLS drop-in is accepted; IMAPSieve learning as
     docs/spam-learning.md installs it for 2.4 (a MOVE into Spam and
     back, spooled and learned);
  5. the daemons stopped, `--undo` gives back /etc byte for byte again
     and keeps, naming them, the directories that now hold data.

Only trixie's python3 standard library is used."""

import glob
import hashlib
import imaplib
import os
import re
import smtplib
import socket
import subprocess
import sys
import threading
import time

SRC, BUILD = "/facteur/src", "/facteur/build"
DOMAIN, HOST = "example.org", "mail.example.org"
SYSLOG = "/var/log/debian13-syslog.log"
T0 = time.monotonic()
# What setup may change and undo must give back; below them, what moves
# on its own (logs, apt, the Postfix queue once it runs, Dovecot's state).
TREES = ("etc", "var", "root", "home", "srv", "opt")
VOLATILE = ("var/log", "var/cache/apt", "var/cache/debconf", "var/tmp",
            "var/lib/apt", "var/lib/dpkg", "var/cache/ldconfig",
            "var/lib/dovecot", "var/lib/postfix", "var/spool/postfix",
            "var/mail/root", "etc/ld.so.cache")


class Fail(Exception):
    pass


def step(msg):
    print("[%6.1f s] %s" % (time.monotonic() - T0, msg), flush=True)


def run(cmd, check=True, timeout=120, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True,
                       stdin=kw.pop("stdin", subprocess.DEVNULL),
                       timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise Fail("%s: exit %d\n%s%s" % (" ".join(cmd), p.returncode,
                                           p.stdout[-4000:],
                                           p.stderr[-4000:]))
    return p


def daemon(cmd):
    """Runs a command that forks a daemon: its output to a file, not a
    pipe the daemon would keep open."""
    with open("/var/log/debian13-start.log", "ab") as out:
        rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=out, timeout=60).returncode
    if rc != 0:
        with open("/var/log/debian13-start.log", errors="replace") as f:
            raise Fail("%s: exit %d\n%s" % (" ".join(cmd), rc,
                                             f.read()[-3000:]))


def expect(cond, msg):
    if not cond:
        raise Fail(msg)


def tree_state():
    """{path: (type, mode, uid, gid, sha256 or link)} under TREES, less
    VOLATILE: two equal states are the same files byte for byte."""
    state = {}
    for top in TREES:
        for dirpath, dirs, files in os.walk("/" + top):
            rel_dir = os.path.relpath(dirpath, "/")
            dirs[:] = [d for d in dirs
                       if os.path.join(rel_dir, d) not in VOLATILE]
            for name in dirs + files:
                path = os.path.join(dirpath, name)
                rel = os.path.join(rel_dir, name)
                if rel in VOLATILE:
                    continue
                st = os.lstat(path)
                if os.path.islink(path):
                    what = ("link", os.readlink(path))
                elif os.path.isdir(path):
                    what = ("dir", "")
                elif not os.path.isfile(path):
                    what = ("special", "")
                else:
                    with open(path, "rb") as f:
                        what = ("file",
                                hashlib.sha256(f.read()).hexdigest())
                state[rel] = (what[0], st.st_mode & 0o7777, st.st_uid,
                              st.st_gid, what[1])
    return state


def state_diff(a, b):
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


# ---- 1. build and install ----

def build():
    if not os.path.exists(BUILD + "/build.ninja"):
        for e in os.listdir(BUILD):
            run(["rm", "-rf", os.path.join(BUILD, e)])
        run(["meson", "setup", BUILD, SRC, "--prefix=/usr/local",
             "--buildtype=debugoptimized", "-Db_sanitize=none",
             "-Dwerror=true"])
    p = run(["ninja", "-C", BUILD], check=False, timeout=3000)
    if p.returncode != 0:
        raise Fail("build on trixie (gcc %s): %s" % (
            run(["gcc", "-dumpfullversion"]).stdout.strip(),
            (p.stdout + p.stderr)[-6000:]))
    run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet"])
    expect(os.access("/usr/local/sbin/facteur", os.X_OK) or
           os.access("/usr/local/bin/facteur", os.X_OK),
           "meson install: no facteur under /usr/local")


def facteur(*args, **kw):
    return run(["facteur"] + list(args), **kw)


# ---- 2. setup --apply, idempotence, --undo ----

def apply():
    p = facteur("setup", "--apply", "--yes", "--domain", DOMAIN,
                "--hostname", HOST)
    return p.stdout


def check_configs():
    p = run(["postconf", "-n"], check=False)
    expect((p.returncode, p.stderr) == (0, ""),
           "postconf -n: exit %d, warnings:\n%s" % (p.returncode, p.stderr))
    pout = p.stdout
    p = run(["postconf", "-M"], check=False)
    expect((p.returncode, p.stderr) == (0, ""),
           "postconf -M: warnings:\n%s" % p.stderr)
    p = run(["doveconf", "-n"], check=False)
    expect((p.returncode, p.stderr) == (0, ""),
           "doveconf -n: exit %d, warnings:\n%s" % (p.returncode, p.stderr))
    dout = p.stdout
    for want in ("alias_maps = hash:/etc/aliases\n",
                 "virtual_transport = lmtp:unix:private/facteur-lmtp\n",
                 "smtpd_milters = unix:facteur/milter.sock\n"):
        expect(want in pout, "postconf -n: no %r" % want)
    for want in (r"(?m)^passdb sql \{", r"(?m)^userdb sql \{",
                 r"(?m)^sql_driver = sqlite$",
                 r"(?m)^\s*unix_listener /var/spool/postfix/private/auth"):
        expect(re.search(want, dout), "doveconf -n: no %s in\n%s" % (
            want, dout))


def setup_cycle():
    stock = tree_state()
    out = apply()
    step("setup --apply:\n  " + "\n  ".join(
        l for l in out.splitlines() if l.startswith(("Postfix", "Dovecot"))))
    expect(re.search(r"Postfix 3\.1\d, Dovecot 2\.4 \(2\.4 syntax\)", out),
           "setup: want Postfix 3.10 and Dovecot 2.4 detected, got:\n"
           + out[:2000])
    check_configs()
    step("postconf -n, postconf -M and doveconf -n: no warnings")
    once = tree_state()
    out = apply()
    expect("nothing to change" in out, "second --apply:\n" + out[-3000:])
    expect(state_diff(tree_state(), once) == [],
           "second --apply changed %r" % state_diff(tree_state(), once))
    step("second --apply: nothing to change")
    p = facteur("setup", "--undo", "--yes")
    diff = state_diff(tree_state(), stock)
    expect(diff == [], "--undo: these differ from the stock tree: %r\n%s"
           % (diff, p.stdout[-2000:]))
    out = facteur("setup", "--undo", "--yes").stdout
    expect("nothing to undo" in out, "second --undo:\n" + out)
    step("--undo: /%s byte for byte as before (%d paths)"
         % (", /".join(TREES), len(stock)))
    return stock


# ---- 3. the daemons ----

def syslog_sink():
    """/dev/log, as rsyslog would have it: Postfix and Dovecot log
    through syslog(3)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("/dev/log")
    out = open(SYSLOG, "ab", buffering=0)

    def loop():
        while True:
            out.write(s.recv(65536).rstrip(b"\n") + b"\n")
    threading.Thread(target=loop, daemon=True).start()


def log():
    with open(SYSLOG, errors="replace") as f:
        return f.read()


def wait_for(what, fn, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r = fn()
        if r:
            return r
        time.sleep(0.2)
    raise Fail("timed out waiting for %s\nlog:\n%s" % (what, log()[-4000:]))


def sock_ok(path):
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(path)
        return True
    except OSError:
        return False


def tcp_ok(port):
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        return True
    except OSError:
        return False


def unit_lines(unit, inst):
    with open("/etc/systemd/system/" + unit) as f:
        text = f.read().replace("%i", inst)
    pre = re.findall(r"(?m)^ExecStartPre=(.*)$", text)
    start = re.findall(r"(?m)^ExecStart=(.*)$", text)
    return [c.split() for c in pre], start[0].split()


def start_unit(unit, inst=""):
    """ExecStartPre, then ExecStart, as systemd would (no sandbox)."""
    pre, cmd = unit_lines(unit, inst)
    for c in pre:
        run(c)
    logf = open("/var/log/%s.log" % (inst or unit.split(".")[0]), "ab")
    return subprocess.Popen(cmd, stdout=logf, stderr=logf,
                            stdin=subprocess.DEVNULL)


def start_stock():
    """The stock server as apt leaves it: Postfix and Dovecot running
    (postfix@-.service: `postfix check`, then postfix-script, which
    makes the spool's private/ and the chroot files, starts master(8))."""
    syslog_sink()
    run(["postfix", "check"])
    daemon(["postfix", "start"])
    daemon(["dovecot"])
    wait_for("smtpd on 25", lambda: tcp_ok(25))
    wait_for("imap on 143", lambda: tcp_ok(143))


def start_facteur():
    """setup's next steps: enable --now facteur-lookup facteur-lmtp
    facteur-milter@milter, reload postfix, restart dovecot."""
    procs = [start_unit("facteur-lookup.service"),
             start_unit("facteur-lmtp.service"),
             start_unit("facteur-milter@.service", "milter")]
    spool = "/var/spool/postfix"
    # facteur-milter's first start compiles SpamAssassin's rules (the
    # default rules_path) into its cache_dir: a minute or more, once
    for s, t in (("private/facteur-lookup", 60), ("private/facteur-lmtp", 60),
                 ("facteur/milter.sock", 600)):
        wait_for(s, lambda: sock_ok(os.path.join(spool, s)), t)
    daemon(["postfix", "reload"])
    restart_dovecot()
    return procs


# ---- 4. mail ----

def make_message(frm, to, subject):
    return ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nDate: %s\r\n"
            "Message-ID: <%s.%d@example.net>\r\n\r\nHello from trixie.\r\n"
            % (frm, to, subject,
               time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
               subject.replace(" ", "-"), os.getpid()))


def inbound_virtual_user():
    p = run(["facteur", "user", "add", "alice@" + DOMAIN,
             "--password-stdin"], input="s3cret-pass\n", stdin=None)
    with smtplib.SMTP("127.0.0.1", 25, timeout=30) as s:
        s.ehlo("client.example.net")
        code, text = s.docmd("XCLIENT",
                             "ADDR=192.0.2.10 NAME=client.example.net")
        expect(code == 220, "XCLIENT from loopback: %d %s" % (code, text))
        s.ehlo("client.example.net")
        refused = s.sendmail("bob@example.net", ["alice@" + DOMAIN],
                             make_message("bob@example.net",
                                          "alice@" + DOMAIN,
                                          "trixie inbound"))
    expect(refused == {}, "refused: %r" % refused)
    wait_for("delivery through facteur-lmtp", lambda: re.search(
        r"to=<alice@example\.org>, relay=[^,]*\[private/facteur-lmtp\]"
        r".*status=sent", log()), 60)
    got = glob.glob("/var/mail/utilisateurs/**/new/*", recursive=True)
    expect(len(got) == 1, "Maildir files: %r" % got)
    with open(got[0], errors="replace") as f:
        text = f.read()
    expect("Authentication-Results: " + HOST in text,
           "no A-R from facteur-milter:\n" + text[:2000])
    expect("192.0.2.10" in text, "no XCLIENT address:\n" + text[:2000])
    step("inbound via XCLIENT -> facteur-milter -> facteur-lmtp -> %s"
         % got[0])


def dovecot_user():
    """What Dovecot makes of the user: for a failure's message."""
    out = []
    for c in (["doveadm", "user", "alice@" + DOMAIN],
              ["doveadm", "-D", "mailbox", "status", "-u", "alice@" + DOMAIN,
               "messages", "INBOX"],
              ["ls", "-lanR", "/var/mail/utilisateurs"]):
        p = run(c, check=False)
        out.append("$ %s\n%s%s" % (" ".join(c), p.stdout, p.stderr))
    return "\n".join(out)


def imap_login():
    with imaplib.IMAP4("127.0.0.1", 143, timeout=30) as m:
        m.login("alice@" + DOMAIN, "s3cret-pass")
        typ, data = m.select("INBOX")
        expect(typ == "OK" and int(data[0]) == 1, "INBOX: %r\n%s" % (
            data, dovecot_user()))
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        expect(b"trixie inbound" in data[0][1], "fetch: %r" % data)
        m.logout()
    try:
        with imaplib.IMAP4("127.0.0.1", 143, timeout=30) as m:
            m.login("alice@" + DOMAIN, "wrong")
        raise Fail("IMAP: a wrong password was accepted")
    except imaplib.IMAP4.error:
        pass
    expect(not re.search(r"pam_unix\(dovecot:auth\).*alice@", log()),
           "PAM was asked about a mail address (90-facteur.conf's "
           "username_filter):\n" + log()[-3000:])
    step("IMAP LOGIN through Dovecot 2.4's SQL passdb (PAM not asked); "
         "INBOX holds it")


def local_mail():
    with smtplib.SMTP("127.0.0.1", 25, timeout=30) as s:
        refused = s.sendmail("bob@example.net", ["postmaster@localhost"],
                             make_message("bob@example.net",
                                          "postmaster@localhost",
                                          "to root"))
    expect(refused == {}, "postmaster refused: %r" % refused)
    m = wait_for("local delivery", lambda: re.search(
        r"to=<root@[^>]*>, orig_to=<postmaster@localhost>, "
        r"relay=local.*status=(\w+)", log()), 60)
    expect(m.group(1) == "sent", log()[-3000:])
    with open("/var/mail/root", errors="replace") as f:
        expect("Subject: to root" in f.read(), "not in /var/mail/root")
    step("postmaster@localhost -> /etc/aliases -> root's /var/mail/root")


def doctor():
    """`facteur doctor` on the live stack: every check OK but the DNS
    ones, which cannot be answered here (no network), and Dovecot 2.4's
    passdb and userdb queries, read from `doveconf -n`, find alice."""
    p = run(["facteur", "doctor"], check=False, timeout=120)
    fails = [l for l in p.stdout.splitlines() if l.startswith("FAIL")]
    not_dns = [l for l in fails if not re.match(
        r"FAIL (MX|SPF|DMARC|DKIM) .*lookup failed", l)]
    expect(not not_dns, "facteur doctor: FAIL beyond DNS:\n" + p.stdout)
    for want in (r"(?m)^ok +dovecot passdb: .*finds alice@",
                 r"(?m)^ok +dovecot userdb: .*finds alice@",
                 r"(?m)^ok +virtual_transport: .*answers LHLO",
                 r"(?m)^ok +(non_)?smtpd_milters .*facteur-milter answers"):
        expect(re.search(want, p.stdout), "facteur doctor: no %s in\n%s"
               % (want, p.stdout))
    step("facteur doctor: all OK but the %d DNS checks (no network here)"
         % len(fails))


def selftest():
    p = run(["facteur", "selftest", "--domain", DOMAIN, "--timeout", "60"],
            check=False, timeout=180)
    print(p.stdout + p.stderr, flush=True)
    expect(p.returncode == 0, "facteur selftest: exit %d\n%s" % (
        p.returncode, log()[-4000:]))
    step("facteur selftest: passed")


def tls_drop_in():
    """docs/install.md's Dovecot 2.4 TLS drop-in (ssl_server_*_file; 2.3's
    ssl_cert = <FILE is a fatal error on 2.4), with the snakeoil pair in
    place of the certbot one: doveconf takes it and it wins."""
    path = "/etc/dovecot/conf.d/91-tls.conf"
    with open(path, "w") as f:
        f.write("ssl_server_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem\n"
                "ssl_server_key_file = "
                "/etc/ssl/private/ssl-cert-snakeoil.key\n")
    try:
        p = run(["doveconf", "-n"], check=False)
        expect((p.returncode, p.stderr) == (0, ""),
               "doveconf -n with the TLS drop-in: %s" % p.stderr)
        expect("cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem"
               in p.stdout, "TLS drop-in: its cert_file is not in use")
    finally:
        os.unlink(path)
    step("install.md's Dovecot 2.4 TLS drop-in: accepted, in use")


def restart_dovecot():
    daemon(["doveadm", "stop"])
    wait_for("dovecot gone", lambda: not tcp_ok(143))
    daemon(["dovecot"])
    wait_for("imap on 143", lambda: tcp_ok(143))


def imapsieve():
    """docs/spam-learning.md's "Install (Debian 13, Dovecot 2.4)", step by
    step: the spool, 91-facteur-imapsieve-2.4.conf, Dovecot restarted,
    the Sieve scripts compiled, the pipe wrappers; then alice moves her message into
    Spam (spooled as spam) and back (as ham), and the drain, as facteur,
    learns them. What it installed in /etc is removed afterwards."""
    t = "/usr/local/share/facteur/config-templates"
    spool = "/var/spool/facteur/learn"
    for c in (["install", "-d", "-o", "facteur", "-g", "vmail", "-m", "1730",
               spool],
              ["install", "-m", "0644",
               t + "/dovecot/91-facteur-imapsieve-2.4.conf",
               "/etc/dovecot/conf.d/91-facteur-imapsieve.conf"]):
        run(c)
    try:
        p = run(["doveconf", "-n"], check=False)
        expect((p.returncode, p.stderr) == (0, ""),
               "doveconf -n with 91-facteur-imapsieve-2.4.conf: %s"
               % p.stderr)
        # before sievec: it reads the plugins and the global extensions
        # (vnd.dovecot.pipe) from the running Dovecot's configuration
        restart_dovecot()
        for c in (["install", "-d", "/etc/dovecot/sieve"],
                  ["install", "-m", "0644", t + "/sieve/report-spam.sieve",
                   t + "/sieve/report-ham.sieve", "/etc/dovecot/sieve/"],
                  ["sievec", "/etc/dovecot/sieve/report-spam.sieve"],
                  ["sievec", "/etc/dovecot/sieve/report-ham.sieve"],
                  ["install", "-d", "-m", "0755", "/etc/dovecot/sieve-pipe"],
                  ["install", "-m", "0755", t + "/sieve/report-spam",
                   t + "/sieve/report-ham", "/etc/dovecot/sieve-pipe/"]):
            run(c)

        def classes(n):
            got = wait_for("%d file(s) in the learning spool" % n,
                           lambda: len(os.listdir(spool)) >= n
                           and sorted(os.listdir(spool)), 10)
            return [f.rsplit(".", 1)[1] for f in got]
        with imaplib.IMAP4("127.0.0.1", 143, timeout=30) as m:
            m.login("alice@" + DOMAIN, "s3cret-pass")
            m.create("Spam")
            m.select("INBOX")
            typ, data = m._simple_command("MOVE", "1", "Spam")
            expect(typ == "OK", "MOVE INBOX -> Spam: %r" % data)
            expect(classes(1) == ["spam"], "into Spam: spool %r"
                   % os.listdir(spool))
            m.select("Spam")
            typ, data = m._simple_command("MOVE", "1", "INBOX")
            expect(typ == "OK", "MOVE Spam -> INBOX: %r" % data)
            expect(sorted(classes(2)) == ["ham", "spam"],
                   "out of Spam: spool %r" % os.listdir(spool))
            m.logout()
        run(["setpriv", "--reuid=facteur", "--regid=facteur",
             "--init-groups", "facteur", "spam", "learn", "--spool", spool])
        expect(os.listdir(spool) == [], "the drain left %r"
               % os.listdir(spool))
        stats = run(["facteur", "spam", "stats"]).stdout
        expect(re.search(r"(?m)^ham\s+1$", stats), "stats:\n" + stats)
    finally:
        for path in ("/etc/dovecot/conf.d/91-facteur-imapsieve.conf",
                     "/etc/dovecot/sieve", "/etc/dovecot/sieve-pipe"):
            run(["rm", "-rf", path])
    step("IMAPSieve on 2.4 (spam-learning.md): MOVE into Spam spooled "
         "spam, out of it ham; the drain learned them")


def stop_all(procs):
    run(["postfix", "stop"], check=False)
    run(["doveadm", "stop"], check=False)
    for pr in procs:
        pr.terminate()
    for pr in procs:
        try:
            pr.wait(15)
        except subprocess.TimeoutExpired:
            pr.kill()
    run(["pkill", "-TERM", "-x", "facteur-milter"], check=False)
    time.sleep(1)


def main():
    step("trixie: %s; %s; %s" % (
        run(["postconf", "-h", "mail_version"]).stdout.strip(),
        run(["dovecot", "--version"]).stdout.strip(),
        run(["gcc", "-dumpfullversion"]).stdout.strip()))
    build()
    step("facteur built and installed under /usr/local")
    p = run(["meson", "test", "-C", BUILD, "--no-rebuild", "--suite", "unit",
             "--num-processes", "2", "--print-errorlogs"], check=False,
            timeout=600)
    expect(p.returncode == 0, "unit tests on trixie:\n" + p.stdout[-6000:])
    step("unit tests on trixie's libraries: %s" % ", ".join(
        "%s %s" % x for x in re.findall(r"(?m)^(Ok|Fail|Skipped):\s+(\d+)",
                                         p.stdout)))
    start_stock()
    step("stock Postfix and Dovecot running (ports 25, 587, 143)")
    stock = setup_cycle()
    apply()
    procs = start_facteur()
    step("facteur-lookup, facteur-lmtp, facteur-milter up; Postfix "
         "reloaded, Dovecot restarted")
    try:
        inbound_virtual_user()
        imap_login()
        local_mail()
        doctor()
        if run(["facteur", "selftest", "--help"], check=False).returncode \
                != 127:
            selftest()
        tls_drop_in()
        imapsieve()
    finally:
        stop_all(procs)
    # Now the data the daemons wrote stays (mail, the compiled rules, the
    # milter's socket): --undo keeps those directories, says so, exits 1.
    p = facteur("setup", "--undo", "--yes", check=False)
    kept = re.findall(r"could not undo: mkdir (\S+) \(Directory not empty\)",
                      p.stderr)
    others = [l for l in p.stderr.splitlines() if "could not undo" in l
              and "Directory not empty" not in l]
    expect(p.returncode in (0, 1) and not others,
           "--undo after mail: exit %d\n%s" % (p.returncode, p.stderr))
    etc = {k: v for k, v in stock.items() if k.startswith("etc/")}
    now = {k: v for k, v in tree_state().items() if k.startswith("etc/")}
    expect(state_diff(now, etc) == [], "--undo after mail: /etc differs: %r"
           % state_diff(now, etc))
    step("--undo after the mail: /etc byte for byte as before; kept, "
         "not empty: %s" % (", ".join(kept) or "nothing"))

if __name__ == "__main__":
    try:
        main()
    except (Fail, subprocess.TimeoutExpired) as e:
        print("FAIL: %s" % e, flush=True)
        if os.path.exists(SYSLOG):
            print("---- syslog (tail) ----\n" + log()[-6000:])
        sys.exit(1)
    print("debian13: all passed", flush=True)
