"""tests/dkim/dkimtest.py - what the facteur-dkim milter tests share."""
import os
import time


def wait_for_socket(daemon, sock, timeout=15.0):
    """True once the milter (a harness.Daemon) has created its unix socket;
    False if it exited first or timeout seconds passed."""
    end = time.monotonic() + timeout
    while not os.path.exists(sock) and time.monotonic() < end:
        if daemon.proc.poll() is not None:
            break
        time.sleep(0.05)
    return os.path.exists(sock)
