"""clamdtest - a private clamd for the av tests, and the infected mail
they send.

    import clamdtest
    cd = clamdtest.Clamd(tmpdir)      # private database + clamd.conf, started
    cd.kill(); cd.start()             # clamd down mid-load, and back
    clamdtest.messages()              # {name: (bytes, signature expected)}

The signature database is written here, never downloaded (these machines
cannot reach freshclam's mirrors): an .ndb body signature for the EICAR
test string (any file type, so it fires on the plain body, the decoded
attachment, the file clamd unpacks from a zip, the nested message) and an
.hdb (MD5:size) for a test attachment's exact bytes. clamd runs in the
foreground with LocalSocket in the test's directory and a StreamMaxLength
of 1M (its own size limit is tested too); a missing clamd is 'SKIP:
missing peer: clamd'.
"""

import base64
import email.utils
import hashlib
import io
import os
import signal
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402

CLAMD = "/usr/sbin/clamd"
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!"
         b"$H+H*")
SIG_EICAR = "Facteur.Test.EICAR.UNOFFICIAL"
SIG_ATTACH = "Facteur.Test.Attachment.UNOFFICIAL"
# A test attachment no real signature knows: only our .hdb names it.
ATTACHMENT = (b"%PDF-1.4 facteur av test attachment\n" +
              bytes(range(256)) * 8)


def require_clamd():
    harness.require_root("clamd and Postfix run as root here")
    harness.require_peers({"clamd": CLAMD})


def write_database(dbdir):
    os.makedirs(dbdir, exist_ok=True)
    with open(os.path.join(dbdir, "facteur.ndb"), "w") as f:
        f.write("Facteur.Test.EICAR:0:*:%s\n" % EICAR.hex())
    with open(os.path.join(dbdir, "facteur.hdb"), "w") as f:
        f.write("%s:%d:Facteur.Test.Attachment\n" % (
            hashlib.md5(ATTACHMENT).hexdigest(), len(ATTACHMENT)))


class Clamd:
    """clamd -c <dir>/clamd.conf in the foreground, socket <dir>/clamd.sock.
    """

    def __init__(self, directory, start=True):
        self.dir = os.path.abspath(directory)
        os.makedirs(self.dir, exist_ok=True)
        self.sock = os.path.join(self.dir, "clamd.sock")
        self.conf = os.path.join(self.dir, "clamd.conf")
        self.db = os.path.join(self.dir, "db")
        # clamd's scratch files, left behind when it is SIGKILLed: here,
        # never in the shared /tmp
        self.tmp = os.path.join(self.dir, "tmp")
        os.makedirs(self.tmp, exist_ok=True)
        write_database(self.db)
        with open(self.conf, "w") as f:
            f.write("Foreground yes\nLocalSocket %s\nLocalSocketMode 666\n"
                    "DatabaseDirectory %s\nUser root\nLogFile %s\n"
                    "LogTime yes\nMaxThreads 4\nSelfCheck 0\n"
                    "StreamMaxLength 1M\nReadTimeout 30\n"
                    "TemporaryDirectory %s\n" % (
                        self.sock, self.db,
                        os.path.join(self.dir, "clamd.log"), self.tmp))
        self.daemon = None
        self.starts = 0
        if start:
            self.start()

    def start(self):
        """Starts clamd; returns once it answers on its socket (a tiny
        database loads in well under a second; 30 s bounds a loaded
        machine)."""
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.starts += 1
        self.daemon = harness.Daemon(
            [CLAMD, "-c", self.conf], "clamd-%d" % self.starts, self.dir,
            ready=lambda: harness.unix_socket_open(self.sock), timeout=30)

    def kill(self):
        """SIGKILL: no goodbye to the scans in flight."""
        if self.daemon is not None:
            self.daemon.proc.send_signal(signal.SIGKILL)
            self.daemon.proc.wait(10)
            self.daemon.close()
            self.daemon = None

    def close(self):
        if self.daemon is not None:
            self.daemon.close()
            self.daemon = None


def _mail(subject, body, ctype=None, extra=""):
    head = ("From: <alice@example.net>\r\nTo: <bob@example.org>\r\n"
            "Subject: %s\r\nDate: %s\r\nMessage-ID: %s\r\n"
            "MIME-Version: 1.0\r\n%s" % (
                subject, email.utils.formatdate(),
                email.utils.make_msgid(domain="example.net"), extra))
    if ctype:
        head += "Content-Type: %s\r\n" % ctype
    return (head + "\r\n").encode() + body


def _multipart(subject, parts):
    out = b""
    for ctype, cte, payload in parts:
        out += (b"--BOUNDARY\r\nContent-Type: " + ctype.encode() + b"\r\n")
        if cte:
            out += b"Content-Transfer-Encoding: " + cte.encode() + b"\r\n"
        out += b"\r\n" + payload + b"\r\n"
    out += b"--BOUNDARY--\r\n"
    return _mail(subject, b"This is a MIME message.\r\n\r\n" + out,
                 'multipart/mixed; boundary="BOUNDARY"')


def _b64(data):
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _zip(name, data):
    f = io.BytesIO()
    with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return f.getvalue()


def messages(tag=""):
    """The infected messages: {name: (bytes, the signature clamd names)}.
    tag goes into each Subject."""
    text = ("text/plain; charset=us-ascii", "7bit", b"See the attachment.")
    # the nested message's own body is base64: clamd must open the
    # message/rfc822 part and decode it, the outer bytes never show EICAR
    inner = _mail("inner " + tag, _b64(EICAR), "text/plain",
                  "Content-Transfer-Encoding: base64\r\n")
    return {
        "eicar-plain": (_mail("eicar plain " + tag, EICAR + b"\r\n",
                              "text/plain"), SIG_EICAR),
        "eicar-base64": (_multipart("eicar base64 " + tag, [
            text, ('application/octet-stream; name="eicar.com"', "base64",
                   _b64(EICAR))]), SIG_EICAR),
        "eicar-zip": (_multipart("eicar zip " + tag, [
            text, ('application/zip; name="eicar.zip"', "base64",
                   _b64(_zip("eicar.com", EICAR)))]), SIG_EICAR),
        "eicar-nested": (_multipart("eicar nested " + tag, [
            text, ("message/rfc822", "7bit", inner)]), SIG_EICAR),
        "attachment": (_multipart("attachment " + tag, [
            text, ('application/pdf; name="report.pdf"', "base64",
                   _b64(ATTACHMENT))]), SIG_ATTACH),
    }


def big_message(subject, size):
    """A message of about size bytes, with EICAR in it: past
    max_scan_size it must be tagged 'not scanned', never passed clean."""
    line = b"A" * 76 + b"\r\n"
    body = EICAR + b"\r\n" + line * (size // len(line) + 1)
    return _mail(subject, body, "text/plain")


def clean_message(subject, body=b"Hello Bob,\r\nlunch at noon?\r\n"):
    return _mail(subject, body, "text/plain")


HAM = os.path.join(HERE, "..", "..", "..", "shared", "corpus",
                   "spamassassin", "ham")


def ham(n):
    """The first n ham messages of the shared corpus (bytes, CRLF), or []
    when the corpus is not there."""
    d = os.path.abspath(HAM)
    if not os.path.isdir(d):
        return []
    out = []
    for name in sorted(os.listdir(d))[:n]:
        with open(os.path.join(d, name), "rb") as f:
            raw = f.read()
        if raw.startswith(b"From ") and b"\n" in raw:
            raw = raw.split(b"\n", 1)[1]  # mbox separator line
        out.append(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    return out
