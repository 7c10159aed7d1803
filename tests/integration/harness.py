"""harness - real Postfix and real Dovecot, private and on loopback, for tests.

Every facteur integration test imports this module (stdlib only, run with
/usr/bin/python3 as root). It starts *stock* Postfix and Dovecot instances
that share nothing with the system ones: their configuration, queue, state,
sockets and logs all live in one temporary directory, they listen only on
127.0.0.1, and they never relay anywhere.

    import harness
    with harness.TmpDir("mytest") as tmp, \\
            harness.Postfix(tmp.path, main_cf_extra={
                "virtual_mailbox_domains": "example.org",
                "virtual_mailbox_maps": "inline:{alice@example.org=a/}",
            }) as pf:
        with pf.smtp() as s:
            s.sendmail("x@example.net", ["alice@example.org"], msg)
        paths = pf.wait_for_delivery(1)

Pieces:
  free_port()            an unused 127.0.0.1 TCP port
  wait_for(pred, t)      poll a predicate, bounded in time
  TmpDir(name)           a temp dir (kept on failure or FACTEUR_KEEP=1)
  Postfix(...)           a private Postfix (smtpd on 127.0.0.1:port),
                         delivering with virtual(8) into Maildirs under
                         <dir>/mail, logging to <dir>/maillog
  Dovecot(...)           a private Dovecot (IMAP on 127.0.0.1:port),
                         doveadm wrapper, auth_test()
  Daemon(argv, ...)      any other process (facteur-lookup, a milter):
                         output to a log file, stopped with TERM then KILL;
                         a milter that listened with another engine than
                         FACTEUR_MILTER_ENGINE fails close()
  engine_mismatch(log)   that check on any milter log
  skip_missing_peer(name) exit 77 as 'SKIP: missing peer: NAME', the one
                         skip .ci/run accepts; require_peers({name: path}),
                         require_root(why)
  run(argv, ...)         subprocess.run with a timeout and captured text

Every instance is also registered for cleanup at interpreter exit, and on
SIGTERM (what meson sends on a test timeout, 0.5 s before SIGKILL) every
master is signalled at once, so a failing test leaves no process behind. Only processes this module started are ever signalled, by
pid.
"""

import atexit
import email
import email.policy
import glob
import os
import pwd
import grp
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

POSTFIX = "/usr/sbin/postfix"
POSTCONF = "/usr/sbin/postconf"
POSTMAP = "/usr/sbin/postmap"
POSTQUEUE = "/usr/sbin/postqueue"
DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"

# Default mail owner for delivered Maildirs: both Postfix virtual(8) and
# Dovecot accept it without extra settings and it exists on every Debian.
DEFAULT_MAIL_USER = "nobody"

_live = []


def _cleanup_all():
    for obj in list(reversed(_live)):
        try:
            obj.close()
        except Exception as e:  # keep cleaning up the others
            print("harness: cleanup of %r failed: %s" % (obj, e),
                  file=sys.stderr)


def _on_sigterm(signum, frame):
    # meson sends SIGTERM on timeout and SIGKILLs the test's process group
    # 0.5 s later; Postfix and Dovecot masters have their own sessions and
    # would outlive it. So: signal every master and daemon now (each
    # master stops its own children), without waiting, and exit. The temp
    # directories are left for a post-mortem.
    for obj in list(_live):
        try:
            obj.emergency_stop()
        except Exception:
            pass
    print("harness: killed by signal %d, stopped %d instance(s)" %
          (signum, len(_live)), file=sys.stderr)
    os._exit(128 + signum)


def _signal_pid(pid, sig=signal.SIGTERM):
    if pid is None:
        return
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


atexit.register(_cleanup_all)
signal.signal(signal.SIGTERM, _on_sigterm)


def detach_all():
    """Forgets every running instance so that nothing is stopped at exit
    (the demo's DEMO_KEEP=1). Returns what was forgotten."""
    left = list(_live)
    del _live[:]
    return left


def _register(obj):
    _live.append(obj)


def _unregister(obj):
    if obj in _live:
        _live.remove(obj)


# ---------------------------------------------------------------- helpers


def free_port(host="127.0.0.1"):
    """Returns a TCP port that was free on host a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class GiveUp(Exception):
    """Raised by a wait_for() predicate to stop waiting at once (e.g. the
    process being waited for has exited)."""


def wait_for(predicate, timeout=10.0, interval=0.05, what=None):
    """Calls predicate() until it returns a true value, and returns it.

    Raises TimeoutError (naming `what`) after `timeout` seconds. Exceptions
    from the predicate count as "not yet", the last one is reported;
    GiveUp passes through."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = predicate()
            if v:
                return v
        except GiveUp:
            raise
        except Exception as e:
            last_exc = e
        if time.monotonic() >= deadline:
            msg = "timed out after %.1fs waiting for %s" % (
                timeout, what or getattr(predicate, "__name__", "predicate"))
            if last_exc is not None:
                msg += " (last error: %r)" % (last_exc,)
            raise TimeoutError(msg)
        time.sleep(interval)


def port_open(port, host="127.0.0.1"):
    """True if something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def unix_socket_open(path):
    """True if something accepts connections on the unix socket path."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(0.5)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def run(argv, timeout=30, check=True, input=None, env=None, **kw):
    """subprocess.run(argv) with text output captured and a timeout.

    With check=True a non-zero exit raises RuntimeError that shows the
    command, its status and its output."""
    p = subprocess.run([str(a) for a in argv], input=input,
                       capture_output=True, text=True, timeout=timeout,
                       env=env, **kw)
    if check and p.returncode != 0:
        raise RuntimeError("command %s exited %d\nstdout: %s\nstderr: %s" % (
            " ".join(str(a) for a in argv), p.returncode, p.stdout, p.stderr))
    return p


def user_ids(name):
    """(uid, gid) of a system user."""
    pw = pwd.getpwnam(name)
    return pw.pw_uid, pw.pw_gid


def _pids_with_env(key, value):
    """Pids of the processes whose environment has key=value."""
    needle = ("%s=%s" % (key, value)).encode()
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % d, "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if needle in env:
            out.append(int(d))
    return out


def _children_of(ppid):
    """Pids whose parent is ppid."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, split after ')'
        fields = st[st.rfind(")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == ppid:
            out.append(int(d))
    return out


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rfind(")") + 2:st.rfind(")") + 3] != "Z"


def _kill_pids(pids, timeout=5.0):
    """TERM the given pids, then KILL whatever is left after timeout."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        wait_for(lambda: not any(_alive(p) for p in pids), timeout,
                 what="pids %s to exit" % pids)
    except TimeoutError:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def read_message(path):
    """Parses a delivered message file into an email.message.EmailMessage."""
    with open(path, "rb") as f:
        return email.message_from_binary_file(f, policy=email.policy.default)


def make_message(sender, rcpt, subject="facteur test", body="Bonjour.\n",
                 headers=None):
    """A small RFC 5322 message as bytes (CRLF line ends)."""
    lines = ["From: <%s>" % sender, "To: <%s>" % rcpt,
             "Subject: %s" % subject,
             "Date: %s" % email.utils.formatdate(localtime=False),
             "Message-ID: %s" % email.utils.make_msgid(domain="facteur.test")]
    for k, v in (headers or {}).items():
        lines.append("%s: %s" % (k, v))
    text = "\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")
    return text.encode()


def smtp_try(host, port, sender, rcpts, msg, timeout=20):
    """Sends one message and returns what the server said, never raising
    for an SMTP refusal.

    Returns a dict: {"mail": (code, text), "rcpt": {addr: (code, text)},
    "data": (code, text) or None}. Texts are str."""
    res = {"mail": None, "rcpt": {}, "data": None}
    with smtplib.SMTP(host, port, timeout=timeout) as s:
        s.ehlo("client.facteur.test")
        code, text = s.mail(sender)
        res["mail"] = (code, text.decode(errors="replace"))
        if code >= 400:
            s.rset()
            return res
        ok = []
        for r in rcpts:
            code, text = s.rcpt(r)
            res["rcpt"][r] = (code, text.decode(errors="replace"))
            if code < 400:
                ok.append(r)
        if not ok:
            s.rset()
            return res
        code, text = s.data(msg)
        res["data"] = (code, text.decode(errors="replace"))
    return res


# ---------------------------------------------------------------- TmpDir


class TmpDir:
    """A fresh directory for one test's instances.

    Created under $FACTEUR_TEST_TMP, else ./tmp (meson runs integration
    tests with the build dir as working directory), with a short name
    because unix socket paths are limited to 107 bytes. Mode 0755 so that
    unprivileged daemons (postfix, dovecot, nobody) can traverse it.
    Removed by close() unless a test failed (exception in the with block)
    or FACTEUR_KEEP=1."""

    def __init__(self, name="t", base=None):
        base = base or os.environ.get("FACTEUR_TEST_TMP") or \
            os.path.join(os.getcwd(), "tmp")
        os.makedirs(base, exist_ok=True)
        os.chmod(base, 0o755)
        self.path = tempfile.mkdtemp(prefix=name + "-", dir=base)
        os.chmod(self.path, 0o755)
        self.keep = os.environ.get("FACTEUR_KEEP") == "1"

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.keep = True
        self.close()

    def close(self):
        if self.keep:
            print("harness: kept %s" % self.path, file=sys.stderr)
            return
        shutil.rmtree(self.path, ignore_errors=True)


# ---------------------------------------------------------------- Daemon


def skip_missing_peer(peer, detail=None):
    """Exits 77, meson's "skipped", printing the one line a skip may
    print: 'SKIP: missing peer: NAME (detail)'. .ci/run fails every skip
    whose output has no such line, so use it only when an optional peer
    is not installed (knotd, opendkim, dovecot-sieve...) or the test
    needs root and is not root (NAME root); a peer that is installed but
    fails to start is a failure, never a skip."""
    print("SKIP: missing peer: %s%s" % (peer, " (%s)" % detail if detail
                                        else ""), flush=True)
    raise SystemExit(77)


def require_peers(peers):
    """skip_missing_peer() for the first of {name: executable path} that
    is not there."""
    for name, path in peers.items():
        if not os.access(path, os.X_OK):
            skip_missing_peer(name, path)


def require_root(why):
    """skip_missing_peer('root', why) unless running as root."""
    if os.geteuid() != 0:
        skip_missing_peer("root", why)


def engine_mismatch(log):
    """With FACTEUR_MILTER_ENGINE set (meson's *-libmilter tests), every
    milter of a log must say it listened with that engine: a test that
    forgot to write `engine =` into its facteur.conf would otherwise pass
    its -libmilter run on the native engine. Returns what is wrong, or
    None."""
    want = os.environ.get("FACTEUR_MILTER_ENGINE")
    if not want:
        return None
    for m in re.finditer(r"listening on \S+ \((\w+) engine\)", log):
        if m.group(1) != want:
            return ("listened with the %s engine, want %s "
                    "(FACTEUR_MILTER_ENGINE): is engine = missing from "
                    "its facteur.conf?" % (m.group(1), want))
    return None


class Daemon:
    """A foreground process started by a test (facteur-lookup, a milter).

    stdout and stderr go to <logdir>/<name>.log; `ready` is an optional
    predicate waited on for `timeout` seconds (e.g.
    lambda: unix_socket_open(path)). If the process exits before it is
    ready, the error shows its log."""

    def __init__(self, argv, name, logdir, ready=None, timeout=15.0,
                 env=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.logpath = os.path.join(logdir, name + ".log")
        self._logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen(self.argv, stdout=self._logf,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        _register(self)
        if ready is not None:
            try:
                wait_for(lambda: self._ready(ready), timeout,
                         what="%s to be ready" % name)
            except Exception:
                self.close()
                raise

    def _ready(self, ready):
        if self.proc.poll() is not None:
            raise GiveUp("%s exited with %d before it was ready:\n%s" %
                               (self.name, self.proc.returncode, self.log()))
        return ready()

    def log(self):
        """What the process wrote so far."""
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def sanitizer_report(self):
        """The AddressSanitizer / UBSan / LeakSanitizer lines of the log
        ("" if none): a test asserts this is empty after close()."""
        rx = re.compile(r"(ERROR: \w+Sanitizer|runtime error:|"
                        r"SUMMARY: \w+Sanitizer)")
        return "\n".join(l for l in self.log().splitlines() if rx.search(l))

    def emergency_stop(self):
        """SIGKILL, no waiting (from the SIGTERM handler)."""
        _signal_pid(self.proc.pid, signal.SIGKILL)

    def close(self, timeout=5.0):
        """Stops the process (TERM, then KILL after timeout). Idempotent.
        Returns its exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self._logf.close()
        _unregister(self)
        wrong = engine_mismatch(self.log())
        if wrong:
            raise AssertionError("%s: %s" % (self.name, wrong))
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "Daemon(%s)" % self.name


# ---------------------------------------------------------------- Postfix

_MASTER_CF = """\
# private test instance - written by tests/integration/harness.py
{listen} inet n - n - - smtpd{smtpd_opts}
pickup    unix  n - n 60   1 pickup
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
verify    unix  - - n -    1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -    - proxymap
proxywrite unix - - n -    1 proxymap
smtp      unix  - - n -    - smtp
relay     unix  - - n -    - smtp
showq     unix  n - n -    - showq
error     unix  - - n -    - error
retry     unix  - - n -    - error
discard   unix  - - n -    - discard
local     unix  - n n -    - local
virtual   unix  - n n -    - virtual{virtual_opts}
lmtp      unix  - - n -    - lmtp
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def parse_main_cf(text):
    """main.cf text (e.g. a config-templates/postfix/main.cf.* fragment)
    into an ordered {name: value} dict for Postfix(main_cf_extra=...):
    comments and blank lines skipped, indented lines continue the
    previous value (joined by one space)."""
    out = {}
    last = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t":
            if last is None:
                raise ValueError("continuation line first: %r" % line)
            out[last] = (out[last] + " " + line.strip()).strip()
            continue
        name, sep, value = line.partition("=")
        if not sep:
            raise ValueError("not name = value: %r" % line)
        last = name.strip()
        out[last] = value.strip()
    return out


class Postfix:
    """A private Postfix instance under `directory`.

    Layout: <dir>/etc (config_directory: main.cf, master.cf),
    <dir>/spool (queue_directory), <dir>/data (data_directory),
    <dir>/mail (virtual_mailbox_base, owned by mail_user),
    <dir>/maillog (maillog_file, through postlogd: no syslog needed).

    smtpd listens on 127.0.0.1:port only (a free port if port is None).
    Nothing is local (mydestination is empty) and nothing is relayed:
    default_transport and relay_transport are error:, so only the
    virtual_mailbox_domains a test configures receive mail, delivered by
    virtual(8) as Maildirs (a lookup result ending in "/") under <dir>/mail
    with uid/gid of mail_user. No chroot. Retry timers are short.

    main_cf_extra: dict of main.cf parameters, applied after (and so
    overriding) the defaults. master_cf_extra: text appended to master.cf.
    smtpd_options: dict of "-o name=value" for the smtpd service only.
    virtual_options: the same for the virtual(8) delivery service.

    virtual(8) turns its virtual_mailbox_maps result into a path, so it
    refuses socketmap: ("not allowed for security-sensitive data") and
    regexp: substitutions there. When smtpd validates recipients over
    socketmap, give virtual(8) a local table of the same data, e.g.
    virtual_options={"virtual_mailbox_maps": "sqlite:/path/mailboxes.cf"}.

    Must run as root (Postfix starts as root and drops to mail_owner).
    Use as a context manager, or call close()."""

    def __init__(self, directory, port=None, main_cf_extra=None,
                 master_cf_extra="", smtpd_options=None,
                 virtual_options=None,
                 mail_user=DEFAULT_MAIL_USER, start=True,
                 start_timeout=30.0):
        self.dir = os.path.abspath(directory)
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.config_dir = os.path.join(self.dir, "etc")
        self.queue_dir = os.path.join(self.dir, "spool")
        self.data_dir = os.path.join(self.dir, "data")
        self.mail_dir = os.path.join(self.dir, "mail")
        self.maillog = os.path.join(self.dir, "maillog")
        self.mail_uid, self.mail_gid = user_ids(mail_user)
        self.start_timeout = start_timeout
        self._started = False
        for d in (self.config_dir, self.queue_dir, self.data_dir,
                  self.mail_dir):
            os.makedirs(d, exist_ok=True)
        os.chown(self.mail_dir, self.mail_uid, self.mail_gid)
        os.chmod(self.mail_dir, 0o755)
        self._write_main_cf(main_cf_extra or {})
        self._write_master_cf(master_cf_extra, smtpd_options or {},
                              virtual_options or {})
        if start:
            self.start()

    # -- configuration

    def main_cf_defaults(self):
        """The main.cf parameters of a private instance (before extras)."""
        return {
            "compatibility_level": "3.6",
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "maillog_file": self.maillog,
            "maillog_file_prefixes": self.dir,
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "myhostname": "mx.facteur.test",
            "mydomain": "facteur.test",
            "myorigin": "$myhostname",
            "mydestination": "",
            "mynetworks": "127.0.0.0/8",
            "relayhost": "",
            "relay_domains": "",
            "default_transport": "error:no relay in tests",
            "relay_transport": "error:no relay in tests",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "smtpd_relay_restrictions":
                "permit_mynetworks, reject_unauth_destination",
            "smtpd_banner": "$myhostname ESMTP facteur-test",
            "smtpd_tls_security_level": "none",
            "smtp_tls_security_level": "none",
            "smtpd_error_sleep_time": "0",
            "in_flow_delay": "0",
            "biff": "no",
            "append_dot_mydomain": "no",
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "virtual_mailbox_domains": "",
            "virtual_mailbox_maps": "",
            "virtual_alias_maps": "",
            "virtual_mailbox_base": self.mail_dir,
            "virtual_uid_maps": "static:%d" % self.mail_uid,
            "virtual_gid_maps": "static:%d" % self.mail_gid,
            "virtual_minimum_uid": "1",
            "virtual_mailbox_limit": "0",
            "mailbox_size_limit": "0",
        }

    def _write_main_cf(self, extra):
        params = self.main_cf_defaults()
        params.update(extra)
        lines = ["# private test instance - written by harness.py"]
        for k, v in params.items():
            v = str(v)
            if "\n" in v:
                raise ValueError("main.cf value of %s has a newline" % k)
            lines.append("%s = %s" % (k, v))
        with open(os.path.join(self.config_dir, "main.cf"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def _write_master_cf(self, extra, smtpd_options, virtual_options):
        def opts(d):
            return "".join("\n  -o %s=%s" % (k, v) for k, v in d.items())
        text = _MASTER_CF.format(listen="%s:%d" % (self.host, self.port),
                                 smtpd_opts=opts(smtpd_options),
                                 virtual_opts=opts(virtual_options))
        if extra:
            text += extra if extra.endswith("\n") else extra + "\n"
        with open(os.path.join(self.config_dir, "master.cf"), "w") as f:
            f.write(text)

    def postconf(self, *args):
        """Runs postconf -c <config_dir> ARGS and returns its stdout. Use
        postconf("name=value") then reload() to change a parameter."""
        return run([POSTCONF, "-c", self.config_dir] + list(args)).stdout

    # -- life cycle

    def _postfix(self, *args, check=True, timeout=60):
        return run([POSTFIX, "-c", self.config_dir] + list(args),
                   check=check, timeout=timeout)

    def start(self):
        """Checks the configuration, creates the queue and starts master;
        returns once smtpd accepts connections."""
        _register(self)
        try:
            self._postfix("set-permissions")
            self._postfix("check")
            self._postfix("start")
            self._started = True
            wait_for(lambda: port_open(self.port, self.host),
                     self.start_timeout,
                     what="postfix smtpd on port %d" % self.port)
        except Exception:
            self.close()
            raise

    def reload(self):
        """postfix reload (a test that claims "no reload needed" never
        calls this)."""
        self._postfix("reload")

    def master_pid(self):
        """Pid of the running master, or None."""
        try:
            with open(os.path.join(self.queue_dir, "pid",
                                   "master.pid")) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if _alive(pid) else None

    def emergency_stop(self):
        """SIGTERM to master (it stops its own children) and to any process
        of this instance already there (a master still starting), no
        waiting."""
        _signal_pid(self.master_pid())
        for pid in _pids_with_env("MAIL_CONFIG", self.config_dir):
            if pid != os.getpid():
                _signal_pid(pid)

    def close(self):
        """Stops master and every process of this instance (found by its
        MAIL_CONFIG environment), bounded in time. Idempotent."""
        _unregister(self)
        pid = self.master_pid()
        if pid is not None:
            self._postfix("stop", check=False, timeout=30)
            try:
                wait_for(lambda: not _alive(pid), 15,
                         what="postfix master %d to exit" % pid)
            except TimeoutError:
                pass
        left = [p for p in _pids_with_env("MAIL_CONFIG", self.config_dir)
                if p != os.getpid()]
        if left:
            _kill_pids(left)
        try:
            wait_for(lambda: not [p for p in _pids_with_env(
                "MAIL_CONFIG", self.config_dir) if _alive(p)
                and p != os.getpid()], 5, what="postfix processes to exit")
        except TimeoutError:
            print("harness: %r left processes behind" % self,
                  file=sys.stderr)
        self._started = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "Postfix(%s, port %d)" % (self.dir, self.port)

    # -- looking at it

    def log(self):
        """The maillog text so far ("" if nothing was logged yet)."""
        try:
            with open(self.maillog, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_for_log(self, pattern, timeout=20.0):
        """Waits until the maillog matches regex pattern; returns the
        match."""
        rx = re.compile(pattern)
        return wait_for(lambda: rx.search(self.log()), timeout,
                        what="maillog to match %r" % pattern)

    def postmap_q(self, key, table):
        """postmap -c <config_dir> -q KEY TABLE: the value, or None when
        the key is not found (exit 1). Other failures raise."""
        p = run([POSTMAP, "-c", self.config_dir, "-q", key, table],
                check=False)
        if p.returncode == 1 and not p.stderr.strip():
            return None
        if p.returncode != 0:
            raise RuntimeError("postmap -q %s %s exited %d: %s" % (
                key, table, p.returncode, p.stderr))
        return p.stdout.rstrip("\n")

    def queue(self):
        """postqueue -p output (the mail queue listing)."""
        return run([POSTQUEUE, "-c", self.config_dir, "-p"],
                   check=False).stdout

    def flush(self):
        """postqueue -f: retry deferred mail now."""
        run([POSTQUEUE, "-c", self.config_dir, "-f"], check=False)

    def smtp(self, timeout=20):
        """An smtplib.SMTP connected to this instance's smtpd."""
        return smtplib.SMTP(self.host, self.port, timeout=timeout)

    def send(self, sender, rcpts, msg):
        """Sends through smtpd; returns smtp_try()'s dict of replies."""
        if isinstance(rcpts, str):
            rcpts = [rcpts]
        return smtp_try(self.host, self.port, sender, rcpts, msg)

    # -- deliveries

    def deliveries(self, mailbox=None):
        """Paths of the messages delivered so far into Maildirs under
        <dir>/mail (new/ and cur/), oldest first. mailbox: a Maildir path
        relative to <dir>/mail (e.g. "example.org/alice/") to look in only
        that one."""
        base = self.mail_dir
        if mailbox:
            base = os.path.join(base, mailbox)
        paths = []
        for sub in ("new", "cur"):
            paths += glob.glob(os.path.join(base, "**", sub, "*"),
                               recursive=True)
            paths += glob.glob(os.path.join(base, sub, "*"))
        paths = sorted(set(p for p in paths if os.path.isfile(p)),
                       key=lambda p: os.stat(p).st_mtime_ns)
        return paths

    def wait_for_delivery(self, count=1, timeout=30.0, mailbox=None):
        """Waits until at least `count` messages are delivered (see
        deliveries()) and returns their paths. On timeout the error
        includes the queue and the end of the maillog."""
        try:
            return wait_for(
                lambda: (lambda d: d if len(d) >= count else None)(
                    self.deliveries(mailbox)),
                timeout, what="%d deliveries" % count)
        except TimeoutError as e:
            raise TimeoutError("%s\nqueue:\n%s\nmaillog tail:\n%s" % (
                e, self.queue(), self.log()[-3000:])) from None


# ---------------------------------------------------------------- Dovecot

_DOVECOT_CONF = """\
# private test instance - written by tests/integration/harness.py
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
debug_log_path = {dir}/dovecot.log
instance_name = facteur-test-{port}
protocols = {protocols}
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
auth_failure_delay = 0
auth_debug = {auth_debug}
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = {mail_location}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = 0
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0666
  }}
}}
{passdb}
{userdb}
{extra}
"""


class Dovecot:
    """A private Dovecot instance under `directory`.

    Files: <dir>/dovecot.conf (the whole configuration, `config` attribute),
    <dir>/run (base_dir: every socket), <dir>/state, <dir>/dovecot.log.
    IMAP listens on 127.0.0.1:imap_port (free port if None), no TLS,
    plaintext auth allowed (loopback only). POP3/submission are off.

    passdb / userdb: whole `passdb { ... }` / `userdb { ... }` blocks. By
    default a passwd-file <dir>/passwd (see add_user()) and a static userdb
    with mail_user's uid/gid and home <mail_root>/%d/%n, with mail in
    maildir:~/ ; mail_root defaults to <dir>/mail, pass Postfix.mail_dir to
    read what a Postfix instance delivered. conf_extra is appended as is.

    Must run as root. Use as a context manager, or call close()."""

    def __init__(self, directory, conf_extra="", imap_port=None,
                 passdb=None, userdb=None, mail_root=None,
                 mail_location="maildir:~/", mail_user=DEFAULT_MAIL_USER,
                 protocols="imap", auth_debug=False, start=True,
                 start_timeout=20.0):
        self.dir = os.path.abspath(directory)
        self.port = imap_port or free_port()
        self.host = "127.0.0.1"
        self.conf = os.path.join(self.dir, "dovecot.conf")
        self.base_dir = os.path.join(self.dir, "run")
        self.logpath = os.path.join(self.dir, "dovecot.log")
        self.passwd_file = os.path.join(self.dir, "passwd")
        self.mail_root = os.path.abspath(mail_root or
                                         os.path.join(self.dir, "mail"))
        self.mail_uid, self.mail_gid = user_ids(mail_user)
        self.start_timeout = start_timeout
        self._pid = None
        os.makedirs(self.dir, exist_ok=True)
        if not os.path.exists(self.mail_root):
            os.makedirs(self.mail_root)
            os.chown(self.mail_root, self.mail_uid, self.mail_gid)
        if passdb is None:
            passdb = ("passdb {\n  driver = passwd-file\n"
                      "  args = scheme=PLAIN %s\n}" % self.passwd_file)
            open(self.passwd_file, "a").close()
        if userdb is None:
            userdb = ("userdb {\n  driver = static\n"
                      "  args = uid=%d gid=%d home=%s/%%d/%%n\n}" % (
                          self.mail_uid, self.mail_gid, self.mail_root))
        self.config = _DOVECOT_CONF.format(
            dir=self.dir, port=self.port, protocols=protocols,
            auth_debug="yes" if auth_debug else "no",
            mail_location=mail_location, passdb=passdb, userdb=userdb,
            extra=conf_extra)
        with open(self.conf, "w") as f:
            f.write(self.config)
        if start:
            self.start()

    def add_user(self, user, password, scheme="PLAIN"):
        """Appends user to the default passwd-file (password in clear,
        hashed by doveadm pw when scheme is not PLAIN)."""
        if scheme != "PLAIN":
            password = self.doveadm("pw", "-s", scheme, "-p",
                                    password).stdout.strip()
        else:
            password = "{PLAIN}" + password
        with open(self.passwd_file, "a") as f:
            f.write("%s:%s::::::\n" % (user, password))

    def start(self):
        """Starts dovecot and returns once IMAP and auth are up."""
        _register(self)
        try:
            # dovecot daemonizes; its children keep inherited fds, so
            # output goes to a file, not a pipe we would wait on.
            with open(os.path.join(self.dir, "dovecot.out"), "ab") as out:
                p = subprocess.run([DOVECOT, "-c", self.conf],
                                   stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=out, timeout=30)
            if p.returncode != 0:
                with open(os.path.join(self.dir, "dovecot.out"),
                          errors="replace") as f:
                    raise RuntimeError("dovecot exited %d: %s" % (
                        p.returncode, f.read()))
            self._pid = wait_for(self.master_pid, self.start_timeout,
                                 what="dovecot master.pid")
            if "imap" in self.config.split("protocols =", 1)[1] \
                    .split("\n", 1)[0]:
                wait_for(lambda: port_open(self.port, self.host),
                         self.start_timeout,
                         what="dovecot imap on port %d" % self.port)
            wait_for(lambda: unix_socket_open(
                os.path.join(self.base_dir, "auth-client")),
                self.start_timeout, what="dovecot auth-client socket")
        except Exception as e:
            self.close()
            raise RuntimeError("dovecot did not start: %s\nlog:\n%s" % (
                e, self.log()[-3000:])) from None

    def master_pid(self):
        """Pid of the running dovecot master, or None."""
        try:
            with open(os.path.join(self.base_dir, "master.pid")) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if _alive(pid) else None

    def doveadm(self, *args, check=True, input=None, timeout=30):
        """Runs doveadm -c <conf> ARGS; returns the CompletedProcess."""
        return run([DOVEADM, "-c", self.conf] + list(args), check=check,
                   input=input, timeout=timeout)

    def auth_test(self, user, password):
        """doveadm auth test: (ok, output). ok is True only if Dovecot
        accepted the password. no-penalty: failed attempts of a test do
        not slow down the next ones (anvil's auth penalty, 2..15 s)."""
        p = self.doveadm("auth", "test", "-x", "no-penalty", user, password,
                         check=False)
        return p.returncode == 0, p.stdout + p.stderr

    def log(self):
        """dovecot.log so far."""
        try:
            with open(self.logpath, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def emergency_stop(self):
        """SIGTERM to master, no waiting: it stops its own children."""
        _signal_pid(self.master_pid() or self._pid)

    def close(self):
        """Stops dovecot (master and all its children), bounded in time.
        Idempotent."""
        _unregister(self)
        pid = self.master_pid() or self._pid
        if pid is None or not _alive(pid):
            return
        children = _children_of(pid)
        run([DOVEADM, "-c", self.conf, "stop"], check=False, timeout=30)
        try:
            wait_for(lambda: not _alive(pid), 10,
                     what="dovecot master %d to exit" % pid)
        except TimeoutError:
            _kill_pids([pid])
        left = [c for c in children if _alive(c)]
        if left:
            _kill_pids(left)
        self._pid = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "Dovecot(%s, imap port %d)" % (self.dir, self.port)
