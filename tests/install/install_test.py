#!/usr/bin/python3
"""install_test.py - `meson install` lands where an admin expects, and the
shipped facteur.conf template matches the code and facteur.conf(5).

usage: install_test.py MESON BUILD_ROOT SOURCE_ROOT PREFIX HAVE_SCDOC

1. Installs the build into a scratch DESTDIR (--no-rebuild) and checks the
   binaries, man pages and config-templates are there, that nothing lands
   outside DESTDIR/PREFIX, and that every facteur* executable of the build
   is installed.
2. The systemd units name installed programs, with no @placeholder@ left.
3. Every installed program accepts config-templates/facteur.conf with
   --check-config, as shipped and with every commented default enabled.
4. Every key in the code's tables is in the template and in facteur.conf(5).
5. Every file of config-templates/ has a row in its README.md.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL: " + msg)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          **kw)


def install(meson, build, dest):
    r = run([meson, "install", "-C", build, "--no-rebuild", "--quiet",
             "--destdir", dest])
    if r.returncode != 0:
        fail("meson install: got exit %d, want 0: %s" %
             (r.returncode, r.stderr.strip()))
        return False
    return True


def check_layout(dest, prefix, scdoc):
    root = dest + prefix
    want = ["bin/facteur", "sbin/facteur-lookup", "sbin/facteur-example"]
    tdir = "share/facteur/config-templates/"
    want += [tdir + p for p in [
        "README.md", "facteur.conf", "sysusers.d/facteur.conf",
        "tmpfiles.d/facteur.conf", "systemd/facteur-lookup.service",
        "systemd/facteur-example.service", "systemd/facteur-milter@.service",
        "dovecot/dovecot-sql.conf.ext", "postfix/main.cf.socketmap",
        "postfix/sqlite/virtual_mailbox_maps.cf",
        "postfix/master.cf.submission", "postfix/submission_header_checks"]]
    if scdoc:
        want += ["share/man/man1/facteur.1", "share/man/man5/facteur.conf.5",
                 "share/man/man8/facteur-lookup.8",
                 "share/man/man8/facteur-example.8"]
    for p in want:
        if not os.path.isfile(os.path.join(root, p)):
            fail("installed %s: got missing, want a file" % p)
    for p in ["bin/facteur", "sbin/facteur-lookup", "sbin/facteur-example"]:
        f = os.path.join(root, p)
        if os.path.isfile(f) and not os.access(f, os.X_OK):
            fail("installed %s: got not executable, want mode +x" % p)
    for d, _, files in os.walk(dest):
        for f in files:
            path = os.path.join(d, f)
            if not path.startswith(root + "/"):
                fail("installed %s: got outside PREFIX %s" % (path, prefix))


def check_all_programs_installed(meson, build):
    r = run([meson, "introspect", build, "--targets"])
    if r.returncode != 0:
        fail("meson introspect: %s" % r.stderr.strip())
        return
    for t in json.loads(r.stdout):
        if t["type"] == "executable" and t["name"].startswith("facteur") \
                and not t["name"].endswith("_test") and not t["installed"]:
            fail("executable %s: got install: false, want true" % t["name"])


def check_units(dest, prefix):
    udir = dest + prefix + "/share/facteur/config-templates/systemd"
    for u in sorted(os.listdir(udir)) if os.path.isdir(udir) else []:
        text = open(os.path.join(udir, u)).read()
        if re.search(r"@[a-z_]+@", text):
            fail("%s: got an unsubstituted @placeholder@" % u)
        for m in re.finditer(r"^Exec\w+=(\S+)", text, re.M):
            exe = m.group(1).replace("%i", "example")
            if not os.path.isfile(dest + exe):
                fail("%s: runs %s, got not installed" % (u, exe))


def enable_defaults(src, dst):
    """Every '#key = value' line uncommented: the defaults themselves."""
    with open(src) as f, open(dst, "w") as o:
        for line in f:
            o.write(re.sub(r"^#([a-z_]+ =)", r"\1", line))


def with_rules(src, dst, root):
    """facteur-spam compiles its rules at --check-config: its copy of a
    config points rules_path at the DESTDIR copy (PREFIX is not installed).
    """
    text = re.sub(r"^#?rules_path =.*$",
                  "rules_path = %s/share/facteur/rules" % root,
                  open(src).read(), flags=re.M)
    with open(dst, "w") as o:
        o.write(text)
    return dst


def check_template(dest, prefix, tmp):
    root = dest + prefix
    conf = root + "/share/facteur/config-templates/facteur.conf"
    full = os.path.join(tmp, "defaults.conf")
    enable_defaults(conf, full)
    spam = {c: with_rules(c, os.path.join(tmp, "spam-" + n), root)
            for c, n in ((conf, "template.conf"), (full, "defaults.conf"))}
    progs = []
    for d in ("bin", "sbin"):
        for p in sorted(os.listdir(os.path.join(root, d))):
            if p.startswith("facteur"):
                progs.append(os.path.join(root, d, p))
    for c in (conf, full):
        for p in progs:
            cc = spam[c] if os.path.basename(p) in (
                "facteur-spam", "facteur-milter") else c
            r = run([p, "-c", cc, "--check-config"])
            if r.returncode != 0:
                fail("%s --check-config -c %s: got exit %d, want 0: %s" % (
                    os.path.basename(p), os.path.basename(c), r.returncode,
                    (r.stderr + r.stdout).strip()))


KEY_TABLES = {
    "database": ["lib/cfg.c"],
    "lookup": ["lookup/lk_conf.c"],
    "example": ["lib/milter/settings.c", "milters/example/example.c"],
    "admin": ["admin/main.c"],
    "lmtp": ["delivery/lmtp_conf.c"],
    "dkim": ["lib/milter/settings.c", "milters/dkim/dkim_conf.c"],
    "blacklist": ["lib/milter/settings.c", "milters/blacklist/blpolicy.c"],
    "scrub": ["lib/milter/settings.c", "milters/scrub/module.c"],
    "spam": ["lib/milter/settings.c", "lib/spam/spam_conf.c"],
    "milter": ["lib/milter/settings.c", "milters/chain/chain.c"],
    "av": ["lib/milter/settings.c", "milters/av/av_engine.c"],
}


def code_keys(src):
    keys = {}
    for sec, files in KEY_TABLES.items():
        for f in files:
            path = os.path.join(src, f)
            if not os.path.isfile(path):
                continue
            text = open(path).read()
            keys.setdefault(sec, set()).update(
                re.findall(r'\{\s*"([a-z_]+)",\s*CFG_[A-Z]+', text))
    return keys


def template_keys(path):
    keys, sec = {}, None
    for line in open(path):
        m = re.match(r"^\[([a-z]+)\]", line)
        if m:
            sec = m.group(1)
            keys.setdefault(sec, set())
        m = re.match(r"^#?([a-z_]+) =", line)
        if m and sec:
            keys[sec].add(m.group(1))
    return keys


def man_keys(path):
    """Keys per '# [section]' heading; the common milter keys go to every
    milter section."""
    keys, sec = {}, None
    for line in open(path):
        m = re.match(r"^# (\[([a-z]+)\]|COMMON MILTER KEYS)", line)
        if m:
            sec = m.group(2) or "common"
            keys.setdefault(sec, set())
            continue
        if line.startswith("# "):
            sec = None
        if sec and not line.startswith("\t"):
            keys[sec].update(re.findall(r"\*([a-z_]+)\* =", line))
    for milter in ("example", "dkim", "blacklist", "scrub", "spam",
                   "milter", "av"):
        keys.setdefault(milter, set()).update(keys.get("common", set()))
    return keys


def check_keys(src):
    code = code_keys(src)
    tmpl = template_keys(os.path.join(src, "config-templates/facteur.conf"))
    man = man_keys(os.path.join(src, "man/facteur.conf.5.scd"))
    for sec, ks in sorted(code.items()):
        for k in sorted(ks):
            if k not in tmpl.get(sec, set()):
                fail("[%s] %s: in the code, got missing from "
                     "config-templates/facteur.conf" % (sec, k))
            if k not in man.get(sec, set()):
                fail("[%s] %s: in the code, got missing from "
                     "facteur.conf(5)" % (sec, k))
        for k in sorted(tmpl.get(sec, set()) - ks):
            fail("[%s] %s: in the template, got not in the code" % (sec, k))
    if not code.get("lookup") or not code.get("example"):
        fail("key tables: got none parsed, want the [lookup]/[example] keys")


def check_templates_readme(src):
    """Every file of config-templates/ is named in its README.md table
    (the sources' .in dropped; a `dir/*.ext` row covers a folder)."""
    base = os.path.join(src, "config-templates")
    text = open(os.path.join(base, "README.md")).read()
    rows = set(re.findall(r"^\| `([^`]+)`", text, re.M))
    for d, _, files in os.walk(base):
        for f in files:
            rel = os.path.relpath(os.path.join(d, f), base)
            if rel == "README.md":
                continue
            rel = rel[:-3] if rel.endswith(".in") else rel
            glob = os.path.join(os.path.dirname(rel),
                                "*" + os.path.splitext(rel)[1])
            if rel not in rows and glob not in rows:
                fail("config-templates/%s: got missing from "
                     "config-templates/README.md, want a row" % rel)


def main():
    meson, build, src, prefix, scdoc = sys.argv[1:6]
    tmp = tempfile.mkdtemp(prefix="install-test-", dir=build)
    try:
        dest = os.path.join(tmp, "destdir")
        if install(meson, build, dest):
            check_layout(dest, prefix, scdoc == "true")
            check_units(dest, prefix)
            check_template(dest, prefix, tmp)
        check_all_programs_installed(meson, build)
        check_keys(src)
        check_templates_readme(src)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
