"""spam-relays - the Received chain lib/spam/received*.c builds, against
SpamAssassin's own (Message::Metadata::Received), message by message over
the whole corpus.

tests/spam/sa_relays.pl (Debian's SpamAssassin, no rules run) and
tests/spam/relay_dump print per message the unparseable count, the last
trusted and internal Received indices and the X-Spam-Relays-Trusted and
-Untrusted strings; every line must be equal (docs/spam-parity.md,
"Received fields").

  test_relays.py RELAY_DUMP SA_RELAYS_PL CORPUS WORKDIR

Skips (exit 77) when SpamAssassin's Perl modules or the corpus are
missing. About 6 s (SpamAssassin 4 s, relay_dump 1 s).
"""

import os
import subprocess
import sys

import spamtest


def files_of(corpus):
    out = []
    for cls in ("spam", "ham", "hard-ham"):
        d = os.path.join(corpus, cls)
        out += [os.path.join(d, x) for x in sorted(os.listdir(d))
                if not x.startswith(".")]
    return out


def run(cmd, files):
    r = subprocess.run(cmd + files, capture_output=True, text=True,
                       errors="replace", timeout=600)
    lines = {}
    for line in r.stdout.splitlines():
        f, _, rest = line.partition("\t")
        lines[f] = rest
    return lines, r.stderr


def main():
    dump, pl, corpus, work = sys.argv[1:5]
    why = spamtest.sa_peer_missing(corpus)
    if why is not None:
        print("SKIP: " + why)
        return 77
    files = files_of(corpus)
    sa, saerr = run(["/usr/bin/perl", pl, os.path.join(work, "sarelays")],
                    files)
    fc, fcerr = run([dump], files)
    if len(sa) != len(files) or len(fc) != len(files):
        print("FAIL: SpamAssassin read %d, relay_dump %d of %d" %
              (len(sa), len(fc), len(files)))
        print(saerr[-2000:], fcerr[-2000:])
        return 1
    bad = [f for f in files if sa[f] != fc[f]]
    for f in bad[:10]:
        print("differ: %s\n  SpamAssassin %s\n  facteur      %s" %
              (f, sa[f], fc[f]))
    print("%d messages, %d with other relays than SpamAssassin's" %
          (len(files), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
