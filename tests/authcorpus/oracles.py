"""tests/authcorpus/oracles.py - the reference implementations the
corpus is compared with: dkimpy (in process), OpenDKIM and OpenDMARC
(Debian's milters, private configs and sockets in a temp dir, driven
over the milter protocol like facteur-dkim).

Each oracle gives, per message, the comparable parts of a verdict:
  dkim   sorted tuple of "pass"/"nopass", one per signature it evaluated
  dmarc  "reject" when it refused the message, else its dmarc= result
"""
import os
import re
import shutil
import signal
import subprocess
import time

import authenv
import dkim

OPENDKIM = shutil.which("opendkim") or "/usr/sbin/opendkim"
OPENDMARC = shutil.which("opendmarc") or "/usr/sbin/opendmarc"
PSL = "/usr/share/publicsuffix/public_suffix_list.dat"
ODK_ID, ODM_ID = "odk.test", "odm.test"


def summary(results):
    """('nopass', 'pass', ...) of a list of dkim= results; none drops."""
    return tuple(sorted("pass" if r == "pass" else "nopass"
                        for r in results if r != "none"))


def dkimpy(msg):
    """dkimpy's verdict on every DKIM-Signature field, top down, DNS
    through the namespace's resolv.conf (our Knot)."""
    try:
        d = dkim.DKIM(msg, minkey=1024, timeout=3)
        n = len([h for h in d.headers if h[0].lower() == b"dkim-signature"])
    except Exception:
        return ("error",)
    out = []
    for i in range(n):
        try:
            ok = dkim.DKIM(msg, minkey=1024, timeout=3).verify(idx=i)
        except Exception:
            ok = False
        out.append("pass" if ok else "nopass")
    return tuple(sorted(out))


def dkimpy_arc(msg):
    """dkimpy's ARC chain validation (cv=) when the message has ARC
    fields, else None."""
    if b"\nARC-Seal:" not in b"\n" + msg:
        return None
    try:
        import authres  # noqa: F401  dkimpy's ARC needs it
    except ImportError:
        return None
    try:
        cv, _, _ = dkim.arc_verify(msg, timeout=3)
        return cv.decode() if isinstance(cv, bytes) else str(cv)
    except Exception as e:
        return "error:%s" % type(e).__name__


class Milter:
    """A Debian milter (opendkim, opendmarc) in the foreground on a
    unix socket in its own directory."""

    def __init__(self, argv, d, sock, name):
        self.dir, self.sock = d, sock
        self.logpath = os.path.join(d, name + ".log")
        log = open(self.logpath, "wb")
        self.p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
        log.close()
        end = time.monotonic() + 15
        while not os.path.exists(sock) and time.monotonic() < end:
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        if not os.path.exists(sock):
            self.close()
            raise RuntimeError("%s did not start: %s" % (name, self.log()))

    def log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def close(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def start_opendkim(tmp):
    d = os.path.join(tmp, "opendkim")
    os.makedirs(d, exist_ok=True)
    sock = os.path.join(d, "odk.sock")
    conf = os.path.join(d, "opendkim.conf")
    with open(conf, "w") as f:
        f.write("Syslog no\nBackground no\nMode v\nSocket local:%s\n"
                "PidFile %s/pid\nAuthservID %s\nAlwaysAddARHeader yes\n"
                "Nameservers 127.0.0.1\nDNSTimeout 3\n"
                "InternalHosts 192.0.2.255\nMinimumKeyBits 1024\n"
                "SoftwareHeader no\n" % (sock, d, ODK_ID))
    return Milter([OPENDKIM, "-f", "-x", conf], d, sock, "opendkim")


def start_opendmarc(tmp):
    """OpenDMARC trusting OpenDKIM's A-R, refusing p=reject failures,
    authenticated clients not ignored, no reports, SPF not used (the
    corpus has none: facteur runs with spf = no)."""
    d = os.path.join(tmp, "opendmarc")
    os.makedirs(d, exist_ok=True)
    sock = os.path.join(d, "odm.sock")
    conf = os.path.join(d, "opendmarc.conf")
    ignore = os.path.join(d, "ignore-hosts")
    with open(ignore, "w") as f:
        f.write("192.0.2.255\n")
    with open(conf, "w") as f:
        f.write("Syslog false\nBackground false\nSocket local:%s\n"
                "PidFile %s/pid\nAuthservID %s\nTrustedAuthservIDs %s\n"
                "IgnoreHosts %s\nIgnoreAuthenticatedClients false\n"
                "RejectFailures true\nRejectMultiValueFrom true\n"
                "RequiredHeaders false\nFailureReports false\n"
                "SPFIgnoreResults true\nSPFSelfValidate false\n"
                "PublicSuffixList %s\nSoftwareHeader false\n"
                "DNSTimeout 3\n" % (sock, d, ODM_ID, ODK_ID, ignore, PSL))
    return Milter([OPENDMARC, "-f", "-c", conf], d, sock, "opendmarc")


def available():
    """Names of the missing Debian oracles ([] = all there)."""
    return [p for p in (OPENDKIM, OPENDMARC) if not os.access(p, os.X_OK)]


def debian(odk, odm, msg):
    """(OpenDKIM's dkim summary, OpenDMARC's outcome, raw texts): the
    message through OpenDKIM, then, with OpenDKIM's A-R on top as
    Postfix shows it to the next milter, through OpenDMARC."""
    r1 = authenv.send(odk.sock, msg)
    ars = authenv.ar_values(r1, ODK_ID)
    dk = summary(re.findall(r"\bdkim=([a-z]+)", " ".join(ars)))
    if r1.action in ("reject", "tempfail"):
        return ("milter-" + r1.action,), r1.action, ars
    extra = [(b"Authentication-Results", (" " + a.lstrip()).encode(
        "utf-8", "surrogateescape")) for a in ars]
    r2 = authenv.send(odm.sock, msg, extra_headers=extra)
    a2 = authenv.ar_values(r2, ODM_ID)
    m = re.search(r"\bdmarc=([a-z]+)", " ".join(a2))
    if r2.action == "reject":
        dm = "reject"
    elif r2.action == "tempfail":
        dm = "tempfail"
    else:
        dm = m.group(1) if m else "absent"
    return dk, dm, ars + a2
