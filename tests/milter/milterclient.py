"""milterclient - a small MTA side of the milter protocol (version 6), for
tests and load tools. Standard library only.

    from milterclient import MilterClient
    r = MilterClient("unix:/tmp/x.sock").message(
        macros={"connect": {"j": "mx.example"}, "mail": {"i": "4ABC"}},
        connect=("client.example", "192.0.2.1", 4567),
        helo="client.example",
        mail_from="<alice@example.org>",
        rcpts=["<bob@example.net>"],
        headers=[("Subject", "hi")],
        body=b"hello\r\n")
    r.action          # "accept", "continue", "reject", "tempfail", ...
    r.stage           # where it was decided: "connect" ... "eom"
    r.reply           # ("550", "5.7.1", "text") or None, as Postfix shows it
    r.reply_raw       # the SMFIR_REPLYCODE text on the wire
    r.added           # [(name, value)] from SMFIR_ADDHEADER
    r.inserted        # [(index, name, value)] from SMFIR_INSHEADER
    r.changed         # [(index, name, value)]; value "" = delete
    r.rcpts           # [(rcpt, action, reply)] per recipient

A connection can carry several messages: use MilterClient as a context
manager and call .message(..., new_connection=False) or the low-level
.send()/.read_reply() to misbehave on purpose.

Addresses: "unix:/path", "/path", "inet:PORT@HOST", "inet6:PORT@HOST".
Every read has a timeout (default 10 s): a test never hangs forever.
"""

import socket
import struct

__all__ = ["MilterClient", "Result", "MilterError"]

# Commands (MTA -> milter).
SMFIC_ABORT = b"A"
SMFIC_BODY = b"B"
SMFIC_CONNECT = b"C"
SMFIC_MACRO = b"D"
SMFIC_BODYEOB = b"E"
SMFIC_HELO = b"H"
SMFIC_HEADER = b"L"
SMFIC_MAIL = b"M"
SMFIC_EOH = b"N"
SMFIC_OPTNEG = b"O"
SMFIC_QUIT = b"Q"
SMFIC_RCPT = b"R"
SMFIC_DATA = b"T"

# Replies (milter -> MTA).
SMFIR_ADDRCPT = b"+"
SMFIR_DELRCPT = b"-"
SMFIR_ACCEPT = b"a"
SMFIR_REPLBODY = b"b"
SMFIR_CONTINUE = b"c"
SMFIR_DISCARD = b"d"
SMFIR_CHGFROM = b"e"
SMFIR_CONN_FAIL = b"f"
SMFIR_ADDHEADER = b"h"
SMFIR_INSHEADER = b"i"
SMFIR_SETSYMLIST = b"l"
SMFIR_CHGHEADER = b"m"
SMFIR_PROGRESS = b"p"
SMFIR_QUARANTINE = b"q"
SMFIR_REJECT = b"r"
SMFIR_SKIP = b"s"
SMFIR_TEMPFAIL = b"t"
SMFIR_REPLYCODE = b"y"
SMFIR_OPTNEG = b"O"

# Protocol flags.
SMFIP_NOCONNECT = 0x1
SMFIP_NOHELO = 0x2
SMFIP_NOMAIL = 0x4
SMFIP_NORCPT = 0x8
SMFIP_NOBODY = 0x10
SMFIP_NOHDRS = 0x20
SMFIP_NOEOH = 0x40
SMFIP_NR_HDR = 0x80
SMFIP_NOUNKNOWN = 0x100
SMFIP_NODATA = 0x200
SMFIP_SKIP = 0x400
SMFIP_RCPT_REJ = 0x800
SMFIP_NR_CONN = 0x1000
SMFIP_NR_HELO = 0x2000
SMFIP_NR_MAIL = 0x4000
SMFIP_NR_RCPT = 0x8000
SMFIP_NR_DATA = 0x10000
SMFIP_NR_UNKN = 0x20000
SMFIP_NR_EOH = 0x40000
SMFIP_NR_BODY = 0x80000
SMFIP_HDR_LEADSPC = 0x100000

MILTER_VERSION = 6
ALL_ACTIONS = 0x1FF
# What we offer to skip / not wait for: everything libmilter 8.14+ knows,
# except leading-space header values (keeps values as Postfix sends them).
OFFER_PROTOCOL = 0xFFFFF
CHUNK = 65535
MAX_PACKET = 1 << 20

STAGE_CMD = {
    "connect": SMFIC_CONNECT, "helo": SMFIC_HELO, "mail": SMFIC_MAIL,
    "rcpt": SMFIC_RCPT, "data": SMFIC_DATA, "header": SMFIC_HEADER,
    "eoh": SMFIC_EOH, "body": SMFIC_BODY, "eom": SMFIC_BODYEOB,
}
FINAL = {
    SMFIR_ACCEPT: "accept", SMFIR_CONTINUE: "continue",
    SMFIR_REJECT: "reject", SMFIR_TEMPFAIL: "tempfail",
    SMFIR_DISCARD: "discard", SMFIR_SKIP: "skip",
    SMFIR_CONN_FAIL: "conn_fail",
}


class MilterError(Exception):
    """Protocol violation, short read, timeout or closed connection."""


class Result:
    def __init__(self):
        self.action = None
        self.stage = None
        self.reply = None
        self.reply_raw = None  # on the wire, '%' doubled
        self.added = []
        self.inserted = []
        self.changed = []
        self.rcpts = []
        self.other = []  # (code, data) of modifications not parsed above

    def __repr__(self):
        return ("Result(action=%r, stage=%r, reply=%r, added=%r, "
                "inserted=%r, changed=%r)" % (
                    self.action, self.stage, self.reply, self.added,
                    self.inserted, self.changed))


def _z(s):
    if isinstance(s, str):
        s = s.encode("utf-8", "surrogateescape")
    return s + b"\0"


def _unescape(text):
    """What Postfix does to a milter reply: '%%' -> '%', lone '%' drops."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "%":
            i += 1
            if i < len(text):
                out.append(text[i])
        else:
            out.append(text[i])
        i += 1
    return "".join(out)


def _parse_reply_text(data):
    """(code, xcode, text) as the SMTP client would see it."""
    text = _unescape(data.rstrip(b"\0").decode("utf-8", "replace"))
    parts = text.split(" ", 2)
    code = parts[0] if parts else ""
    if len(parts) >= 2 and parts[1][:1].isdigit() and "." in parts[1]:
        xcode = parts[1]
        msg = parts[2] if len(parts) > 2 else ""
    else:
        xcode = ""
        msg = text[len(code) + 1:]
    return (code, xcode, msg)


def _split_z(data, n):
    parts = data.split(b"\0")
    if len(parts) < n:
        raise MilterError("malformed reply payload %r" % data[:64])
    return [p.decode("utf-8", "surrogateescape") for p in parts[:n]]


class MilterClient:
    def __init__(self, address, timeout=10.0):
        self.address = address
        self.timeout = timeout
        self.sock = None
        self.version = None
        self.actions = 0
        self.protocol = 0

    # -- connection ----------------------------------------------------
    def open(self):
        a = self.address
        if a.startswith("unix:") or a.startswith("local:"):
            a = a.split(":", 1)[1]
        if a.startswith("/"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target = a
        else:
            kind, rest = a.split(":", 1)
            port, host = rest.split("@", 1)
            fam = socket.AF_INET6 if kind == "inet6" else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM)
            target = (host, int(port))
        s.settimeout(self.timeout)
        try:
            s.connect(target)
        except OSError:
            s.close()
            raise
        self.sock = s
        return self

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()

    # -- packets -------------------------------------------------------
    def send(self, cmd, data=b""):
        self.sock.sendall(struct.pack(">I", len(data) + 1) + cmd + data)

    def send_raw(self, data):
        self.sock.sendall(data)

    def _read_exact(self, n):
        out = b""
        while len(out) < n:
            try:
                chunk = self.sock.recv(n - len(out))
            except socket.timeout:
                raise MilterError("timeout waiting for the milter")
            if not chunk:
                raise MilterError("milter closed the connection")
            out += chunk
        return out

    def read_reply(self):
        (n,) = struct.unpack(">I", self._read_exact(4))
        if n < 1 or n > MAX_PACKET:
            raise MilterError("bad packet length %d" % n)
        body = self._read_exact(n)
        return body[:1], body[1:]

    # -- protocol ------------------------------------------------------
    def negotiate(self, actions=ALL_ACTIONS, protocol=OFFER_PROTOCOL):
        self.send(SMFIC_OPTNEG, struct.pack(">III", MILTER_VERSION,
                                            actions, protocol))
        code, data = self.read_reply()
        if code != SMFIR_OPTNEG or len(data) < 12:
            raise MilterError("bad OPTNEG reply %r %r" % (code, data))
        self.version, self.actions, self.protocol = struct.unpack(
            ">III", data[:12])
        return self.version, self.actions, self.protocol

    def _macros(self, stage, macros):
        if not macros:
            return
        if stage in macros and isinstance(macros[stage], dict):
            pairs = macros[stage]
        elif stage == "connect" and all(isinstance(v, str)
                                        for v in macros.values()):
            pairs = macros  # a flat dict goes with connect
        else:
            return
        data = STAGE_CMD[stage]
        for k, v in pairs.items():
            data += _z(k) + _z(v)
        self.send(SMFIC_MACRO, data)

    def _step(self, res, stage, cmd, data=b"", no=0, nr=0):
        """Sends one command; returns True to go on, False when the
        milter has decided (res filled)."""
        if no and self.protocol & no:
            return True
        self.send(cmd, data)
        if nr and self.protocol & nr:
            return True
        return self._collect(res, stage)

    def _collect(self, res, stage):
        while True:
            code, data = self.read_reply()
            if code == SMFIR_PROGRESS:
                continue
            if code == SMFIR_ADDHEADER:
                res.added.append(tuple(_split_z(data, 2)))
                continue
            if code in (SMFIR_INSHEADER, SMFIR_CHGHEADER):
                (idx,) = struct.unpack(">I", data[:4])
                name, value = _split_z(data[4:], 2)
                lst = res.inserted if code == SMFIR_INSHEADER \
                    else res.changed
                lst.append((idx, name, value))
                continue
            if code in (SMFIR_ADDRCPT, SMFIR_DELRCPT, SMFIR_REPLBODY,
                        SMFIR_CHGFROM, SMFIR_QUARANTINE, SMFIR_SETSYMLIST):
                res.other.append((code.decode(), data))
                continue
            if code == SMFIR_REPLYCODE:
                res.reply = _parse_reply_text(data)
                res.reply_raw = data.rstrip(b"\0").decode("utf-8",
                                                          "replace")
                action = "tempfail" if data[:1] == b"4" else "reject"
            elif code in FINAL:
                action = FINAL[code]
            else:
                raise MilterError("unexpected reply %r at %s" %
                                  (code, stage))
            if action == "continue" or action == "skip":
                return True
            res.action, res.stage = action, stage
            return False

    @staticmethod
    def _connect_data(connect):
        host, addr, port = (tuple(connect) + (None, None, None))[:3]
        data = _z(host or "localhost")
        if addr is None:
            return data + b"U"
        fam = b"6" if ":" in addr else b"4"
        return data + fam + struct.pack(">H", port or 0) + _z(addr)

    def start(self, macros=None, connect=("localhost", "127.0.0.1", 25),
              helo="localhost"):
        """On an open connection: negotiate, CONNECT, HELO. Returns a
        Result whose action is None unless the milter decided already."""
        res = Result()
        self.negotiate()
        self._macros("connect", macros)
        if not self._step(res, "connect", SMFIC_CONNECT,
                          self._connect_data(connect), SMFIP_NOCONNECT,
                          SMFIP_NR_CONN):
            return res
        self._macros("helo", macros)
        if helo is not None:
            self._step(res, "helo", SMFIC_HELO, _z(helo), SMFIP_NOHELO,
                       SMFIP_NR_HELO)
        return res

    def message(self, macros=None, connect=("localhost", "127.0.0.1", 25),
                helo="localhost", mail_from="<>", rcpts=(), headers=(),
                body=b"", new_connection=True, quit=True):
        """Runs one message; returns a Result. With new_connection, opens,
        negotiates, runs connect/helo, and closes at the end."""
        res = Result()
        if new_connection:
            self.open()
        try:
            if new_connection:
                res = self.start(macros, connect, helo)
                if res.action is not None:
                    return res
            self._run_message(res, macros, mail_from, rcpts, headers, body)
            return res
        finally:
            if new_connection and quit and self.sock is not None:
                try:
                    self.send(SMFIC_QUIT)
                except OSError:
                    pass
            if new_connection:
                self.close()

    def _run_message(self, res, macros, mail_from, rcpts, headers, body):
        self._macros("mail", macros)
        if not self._step(res, "mail", SMFIC_MAIL, _z(mail_from),
                          SMFIP_NOMAIL, SMFIP_NR_MAIL):
            return
        accepted = 0
        for r in rcpts:
            self._macros("rcpt", macros)
            sub = Result()
            if self._step(sub, "rcpt", SMFIC_RCPT, _z(r), SMFIP_NORCPT,
                          SMFIP_NR_RCPT):
                res.rcpts.append((r, "continue", None))
                accepted += 1
            elif sub.action in ("reject", "tempfail"):
                res.rcpts.append((r, sub.action, sub.reply))
            else:
                res.rcpts.append((r, sub.action, sub.reply))
                res.action, res.stage, res.reply = (sub.action, "rcpt",
                                                    sub.reply)
                return
        if rcpts and accepted == 0:
            res.action, res.stage = "no_recipients", "rcpt"
            return
        self._macros("data", macros)
        if not self._step(res, "data", SMFIC_DATA, b"", SMFIP_NODATA,
                          SMFIP_NR_DATA):
            return
        for name, value in headers:
            if not self._step(res, "header", SMFIC_HEADER,
                              _z(name) + _z(value), SMFIP_NOHDRS,
                              SMFIP_NR_HDR):
                return
        self._macros("eoh", macros)
        if not self._step(res, "eoh", SMFIC_EOH, b"", SMFIP_NOEOH,
                          SMFIP_NR_EOH):
            return
        for i in range(0, len(body), CHUNK):
            if not self._step(res, "body", SMFIC_BODY, body[i:i + CHUNK],
                              SMFIP_NOBODY, SMFIP_NR_BODY):
                return
        self._macros("eom", macros)
        if self._step(res, "eom", SMFIC_BODYEOB):
            res.action, res.stage = "continue", "eom"

    def abort(self):
        """Ends the current message without eom (SMFIC_ABORT)."""
        self.send(SMFIC_ABORT)
