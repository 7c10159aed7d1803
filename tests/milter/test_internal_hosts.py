#!/usr/bin/python3
"""Black-box test of internal_hosts, the CIDR list of four milters, through
each real binary's --check-config (and facteur-milter's, which reads them
all): a bad block is an error naming FILE:LINE, the key and the block; a
good list, over indented continuation lines, is OK.

Issue 10, finding 8: facteur-spam read "192.0.2.0/" as /0 (atoi) and said
"configuration OK"; dkim, scrub and blacklist each had a parser of their
own, with their own errors and no line number.

Also [spam]'s scores (cfg's decimal type): "5.0x" or "nan" is an error
naming FILE:LINE; they were text converted with strtod after the file was
read, with no line, and "nan" (which compares false with every score) was
accepted.

And cfg's list type (issue 13): [dkim] sign_daemons and [scrub]
remove_headers are split and checked when the file is read, so a control
or 8-bit byte is an error naming FILE:LINE (both were strings split again
at every message; dkim took any byte), and they go on over indented lines.

usage: test_internal_hosts.py SPAM DKIM SCRUB BLACKLIST MILTER TMPDIR_PARENT
"""

import os
import shutil
import subprocess
import sys
import tempfile

SPAM, DKIM, SCRUB, BLACKLIST, CHAIN = (os.path.abspath(p)
                                      for p in sys.argv[1:6])
PARENT = os.path.abspath(sys.argv[6])
FAILS = []

# Bad blocks, each with a word of the reason the error must give.
BAD = [
    ("192.0.2.0/", "empty prefix"),
    ("2001:db8::/", "empty prefix"),
    ("10.0.0.0/33", "over 32"),
    ("2001:db8::/129", "128"),
    ("10.0.0.0/8x", "not a plain decimal"),
    ("10.0.0.0/08", "not a plain decimal"),
    ("10.0.0.0x/8", "not an IPv4 or IPv6 address"),
    ("mail.example.org", "not an IPv4 or IPv6 address"),
]


def check(cond, what, got=None):
    if cond:
        print("ok   " + what)
        return
    msg = "FAIL " + what + ("" if got is None else ": got %r" % (got,))
    print(msg)
    FAILS.append(msg)


def programs(d):
    """(name, binary, section, lines every config of it needs)."""
    rules = os.path.join(d, "rules.cf")
    with open(rules, "w") as f:
        f.write("body T_X /xyzzy/\nscore T_X 1\n")
    spam = ["rules_path = %s" % rules, "bayes_path =", "cache_dir ="]
    db = ["[database]", "path = %s" % os.path.join(d, "none.sqlite")]
    return [
        ("facteur-spam", SPAM, "spam", spam),
        ("facteur-dkim", DKIM, "dkim", []),
        ("facteur-scrub", SCRUB, "scrub", []),
        ("facteur-blacklist", BLACKLIST, "blacklist", []),
        ("facteur-milter", CHAIN, "dkim",
         ["[milter]", "modules = blacklist, scrub, dkim, spam", "[spam]"] +
         spam),
    ], db


def write(d, name, lines):
    p = os.path.join(d, name)
    with open(p, "w") as f:
        f.write("\n".join(lines) + "\n")
    return p


def check_config(binary, conf):
    r = subprocess.run([binary, "-c", conf, "--check-config"],
                       capture_output=True, text=True, timeout=60)
    return r.returncode, (r.stdout + r.stderr).strip()


def config(section, base, db, key_lines):
    """The file's lines and the line number of the first key line."""
    lines = ["; internal_hosts test"]
    if base and base[0].startswith("["):
        lines += base
        base = []
    lines += ["[%s]" % section] + base + [""]
    first = len(lines) + 1
    return lines + key_lines + db, first


def test_program(d, name, binary, section, base, db):
    for i, (bad, why) in enumerate(BAD):
        # the bad block second on its line, after a good one
        lines, ln = config(section, base, db,
                           ["internal_hosts = 127.0.0.0/8, %s ::1" % bad])
        conf = write(d, "%s-bad%d.conf" % (section, i), lines)
        rc, err = check_config(binary, conf)
        want = '%s:%d: internal_hosts: "%s"' % (conf, ln, bad)
        check(rc != 0 and want in err and why in err,
              "%s refuses %r at FILE:LINE, saying %r" % (name, bad, why),
              (rc, err))
    # a list over continuation lines; the bad block on the third line
    lines, ln = config(section, base, db,
                       ["internal_hosts = 10.0.0.0/8,", "  192.168.0.0/16",
                        "  2001:db8::/32 192.0.2.0/"])
    conf = write(d, "%s-cont.conf" % section, lines)
    rc, err = check_config(binary, conf)
    want = '%s:%d: internal_hosts: "192.0.2.0/"' % (conf, ln + 2)
    check(rc != 0 and want in err,
          "%s names the continuation line of a bad block" % name, (rc, err))
    # 65 blocks, 8 a line: the 65th is on the 9th line of the key
    key = ["internal_hosts ="] + [
        "  " + " ".join("10.%d.0.0/16" % (8 * j + k) for k in range(8)
                        if 8 * j + k <= 64) for j in range(9)]
    lines, ln = config(section, base, db, key)
    conf = write(d, "%s-many.conf" % section, lines)
    rc, err = check_config(binary, conf)
    want = '%s:%d: internal_hosts: "10.64.0.0/16"' % (conf, ln + 9)
    check(rc != 0 and want in err and "at most 64" in err,
          "%s refuses a 65th block" % name, (rc, err))
    # the good forms: commas, blanks, continuation, IPv6, a plain address
    lines, ln = config(section, base, db,
                       ["internal_hosts = 10.0.0.0/8, 192.0.2.7",
                        "\t2001:db8::/32 ::1 ::ffff:10.0.0.0/104"])
    conf = write(d, "%s-good.conf" % section, lines)
    rc, err = check_config(binary, conf)
    check(rc == 0 and "configuration OK" in err,
          "%s accepts a good list over two lines" % name, (rc, err))
    lines, ln = config(section, base, db, ["internal_hosts ="])
    conf = write(d, "%s-empty.conf" % section, lines)
    rc, err = check_config(binary, conf)
    check(rc == 0, "%s accepts an empty list" % name, (rc, err))


def test_scores(d, base):
    keys = ["required_score", "reject_score",
            "bayes_auto_learn_threshold_spam",
            "bayes_auto_learn_threshold_nonspam"]
    for i, (key, bad) in enumerate([(keys[0], "5.0x"), (keys[1], "nan"),
                                    (keys[2], "1e3"), (keys[3], "0,1"),
                                    (keys[0], "10000.5")]):
        lines, ln = config("spam", base, [], ["%s = %s" % (key, bad)])
        conf = write(d, "score%d.conf" % i, lines)
        rc, err = check_config(SPAM, conf)
        check(rc != 0 and ("%s:%d: %s:" % (conf, ln, key)) in err,
              "facteur-spam refuses %s = %s at FILE:LINE" % (key, bad),
              (rc, err))
    lines, ln = config("spam", base, [], ["required_score = 6.5",
                                          "reject_score = 20",
                                          "bayes_auto_learn_threshold_"
                                          "nonspam = -0.5"])
    conf = write(d, "scores-good.conf", lines)
    rc, err = check_config(SPAM, conf)
    check(rc == 0, "facteur-spam accepts plain decimal scores", (rc, err))


def test_lists(d, progs, db):
    """sign_daemons and remove_headers: cfg's list type."""
    by_name = {p[0]: p for p in progs}
    cases = [("facteur-dkim", "sign_daemons", "ORIGINATING, SUB\x01MISSION",
              "byte 0x1 is not printable ASCII"),
             ("facteur-milter", "sign_daemons", "ORIGINAT\u00c9D",
              "byte 0xc3 is not printable ASCII"),
             ("facteur-scrub", "remove_headers", "X-A X-\x7f",
              "byte 0x7f is not printable ASCII")]
    for i, (name, key, value, why) in enumerate(cases):
        _, binary, section, base = by_name[name]
        lines, ln = config(section, base, db, ["%s = %s" % (key, value)])
        conf = write(d, "list-bad%d.conf" % i, lines)
        rc, err = check_config(binary, conf)
        check(rc != 0 and ("%s:%d: %s: %s" % (conf, ln, key, why)) in err,
              "%s refuses %s = %r at FILE:LINE" % (name, key, value),
              (rc, err))
    _, binary, section, base = by_name["facteur-scrub"]
    lines, ln = config(section, base, db, ["remove_headers = X-A, X-B:C"])
    conf = write(d, "list-colon.conf", lines)
    rc, err = check_config(binary, conf)
    check(rc != 0 and '"X-B:C" is not a header name' in err,
          "facteur-scrub names the remove_headers word with a colon",
          (rc, err))
    for name, key in [("facteur-dkim", "sign_daemons"),
                      ("facteur-scrub", "remove_headers")]:
        _, binary, section, base = by_name[name]
        lines, ln = config(section, base, db, ["%s = A-1," % key,
                                               "  B-2 C-3", "\tD-4"])
        conf = write(d, "list-cont-%s.conf" % section, lines)
        rc, err = check_config(binary, conf)
        check(rc == 0 and "configuration OK" in err,
              "%s takes %s over indented lines" % (name, key), (rc, err))


def main():
    d = tempfile.mkdtemp(prefix="internal-hosts-", dir=PARENT)
    try:
        progs, db = programs(d)
        for name, binary, section, base in progs:
            test_program(d, name, binary, section, base, db)
        # a line longer than inih reads is an error, not a silent split
        lines, ln = config("scrub", [], db, ["internal_hosts = " + ", ".join(
            "10.%d.0.0/16" % i for i in range(20))])
        conf = write(d, "long.conf", lines)
        rc, err = check_config(SCRUB, conf)
        check(rc != 0 and ("%s:%d: line longer than" % (conf, ln)) in err,
              "facteur-scrub refuses a line longer than 199 bytes",
              (rc, err))
        test_scores(d, progs[0][3])
        test_lists(d, progs, db)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)


if __name__ == "__main__":
    main()
