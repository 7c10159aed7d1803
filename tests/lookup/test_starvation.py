#!/usr/bin/python3
"""tests/lookup/test_starvation.py - facteur-lookup under more clients than
slots: it never crashes, tricklers are cut off, answering clients keep being
served.

Each case starts the real daemon (the ASan build under `make test`) on a
socketmap and a policy unix socket over a small database, then drives
clients that hold slots in the three ways a slot can be held: idle between
requests, trickling a request one byte a second, or asking and being
answered. Clients that are answered behave like Postfix's auto_clnt (used
by socketmap and check_policy_service): a request that finds its cached
connection closed is retried once on a new connection.

Cases (about 16 s in all):
  queued_on_both_listeners   the heap overflow of issue 10 finding 6: every
                             slot busy, one client queued on each listener,
                             one slot freed (today's lk_spawn writes past
                             conn_fds: ASan abort)
  idle_connections_are_evicted
                             max_clients idle connections do not keep newcomers
                             out: the longest idle one is closed for each
  tricklers_are_cut_at_the_request_deadline
                             a request sent one byte a second is cut at
                             request_timeout after its first byte, although no
                             gap between bytes reaches idle_timeout
  mixed_load_keeps_answering tricklers, idle holders and answering clients on
                             both listeners, more than the slots, for 8 s:
                             every answer right, latency bounded

usage: test_starvation.py FACTEUR_LOOKUP MKDB
"""
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN, MKDB = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="lookup-starve-", dir=os.getcwd())
DB = os.path.join(TMP, "facteur.sqlite")
TIMEOUT = 10
FAILURES = []

DATA = """\
domain|example.org
user|alice@example.org|example.org/alice/
sender|spammer@bad.example|address|REJECT|554|5.7.1|No spam please
"""
SM_Q = b"27:mailboxes alice@example.org,"
SM_A = b"21:OK example.org/alice/,"
POL_Q = (b"request=smtpd_access_policy\nprotocol_state=RCPT\n"
         b"sender=spammer@bad.example\nclient_address=203.0.113.1\n"
         b"recipient=alice@example.org\n\n")
POL_A = b"action=554 5.7.1 No spam please\n\n"


def check(what, got, want):
    if got != want:
        FAILURES.append("%s: got %r, want %r" % (what, got, want))
        print("FAIL " + FAILURES[-1], flush=True)
    else:
        print("ok   %s" % what, flush=True)


def check_le(what, got, bound):
    if not got <= bound:
        FAILURES.append("%s: got %.2f, want <= %.2f" % (what, got, bound))
        print("FAIL " + FAILURES[-1], flush=True)
    else:
        print("ok   %s (%.2f <= %.2f)" % (what, got, bound), flush=True)


class Daemon:
    def __init__(self, name, extra):
        self.name = name
        self.sock = os.path.join(TMP, name + ".sock")
        self.psock = os.path.join(TMP, name + "-pol.sock")
        self.log = os.path.join(TMP, name + ".log")
        conf = os.path.join(TMP, name + ".conf")
        with open(conf, "w") as f:
            f.write("[database]\npath = %s\n\n[lookup]\nsocket = %s\n"
                    "policy_socket = %s\nuser =\n%s" %
                    (DB, self.sock, self.psock, extra))
        self.logf = open(self.log, "w")
        self.p = subprocess.Popen([BIN, "-c", conf, "-f", "serve"],
                                  stdout=self.logf, stderr=subprocess.STDOUT)
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            if self.p.poll() is not None:
                raise RuntimeError("facteur-lookup exited: " + self.text())
            if os.path.exists(self.sock) and os.path.exists(self.psock):
                return
            time.sleep(0.05)
        self.p.kill()
        raise RuntimeError("facteur-lookup did not start: " + self.text())

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def addr(self, policy):
        return self.psock if policy else self.sock

    def stop(self):
        """SIGTERM; checks it was alive, exits 0 and ASan said nothing."""
        check("%s: daemon alive at the end" % self.name, self.p.poll(), None)
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        self.logf.close()
        text = self.text()
        check("%s: exit status after SIGTERM" % self.name, rc, 0)
        bad = "Sanitizer" in text or "runtime error" in text
        check("%s: no sanitizer report" % self.name, bad, False)
        if rc != 0 or bad:
            print("---- %s log ----\n%s" % (self.name, text[-3000:]))


def connect(path, timeout=TIMEOUT):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(path)
    return s


def read_answer(s, want_len, end):
    """Reads until want_len bytes or EOF; None on EOF before the end."""
    data = b""
    while len(data) < want_len:
        chunk = s.recv(4096)
        if not chunk:
            return None
        data += chunk
        if data.endswith(end):
            break
    return data


def ask(s, policy):
    q, a = (POL_Q, POL_A) if policy else (SM_Q, SM_A)
    s.sendall(q)
    return read_answer(s, len(a), a[-2:] if policy else b",")


def closed_within(s, seconds):
    """True if the peer closed s (EOF or reset) within seconds."""
    r, _, _ = select.select([s], [], [], seconds)
    if not r:
        return False
    try:
        return s.recv(4096) == b""
    except OSError:
        return True


class Client:
    """A Postfix-like client: one cached connection, one retry on a new
    connection when the cached one turns out to be closed."""

    def __init__(self, d, policy):
        self.d, self.policy, self.s = d, policy, None

    def request(self):
        for attempt in (0, 1):
            try:
                if self.s is None:
                    self.s = connect(self.d.addr(self.policy))
                got = ask(self.s, self.policy)
                if got is not None:
                    return got
            except (ConnectionResetError, BrokenPipeError):
                pass
            self.close()
        return None

    def close(self):
        if self.s is not None:
            self.s.close()
            self.s = None


def trickle(path, first_byte_times, cut_after, stop, interval=1.0):
    """Connects and sends a valid request (well within every size limit:
    only time can stop it) one byte every interval seconds until the
    server closes the connection; appends the time from the first byte to
    the close to cut_after, or None if it was never closed. Repeats until
    stop is set."""
    payload = POL_Q if path.endswith("-pol.sock") else SM_Q
    while not stop.is_set():
        try:
            s = connect(path)
        except OSError:
            time.sleep(0.1)
            continue
        t0 = None
        cut = None
        for b in payload:
            if stop.is_set():
                break
            try:
                s.sendall(bytes([b]))
            except OSError:
                cut = time.time() - t0 if t0 else 0.0
                break
            if t0 is None:
                t0 = time.time()
                first_byte_times.append(t0)
            if closed_within(s, interval):
                cut = time.time() - t0
                break
        s.close()
        if t0 is not None and (cut is not None or not stop.is_set()):
            cut_after.append(cut)


def case_queued_on_both_listeners():
    """Issue 10 finding 6, exactly: max_clients = 2, both slots held by
    clients in the middle of a request, one client queued on the socketmap
    listener and one on the policy listener, then one slot freed. Both
    queued clients must be answered, and the daemon must live."""
    d = Daemon("overflow", "max_clients = 2\nidle_timeout = 20s\n")
    try:
        holders = [connect(d.sock), connect(d.sock)]
        for h in holders:
            h.sendall(b"27:mailboxes")  # half a request: the slot is busy
        time.sleep(0.3)
        qs = connect(d.sock)
        qs.sendall(SM_Q)
        qp = connect(d.psock)
        qp.sendall(POL_Q)
        time.sleep(0.5)  # both wait in their listen queue
        holders[0].close()  # one slot frees: both listeners are readable
        time.sleep(0.5)
        holders[1].close()  # and the second, so both can be served
        for name, s, want in (("socketmap", qs, SM_A),
                              ("policy", qp, POL_A)):
            s.settimeout(5)
            try:
                got = read_answer(s, len(want), want[-2:])
            except OSError as e:
                got = repr(e)
            check("overflow: queued %s client answered" % name, got, want)
            s.close()
        c = Client(d, False)
        check("overflow: served afterwards", c.request(), SM_A)
        c.close()
    finally:
        d.stop()


def case_idle_connections_are_evicted():
    """max_clients idle connections (a query each, then nothing) must not
    keep other clients out for idle_timeout: each newcomer gets in by
    closing the connection idle longest, which a Postfix client retries
    transparently."""
    d = Daemon("idle", "max_clients = 4\nidle_timeout = 30s\n")
    try:
        idle = [Client(d, i % 2 == 1) for i in range(4)]
        for i, c in enumerate(idle):
            check("idle: holder %d answered" % i, c.request(),
                  POL_A if c.policy else SM_A)
            time.sleep(0.05)
        worst = 0.0
        newcomers = []
        for i in range(8):  # each stays: 8 evictions, the holders first
            c = Client(d, i % 2 == 1)
            t0 = time.time()
            got = c.request()
            worst = max(worst, time.time() - t0)
            check("idle: newcomer %d answered" % i, got,
                  POL_A if c.policy else SM_A)
            newcomers.append(c)
            time.sleep(0.05)
        check_le("idle: slowest newcomer (s)", worst, 1.0)
        closed = sum(1 for c in idle if closed_within(c.s, 1.0))
        check("idle: the idle holders were closed", closed, 4)
        again = [c.request() for c in idle]
        check("idle: an evicted client's retry is answered", again,
              [POL_A if c.policy else SM_A for c in idle])
        for c in idle + newcomers:
            c.close()
        text = d.text()
        check("idle: eviction is logged", "idle longest" in text, True)
    finally:
        d.stop()


def case_tricklers_are_cut_at_the_request_deadline():
    """A request trickled one byte a second is cut request_timeout after
    its first byte; idle_timeout (1.5 s) is longer than every gap, which
    is what kept such a client forever before. With four tricklers in the
    four slots, clients queued on both listeners wait at most until the
    oldest trickle reaches its deadline."""
    d = Daemon("trickle", "max_clients = 4\nidle_timeout = 1500ms\n"
               "request_timeout = 2s\n")
    try:
        stop = threading.Event()
        starts, cuts = [], []
        ts = [threading.Thread(target=trickle,
                               args=(d.addr(i % 2 == 1), starts, cuts, stop))
              for i in range(4)]
        for t in ts:
            t.start()
        time.sleep(0.5)  # four tricklers: every slot busy
        lat, got = [], []

        def queued(policy):
            for _ in range(2):
                c = Client(d, policy)
                t0 = time.time()
                got.append(c.request() == (POL_A if policy else SM_A))
                lat.append(time.time() - t0)
                c.close()
        qs = [threading.Thread(target=queued, args=(p,))
              for p in (False, True)]
        for t in qs:
            t.start()
        for t in qs:
            t.join(TIMEOUT * 2)
        check("trickle: clients queued on both listeners answered", got,
              [True] * 4)
        check_le("trickle: slowest queued client (s)", max(lat or [99]),
                 2.0 + 1.0)
        time.sleep(max(0.0, 4.5 - (time.time() - starts[0])))
        stop.set()
        for t in ts:
            t.join(TIMEOUT)
        check("trickle: every trickler was cut", None in cuts, False)
        check("trickle: at least 2 cuts", len(cuts) >= 2, True)
        if cuts and None not in cuts:
            check_le("trickle: longest first byte -> close (s)", max(cuts),
                     2.0 + 1.0)
        text = d.text()
        check("trickle: the cut is logged",
              "not complete after" in text, True)
    finally:
        d.stop()


def case_mixed_load_keeps_answering():
    """4 slots; on each listener one trickler, one idle holder and four
    answering clients, for 8 s. Every answer is right and none waits
    longer than twice request_timeout (a newcomer waits at most until
    the busiest slot reaches its request deadline)."""
    d = Daemon("mixed", "max_clients = 4\nidle_timeout = 1500ms\n"
               "request_timeout = 2s\n")
    stop = threading.Event()
    starts, cuts = [], []
    lat, errors, counts = [], [], {}
    lock = threading.Lock()

    def answerer(i, policy):
        c = Client(d, policy)
        want = POL_A if policy else SM_A
        n = 0
        while not stop.is_set():
            t0 = time.time()
            try:
                got = c.request()
            except OSError as e:
                got = repr(e)
            with lock:
                lat.append(time.time() - t0)
                if got != want:
                    errors.append("client %d: got %r" % (i, got))
            n += 1
            time.sleep(0.05)
        c.close()
        with lock:
            counts[i] = n

    def holder(policy):
        while not stop.is_set():
            c = Client(d, policy)
            c.request()
            while not stop.is_set() and c.s is not None and \
                    not closed_within(c.s, 0.2):
                pass
            c.close()

    ts = []
    try:
        for pol in (False, True):
            ts.append(threading.Thread(target=trickle,
                                       args=(d.addr(pol), starts, cuts,
                                             stop)))
            ts.append(threading.Thread(target=holder, args=(pol,)))
            for i in range(4):
                ts.append(threading.Thread(target=answerer,
                                           args=(len(ts), pol)))
        for t in ts:
            t.start()
        time.sleep(8)
        stop.set()
        for t in ts:
            t.join(TIMEOUT * 2)
        check("mixed: wrong or missing answers", errors[:5], [])
        check("mixed: every answering client was served often",
              sorted(counts.values())[0] >= 5 if counts else False, True)
        check_le("mixed: slowest answer (s)", max(lat) if lat else 99,
                 2 * 2.0 + 1.0)
        check("mixed: tricklers were cut", None in cuts or not cuts, False)
        if cuts and None not in cuts:
            check_le("mixed: longest trickle (s)", max(cuts), 2.0 + 1.0)
        lat.sort()
        if lat:
            print("     mixed: %d answers, p50 %.3f s, p99 %.3f s, max %.3f s"
                  % (len(lat), lat[len(lat) // 2],
                     lat[int(len(lat) * 0.99)], lat[-1]), flush=True)
    finally:
        stop.set()
        d.stop()


def main():
    p = subprocess.run([MKDB, DB], input=DATA.encode(), timeout=TIMEOUT,
                       capture_output=True)
    if p.returncode != 0:
        print("mkdb: " + p.stderr.decode())
        return 1
    only = os.environ.get("CASES", "").split(",")
    for case in (case_queued_on_both_listeners,
                 case_idle_connections_are_evicted,
                 case_tricklers_are_cut_at_the_request_deadline,
                 case_mixed_load_keeps_answering):
        if only != [""] and case.__name__[5:] not in only:
            continue
        t0 = time.time()
        print("== %s" % case.__name__[5:], flush=True)
        try:
            case()
        except Exception as e:  # one case's crash is a failure, not a stop
            FAILURES.append("%s: %r" % (case.__name__, e))
            print("FAIL " + FAILURES[-1], flush=True)
        print("   (%.1f s)" % (time.time() - t0), flush=True)
    if FAILURES:
        print("%d failure(s); logs kept in %s" % (len(FAILURES), TMP))
        return 1
    shutil.rmtree(TMP, ignore_errors=True)
    print("all starvation tests passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
