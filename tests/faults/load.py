"""load - a bounded SMTP load that remembers every reply, and the count of
what reached the Maildirs, for the faults suite. Standard library only.

Each message has a unique Message-ID <N.PHASE.faults@example.net>; a
Record keeps what Postfix answered to it (the stage that decided, the
code, the queue id of a 250). Maildirs are read back by Message-ID.
"""

import os
import random
import re
import smtplib
import threading
import time

QID = re.compile(r"queued as ([0-9A-Za-z]+)")
MSGID = re.compile(rb"(?im)^Message-ID:[ \t]*<([^>]*)>")


class Record:
    __slots__ = ("phase", "n", "msgid", "sender", "rcpts", "ok_rcpts",
                 "stage", "code", "text", "qid", "t")

    def __init__(self, phase, n, sender, rcpts):
        self.phase = phase
        self.n = n
        self.msgid = "%d.%s.faults@example.net" % (n, phase)
        self.sender = sender
        self.rcpts = rcpts
        self.ok_rcpts = []  # those RCPT TO accepted
        self.stage = None   # mail, rcpt, data, dot, connect, drop
        self.code = None    # SMTP code, or None when the connection broke
        self.text = ""
        self.qid = None
        self.t = None

    def blocked(self):
        return self.sender.startswith("spammer@")

    def accepted(self):
        return self.stage == "dot" and self.code == 250

    def kind(self):
        """'250', '4xx', '5xx' or 'drop' (no reply)."""
        if self.code is None:
            return "drop"
        if self.accepted():
            return "250"
        return "%dxx" % (self.code // 100)


def message(rec):
    body = ("Bonjour %s,\r\n\r\nMessage %d of phase %s, sent under load.\r\n"
            % (rec.rcpts[0], rec.n, rec.phase)) + \
        "".join("ligne %02d du facteur, rien a signaler.\r\n" % i
                for i in range(12))
    return ("From: <%s>\r\nTo: <%s>\r\nSubject: faults %s %d\r\n"
            "Date: Mon, 07 Dec 2026 06:00:00 +0000\r\n"
            "Message-ID: <%s>\r\nX-Mailer: faults-load 1.0\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n%s" % (
                rec.sender, ">, <".join(rec.rcpts), rec.phase, rec.n,
                rec.msgid,
                body)).encode()


class Load:
    """`clients` threads sending to host:port until stop() or until
    `limit` messages were tried, `per_session` messages per SMTP session,
    each client pacing itself to rate/clients messages a second. Every `blocked_every`-th message comes from the blacklisted sender."""

    def __init__(self, host, port, users, sender, blocked, phase, counter,
                 clients=4, limit=600, rate=30.0, per_session=5,
                 blocked_every=25, timeout=60):
        self.host, self.port = host, port
        self.users, self.sender, self.blocked = users, sender, blocked
        self.phase = phase
        self.counter = counter      # shared itertools.count
        self.limit = limit
        self.per_session = per_session
        self.blocked_every = blocked_every
        self.timeout = timeout
        self.interval = clients / float(rate)
        self.records = []
        self._lock = threading.Lock()
        self._slots = {}
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True)
                         for _ in range(clients)]

    def start(self):
        for t in self._threads:
            t.start()
        return self

    def stop(self, timeout=90):
        self._stop.set()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.1, deadline - time.monotonic()))
        if any(t.is_alive() for t in self._threads):
            raise TimeoutError("load clients still running after %ds" %
                               timeout)
        return self.records

    def _pace(self):
        """Sleeps until this client's next slot."""
        me = threading.get_ident()
        now = time.monotonic()
        slot = max(self._slots.get(me, now) + self.interval,
                   now - self.interval)
        self._slots[me] = slot
        delay = slot - now
        if delay > 0:
            self._stop.wait(delay)

    def _next(self):
        self._pace()
        with self._lock:
            if self._stop.is_set() or len(self.records) >= self.limit:
                return None
            n = next(self.counter)
            sender = self.blocked if n % self.blocked_every == 0 \
                else self.sender
            k = 1 if n % 3 else 2   # one message in three to two users
            rec = Record(self.phase, n, sender, random.sample(self.users, k))
            self.records.append(rec)
            return rec

    def _run(self):
        while not self._stop.is_set():
            rec = self._next()
            if rec is None:
                return
            try:
                s = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                s.ehlo("client.faults.test")
            except (OSError, smtplib.SMTPException) as e:
                rec.stage, rec.text = "connect", str(e)
                time.sleep(0.2)
                continue
            try:
                self._session(s, rec)
            finally:
                try:
                    s.close()
                except OSError:
                    pass

    def _session(self, s, rec):
        for i in range(self.per_session):
            if rec is None:
                rec = self._next()
                if rec is None:
                    break
            if not self._one(s, rec):
                return
            rec = None
        try:
            s.quit()
        except (OSError, smtplib.SMTPException):
            pass

    def _one(self, s, rec):
        """Sends rec on session s; False when the session is over."""
        rec.t = time.monotonic()
        steps = [("mail", lambda: s.mail(rec.sender))]
        steps += [("rcpt", lambda r=r: s.rcpt(r)) for r in rec.rcpts]
        steps += [("dot", lambda: s.data(message(rec)))]
        try:
            for i, (stage, call) in enumerate(steps):
                rec.stage = stage
                try:
                    code, text = call()
                except smtplib.SMTPDataError as e:
                    rec.stage, code, text = "data", e.smtp_code, e.smtp_error
                rec.code, rec.text = code, text.decode("utf-8", "replace")
                if code == 421:
                    return False
                if stage == "rcpt":
                    if code < 400:
                        rec.ok_rcpts.append(rec.rcpts[i - 1])
                    elif steps[i + 1][0] == "rcpt" or rec.ok_rcpts:
                        continue    # another recipient may still pass
                if code >= 400 or (stage == "dot" and code != 250):
                    return self._rset(s)
            m = QID.search(rec.text)
            rec.qid = m.group(1) if m else None
            return True
        except (OSError, smtplib.SMTPException) as e:
            rec.code, rec.text = None, "%s: %s" % (type(e).__name__, e)
            return False


    @staticmethod
    def _rset(s):
        try:
            return s.rset()[0] == 250
        except (OSError, smtplib.SMTPException):
            return False


def maildir_index(root):
    """{message-id: [paths]} of every message file under root (new/ and
    cur/ of every Maildir and Maildir++ folder)."""
    out = {}
    for base, dirs, names in os.walk(root):
        if os.path.basename(base) not in ("new", "cur"):
            continue
        for n in names:
            p = os.path.join(base, n)
            with open(p, "rb") as f:
                head = f.read(8192).split(b"\n\n", 1)[0]
            m = MSGID.search(head)
            key = m.group(1).decode() if m else "?" + p
            out.setdefault(key, []).append(p)
    return out


def header_block(path):
    with open(path, "rb") as f:
        return f.read(16384).split(b"\n\n", 1)[0].decode("utf-8",
                                                         "replace")
