#!/usr/bin/python3
"""tests/chain/test_chain_postfix.py - facteur-milter in a real Postfix:

    smtpd_milters = unix:<tmp>/milter.sock      (the one socket)

with all four modules. Postfix's client is 127.0.0.1: [dkim] signs for
it (internal_hosts), [spam] scores it (score_authenticated = yes), and
[blacklist] has no internal hosts, so it judges the sender:

  - a plain message is delivered DKIM-signed (dkimpy verifies it with the
    record of 'facteur dkim keygen', no DNS) and scored X-Spam-Flag: NO;
  - a GTUBE message is delivered with X-Spam-Flag: YES;
  - a blacklisted sender is refused at MAIL FROM with its stored reply.

usage: test_chain_postfix.py FACTEUR-MILTER FACTEUR   (as root)
"""
import os
import re
import smtplib
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import fixtures  # noqa: E402
import harness  # noqa: E402

MILTER, FACTEUR = [os.path.abspath(a) for a in sys.argv[1:3]]
GTUBE = ("XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*"
         "C.34X")
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def database(tmp, conf):
    # blacklist reads the database per message as nobody:postfix; SQLite
    # (WAL) creates -wal/-shm with the owner: group postfix gets both.
    gid = harness.grp.getgrnam("postfix").gr_gid
    dbdir = os.path.join(tmp, "db")
    os.mkdir(dbdir)
    os.chown(dbdir, 0, gid)
    os.chmod(dbdir, 0o770)
    db = os.path.join(dbdir, "facteur.sqlite")
    admin = fixtures.Admin(FACTEUR, conf, db)
    admin("db", "init")
    os.chown(db, 0, gid)
    os.chmod(db, 0o660)
    admin("blacklist", "sender", "add", "spammer@bad.example", "--code",
          "550", "--enhanced", "5.7.1", "--message", "Go away, 100% spam")
    out = admin("dkim", "keygen", "example.org", "--selector", "pf1",
                "--keys-dir", os.path.join(tmp, "keys")).stdout
    return "".join(re.findall(r'"([^"]*)"', out))


def write_conf(tmp, sock):
    rules = os.path.join(tmp, "chain.cf")
    with open(rules, "w") as f:
        f.write("body CH_LUNCH /lunch/\nscore CH_LUNCH 0.1\n")
    return fixtures.write_conf(os.path.join(tmp, "facteur.conf"), {
        "database": {"path": os.path.join(tmp, "db", "facteur.sqlite")},
        "admin": {"dkim_user": "root"},
        "milter": {"socket": "unix:" + sock, "socket_mode": "0660",
                   "user": "nobody", "group": "postfix"},
        "blacklist": {"internal_hosts": "", "dnsbl_zones": ""},
        "dkim": {"authserv_id": "mx.facteur.test",
                 "resolver": "127.0.0.1@9", "spf": "no", "dmarc": "no"},
        "spam": {"rules_path": rules, "bayes_path": "", "cache_dir": "",
                 "score_authenticated": "yes", "network_tests": "no"},
    })


def delivered(pf, subject):
    want = ("Subject: %s\n" % subject).encode()

    def find():
        for p in pf.deliveries("example.org/bob/"):
            with open(p, "rb") as f:
                raw = f.read()
            if want in raw:
                return raw.decode("utf-8", "replace")
        return None
    try:
        return harness.wait_for(find, 30, what="delivery of %r" % subject)
    except TimeoutError as e:
        check(False, "%s\nqueue:\n%s\nmaillog:\n%s" % (
            e, pf.queue(), pf.log()[-3000:]))
        return ""


def send(pf, sender, subject, body):
    msg = ("From: <%s>\r\nTo: <bob@example.org>\r\nSubject: %s\r\n"
           "Message-ID: <%s@example.org>\r\n\r\n%s\r\n" % (
               sender, subject, subject.replace(" ", "."), body))
    with smtplib.SMTP(pf.host, pf.port, timeout=30) as s:
        s.ehlo("client.test")
        s.sendmail(sender, ["bob@example.org"], msg)


def header(raw, name):
    head = raw.split("\n\n", 1)[0]
    return re.findall(r"(?mi)^%s:[ \t]*(.*(?:\n[ \t].*)*)" % name, head)


def dkimpy_verify(raw, rec):
    import dkim

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return rec.encode() if name.rstrip(".") == \
            "pf1._domainkey.example.org" else None
    msg = raw.encode().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return dkim.verify(msg, dnsfunc=dnsfunc)


def run(tmp):
    sock = os.path.join(tmp.path, "milter.sock")
    conf = write_conf(tmp.path, sock)
    rec = database(tmp.path, conf)
    milter = fixtures.start_milter(MILTER, conf, tmp.path, sock,
                                   "facteur-milter")
    pf = None
    try:
        pf = harness.Postfix(os.path.join(tmp.path, "postfix"),
                             main_cf_extra={
            "virtual_mailbox_domains": "example.org",
            "virtual_mailbox_maps": "inline:{bob@example.org="
                                    "example.org/bob/}",
            "smtpd_milters": "unix:" + sock,
            "milter_default_action": "tempfail",
        })
        subj = "lunch " + os.path.basename(tmp.path)
        send(pf, "alice@example.org", subj, "Hi Bob,\r\nlunch at noon?")
        raw = delivered(pf, subj)
        check(len(header(raw, "DKIM-Signature")) == 1,
              "delivered with one DKIM-Signature")
        check(dkimpy_verify(raw, rec), "dkimpy verifies the signature")
        check(header(raw, "X-Spam-Flag") == ["NO"] and
              "CH_LUNCH" in "".join(header(raw, "X-Spam-Status")),
              "delivered scored: %r" % header(raw, "X-Spam-Status"))
        subj = "gtube " + os.path.basename(tmp.path)
        send(pf, "alice@example.org", subj, GTUBE)
        raw = delivered(pf, subj)
        check(header(raw, "X-Spam-Flag") == ["YES"],
              "GTUBE delivered with X-Spam-Flag: YES: %r" %
              header(raw, "X-Spam-Flag"))
        try:
            send(pf, "spammer@bad.example", "refused", "x")
            check(False, "blacklisted sender refused: got accepted")
        except smtplib.SMTPSenderRefused as e:
            check(e.smtp_code == 550 and b"5.7.1 Go away, 100% spam" in
                  e.smtp_error, "blacklisted sender refused with the "
                  "stored reply: %d %r" % (e.smtp_code, e.smtp_error))
    finally:
        if pf is not None:
            pf.close()
        milter.close()
        rep = milter.sanitizer_report()
        check(not rep, "facteur-milter: no sanitizer report: %s" % rep)
        if FAILS:
            print(milter.log()[-4000:])
            tmp.keep = True


def main():
    tmp = harness.TmpDir("chainpf")
    try:
        run(tmp)
    finally:
        tmp.close()
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)


main()
