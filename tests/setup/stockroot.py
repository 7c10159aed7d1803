"""A stock Debian 12 mail server's configuration tree, built in a
temporary directory the way the packages' maintainer scripts build /:

- postfix, debconf "Internet Site" with its default answers
  (postfix.postinst): master.cf from /usr/share/postfix/master.cf.dist,
  main.cf from main.cf.debian + main.cf.tls (ssl-cert's snakeoil pair,
  which dovecot-core pulls in), then the same `postconf -e` calls the
  postinst makes; /etc/aliases with "postmaster: root" and its .db
  (newaliases), /etc/mailname, dynamicmaps.cf as this machine's
  postfix-sqlite left it;
- dovecot-core/imapd/lmtpd/sieve/sqlite: the conffiles dovecot-core's
  postinst copies from /usr/share/dovecot (ucf) with its modes (the
  top-level *.ext 0640 root:dovecot), the conf.d files the other
  packages ship, private/ 0700 with the snakeoil links;
- /etc/passwd, group, shadow, gshadow: this machine's, so that the
  postfix and dovecot ids are the real ones.

This machine's own /etc/postfix is not used: tests may have changed it.
Only /usr/bin/python3's standard library is needed."""

import os
import shutil
import subprocess

# dovecot-core's postinst CONFFILES, then the conf.d files of
# dovecot-imapd, -lmtpd and -sieve (dpkg conffiles, same text as
# /usr/share/dovecot/conf.d).
DOVECOT_CORE = [
    "dovecot.conf", "dovecot-dict-auth.conf.ext", "dovecot-dict-sql.conf.ext",
    "dovecot-sql.conf.ext", "conf.d/10-auth.conf", "conf.d/10-director.conf",
    "conf.d/10-logging.conf", "conf.d/10-mail.conf", "conf.d/10-master.conf",
    "conf.d/10-ssl.conf", "conf.d/10-tcpwrapper.conf", "conf.d/15-lda.conf",
    "conf.d/15-mailboxes.conf", "conf.d/90-acl.conf", "conf.d/90-plugin.conf",
    "conf.d/90-quota.conf", "conf.d/auth-checkpassword.conf.ext",
    "conf.d/auth-deny.conf.ext", "conf.d/auth-dict.conf.ext",
    "conf.d/auth-master.conf.ext", "conf.d/auth-passwdfile.conf.ext",
    "conf.d/auth-sql.conf.ext", "conf.d/auth-static.conf.ext",
    "conf.d/auth-system.conf.ext",
]
DOVECOT_OTHERS = ["conf.d/20-imap.conf", "conf.d/20-lmtp.conf",
                  "conf.d/90-sieve.conf", "conf.d/90-sieve-extprograms.conf"]

HOSTNAME = "mail.example.org"
DOMAIN = "example.org"


def _postconf(confdir, *settings):
    subprocess.run(["/usr/sbin/postconf", "-c", confdir, "-e"]
                   + list(settings), check=True, capture_output=True)


def _postfix(root):
    etc = os.path.join(root, "etc")
    pf = os.path.join(etc, "postfix")
    os.makedirs(os.path.join(pf, "sasl"))
    os.makedirs(os.path.join(pf, "dynamicmaps.cf.d"))
    shutil.copy("/usr/share/postfix/master.cf.dist",
                os.path.join(pf, "master.cf"))
    with open(os.path.join(pf, "main.cf"), "w") as out:
        for src in ("main.cf.debian", "main.cf.tls"):
            with open("/usr/share/postfix/" + src) as f:
                out.write(f.read())
    for f in ("dynamicmaps.cf", "postfix-files", "postfix-script",
              "post-install", "makedefs.out"):
        if os.path.exists("/etc/postfix/" + f):
            shutil.copy2("/etc/postfix/" + f, os.path.join(pf, f))
    shutil.copy("/usr/share/postfix/main.cf.dist",
                os.path.join(pf, "main.cf.proto"))
    shutil.copy("/usr/share/postfix/master.cf.dist",
                os.path.join(pf, "master.cf.proto"))
    _postconf(pf, "smtpd_relay_restrictions=permit_mynetworks "
              "permit_sasl_authenticated defer_unauth_destination")
    # The debconf answers of "Internet Site", each set by postinst.
    for s in ("myhostname=" + HOSTNAME, "alias_maps=hash:/etc/aliases",
              "alias_database=hash:/etc/aliases",
              "myorigin=/etc/mailname",
              "mydestination=$myhostname, %s, localhost.%s, , localhost"
              % (HOSTNAME, DOMAIN),
              "relayhost=",
              "mynetworks=127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128",
              "mailbox_size_limit=0", "recipient_delimiter=+",
              "inet_interfaces=all", "inet_protocols=all"):
        _postconf(pf, s)
    with open(os.path.join(etc, "mailname"), "w") as f:
        f.write(HOSTNAME + "\n")
    with open(os.path.join(etc, "aliases"), "w") as f:
        f.write("# See man 5 aliases for format\npostmaster:    root\n")
    # newaliases; with a scratch, empty main.cf: the tree's names
    # myorigin = /etc/mailname, this machine's, which may not exist.
    scratch = os.path.join(root, ".postalias")
    os.makedirs(scratch)
    open(os.path.join(scratch, "main.cf"), "w").close()
    subprocess.run(["/usr/sbin/postalias", "-c", scratch,
                    os.path.join(etc, "aliases")], check=True)
    shutil.rmtree(scratch)
    for d, mode in (("var/spool/postfix", 0o755), ("var/lib/postfix", 0o755),
                    ("var/mail", 0o2775), ("var/backups", 0o755)):
        os.makedirs(os.path.join(root, d), exist_ok=True)
        os.chmod(os.path.join(root, d), mode)


def _dovecot(root):
    dv = os.path.join(root, "etc", "dovecot")
    os.makedirs(os.path.join(dv, "conf.d"))
    gid = _gid("dovecot")
    for rel in DOVECOT_CORE + DOVECOT_OTHERS:
        dst = os.path.join(dv, rel)
        shutil.copy("/usr/share/dovecot/" + rel, dst)
        os.chmod(dst, 0o644)
        if "/" not in rel and rel != "dovecot.conf":
            os.chmod(dst, 0o640)
            os.chown(dst, 0, gid)
    priv = os.path.join(dv, "private")
    os.makedirs(priv)
    os.chmod(priv, 0o700)
    os.symlink("/etc/ssl/certs/ssl-cert-snakeoil.pem",
               os.path.join(priv, "dovecot.pem"))
    os.symlink("/etc/ssl/private/ssl-cert-snakeoil.key",
               os.path.join(priv, "dovecot.key"))


def _gid(name):
    with open("/etc/group") as f:
        for line in f:
            if line.split(":")[0] == name:
                return int(line.split(":")[2])
    raise KeyError(name)


def _accounts(root):
    for f, mode in (("passwd", 0o644), ("group", 0o644), ("shadow", 0o640),
                    ("gshadow", 0o640)):
        with open("/etc/" + f) as src:
            lines = [l for l in src if l.split(":")[0] not in
                     ("facteur", "facteur-dkim", "vmail")]
        dst = os.path.join(root, "etc", f)
        with open(dst, "w") as out:
            out.writelines(lines)
        os.chmod(dst, mode)
        if f in ("shadow", "gshadow"):
            os.chown(dst, 0, _gid("shadow"))


def build(root):
    """Fills root (an empty directory) with the stock tree."""
    os.makedirs(os.path.join(root, "etc"), exist_ok=True)
    _accounts(root)
    _postfix(root)
    _dovecot(root)


def tree_state(root, skip=()):
    """{relative path: (type, mode, uid, gid, content or link)} of every
    file, directory and link under root: two equal states are the same
    tree byte for byte, modes and owners too. skip: relative paths left
    out (with what is below them)."""
    import hashlib
    state = {}
    for dirpath, dirs, files in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirs[:] = [d for d in dirs if os.path.normpath(
            os.path.join(rel_dir, d)) not in skip]
        for name in dirs + files:
            path = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if rel in skip:
                continue
            st = os.lstat(path)
            if os.path.islink(path):
                what = ("link", os.readlink(path))
            elif os.path.isdir(path):
                what = ("dir", "")
            else:
                with open(path, "rb") as f:
                    what = ("file", hashlib.sha256(f.read()).hexdigest())
            state[rel] = (what[0], st.st_mode & 0o7777, st.st_uid,
                          st.st_gid, what[1])
    return state
