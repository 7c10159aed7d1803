"""fixtures - facteur's own programs, set up for integration tests and the
demo, on top of harness.py.

  REPO                       the source tree (for config-templates/)
  write_conf(path, sections) one facteur.conf (INI) for every program
  Admin(exe, conf)           the `facteur` CLI: admin("domain", "add", ...)
  start_lookup(exe, ...)     facteur-lookup in the foreground on a socket
  start_milter(exe, ...)     a facteur-NAME milter on a unix socket
  render(src, dst, repl)     a config template with its install paths
                             replaced (plain text substitution)
  dovecot_sql_blocks(...)    passdb/userdb blocks over the rendered
                             config-templates/dovecot/dovecot-sql.conf.ext

Daemons run as root in tests (user = empty: no privilege drop), since the
test database belongs to root.
"""

import os

import harness

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TEMPLATES = os.path.join(REPO, "config-templates")

# What the templates hard-code, replaced by render().
INSTALL_DB = "/var/lib/facteur/facteur.sqlite"
INSTALL_MAIL_ROOT = "/var/mail/utilisateurs"


# The sections of milters, whose common key engine = native|libmilter is
# set from FACTEUR_MILTER_ENGINE when the test does not set it.
MILTER_SECTIONS = ("example", "dkim", "scrub", "spam", "blacklist", "milter")


def write_conf(path, sections):
    """Writes an INI file from {section: {key: value}}; returns path."""
    lines = []
    engine = os.environ.get("FACTEUR_MILTER_ENGINE")
    for name, keys in sections.items():
        if engine and name in MILTER_SECTIONS and "engine" not in keys:
            keys = dict(keys, engine=engine)
        lines.append("[%s]" % name)
        for k, v in keys.items():
            lines.append("%s = %s" % (k, v))
        lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path


class Admin:
    """The facteur admin CLI bound to one config file (and so one DB)."""

    def __init__(self, exe, conf, db):
        self.exe = exe
        self.conf = conf
        self.db = db

    def __call__(self, *args, input=None, check=True):
        """Runs facteur -c CONF --db DB ARGS; returns the CompletedProcess
        (raises on a non-zero exit when check)."""
        return harness.run([self.exe, "-c", self.conf, "--db", self.db] +
                           list(args), input=input, check=check)

    def add_user(self, address, password, *opts):
        """facteur user add ADDRESS --password-stdin [opts]."""
        return self("user", "add", address, "--password-stdin", *opts,
                    input=password + "\n")


def start_lookup(exe, conf, logdir, socket_path, db):
    """facteur-lookup -f -c CONF --db DB, serving socketmap on socket_path
    (the conf's [lookup] socket). Returns the harness.Daemon."""
    return harness.Daemon(
        [exe, "-f", "-c", conf, "--db", db], "facteur-lookup", logdir,
        ready=lambda: harness.unix_socket_open(socket_path))


def start_milter(exe, conf, logdir, socket_path, name):
    """A facteur milter -f -c CONF listening on unix:socket_path."""
    return harness.Daemon([exe, "-f", "-c", conf], name, logdir,
                          ready=lambda: harness.unix_socket_open(
                              socket_path))


def render(src, dst, replacements):
    """Copies the template src (relative to config-templates/) to dst with
    each (old, new) of replacements substituted; returns dst. Raises if a
    replacement does not occur, so a moved path in a template is noticed."""
    with open(os.path.join(TEMPLATES, src)) as f:
        text = f.read()
    for old, new in replacements:
        if old not in text:
            raise ValueError("template %s has no %r" % (src, old))
        text = text.replace(old, new)
    with open(dst, "w") as f:
        f.write(text)
    return dst


def dovecot_sql_blocks(dst, db, mail_root, uid, gid):
    """Renders dovecot-sql.conf.ext for db and mail_root (default mail
    uid/gid -> uid/gid) into dst; returns (passdb, userdb) blocks for
    harness.Dovecot."""
    with open(os.path.join(TEMPLATES, "dovecot",
                           "dovecot-sql.conf.ext")) as f:
        text = f.read()
    text = text.replace(INSTALL_DB, db)
    text = text.replace(INSTALL_MAIL_ROOT + "/", mail_root.rstrip("/") + "/")
    # the default mail user of the template (ELSE <uid>)
    text = text.replace("ELSE 3000 END AS uid", "ELSE %d END AS uid" % uid)
    text = text.replace("ELSE 3000 END AS gid", "ELSE %d END AS gid" % gid)
    with open(dst, "w") as f:
        f.write(text)
    passdb = "passdb {\n  driver = sql\n  args = %s\n}" % dst
    userdb = "userdb {\n  driver = sql\n  args = %s\n}" % dst
    return passdb, userdb


def exe_args(argv, names):
    """Maps test arguments (paths of built binaries, in order) to names.
    A missing argument exits 2; a binary not built exits 1: meson builds
    every binary before it runs a test, so either is a harness bug, and a
    skip would hide it (issue 13 item 6)."""
    if len(argv) <= len(names):
        print("usage: %s %s" % (argv[0], " ".join(n.upper() for n in names)))
        raise SystemExit(2)
    out = {}
    for n, p in zip(names, argv[1:]):
        if not os.access(p, os.X_OK):
            print("FAIL: %s not built (%s)" % (n, p))
            raise SystemExit(1)
        out[n] = os.path.abspath(p)
    return out
