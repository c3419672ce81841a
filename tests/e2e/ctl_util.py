"""Helpers for the admin-socket tests: run `ferryd ctl`, and speak its
framing directly (for the bounds the real client never crosses)."""

import json
import socket
import struct
import time

import conftest


def ctl(root, *args, timeout=30):
    """Runs `ferryd ctl --root ROOT ARGS...`; returns the CompletedProcess."""
    return conftest.run_ferryd("ctl", "--root", root, *args, timeout=timeout)


def ctl_json(root, *args):
    r = ctl(root, "--json", *args)
    assert r.returncode == 0, f"ferryd ctl {' '.join(args)}: exit {r.returncode}: {r.stderr}"
    return json.loads(r.stdout)


def wait_for(predicate, timeout=15.0, step=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def session_of(root, user, transferring=False):
    """The first session of `user` in `ctl sessions` (with a transfer under
    way when asked), or None."""
    for s in ctl_json(root, "sessions"):
        if s.get("user") == user and (not transferring or (s.get("transfer") and s["transfer"]["done"] > 0)):
            return s
    return None


def dial(root, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(str(root / "ctl.sock"))
    return s


def frame(header):
    raw = json.dumps(header).encode()
    return struct.pack(">I", len(raw)) + raw


def read_frame(s):
    """(header, body) of the next frame; None when the server closed."""
    def exact(n):
        out = b""
        while len(out) < n:
            chunk = s.recv(n - len(out))
            if not chunk:
                return None
            out += chunk
        return out
    head = exact(4)
    if head is None:
        return None
    (n,) = struct.unpack(">I", head)
    h = json.loads(exact(n))
    body = exact(h.get("body", 0)) if h.get("body") else b""
    return h, body


def closed_within(s, timeout):
    """True when the server closes `s` (EOF or reset) within `timeout` s,
    reading and dropping what it sends first."""
    s.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not s.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


def log_has(srv, text, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in srv.log_path.read_text(errors="replace"):
            return True
        time.sleep(0.05)
    return False
