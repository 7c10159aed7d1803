"""spamtest - what the facteur-spam black-box tests share: the check()
that records failures, writing a file, and running facteur-spam on a
config for the length of one function (socket wait, SIGTERM, log scan
for sanitizer reports). Standard library only; the tests import it from
their own directory.
"""

import os
import signal
import socket
import subprocess
import time

FAILS = []


def sa_peer_missing(corpus):
    """Why a SpamAssassin-oracle test must skip (the missing optional
    peer, named), or None: Debian's Mail::SpamAssassin for
    /usr/bin/perl, and the shared corpus."""
    if subprocess.run(["/usr/bin/perl", "-MMail::SpamAssassin", "-e", "1"],
                      capture_output=True).returncode != 0:
        return "Debian's spamassassin (Mail::SpamAssassin) missing"
    if not os.path.isdir(os.path.join(corpus, "spam")):
        return "corpus %s missing" % corpus
    return None


def check(cond, what, got=None, want=None):
    if cond:
        print("ok   " + what)
        return
    msg = "FAIL " + what
    if got is not None or want is not None:
        msg += ": got %r, want %r" % (got, want)
    print(msg)
    FAILS.append(msg)


def write(d, name, text):
    p = os.path.join(d, name)
    with open(p, "w") as f:
        f.write(text)
    return p


def wait_socket(path, proc, deadline=60.0):
    """True once path accepts a connection; False if proc exits first or
    the deadline passes."""
    end = time.monotonic() + deadline
    while time.monotonic() < end and proc.poll() is None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return True
        except OSError:
            time.sleep(0.1)
        finally:
            s.close()
    return False


def run_milter(spam, d, name, conf, fn, client):
    """Runs `spam -f -c conf` (its socket is d/spam.sock), calls
    fn(client("unix:" + socket)), stops it, and checks its log (d/NAME.log)
    holds no sanitizer report."""
    sock = os.path.join(d, "spam.sock")
    logp = os.path.join(d, name + ".log")
    engine = os.environ.get("FACTEUR_MILTER_ENGINE")
    if engine:  # the *-libmilter tests (tests/meson.build): one [spam]
        with open(conf, "a") as f:
            f.write("\nengine = %s\n" % engine)
    with open(logp, "w") as log:
        proc = subprocess.Popen([spam, "-f", "-c", conf], stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            up = wait_socket(sock, proc)
            check(up, "facteur-spam listens (%s)" % name)
            if up:
                fn(client("unix:" + sock))
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
            if os.path.exists(sock):
                os.unlink(sock)
    with open(logp) as f:
        text = f.read()
    check("ERROR: AddressSanitizer" not in text and
          "runtime error:" not in text, "no sanitizer report (%s)" % name,
          text[-2000:])
    if engine:
        check("(%s engine)" % engine in text,
              "facteur-spam listened with the %s engine (%s)" %
              (engine, name), text[-2000:])
