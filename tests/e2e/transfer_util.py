"""Small helpers shared by the transfer end-to-end tests (test_transfer_*.py)."""

import os
import time

from ferry_wire import check_error

MiB = 1 << 20


def part_path(directory, name):
    """The part file of NAME in `directory`: ".NAME.ferry-part" (docs/protocol.md)."""
    return directory / f".{name}.ferry-part"


def wait_for(cond, timeout=5.0, what="condition", interval=0.02):
    """Polls `cond()` until it returns a truthy value; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def file_size(p):
    try:
        return os.stat(p).st_size
    except FileNotFoundError:
        return None


def put_open_when_free(conn, path, size, algo="xxh128", resume=None, timeout=5.0):
    """Opens a put; while the server still holds the path lock of a previous,
    dropped upload (it notices the disconnect asynchronously) it answers
    409 busy, so retry for a short while. Returns (put id, reply)."""
    deadline = time.monotonic() + timeout
    while True:
        rid = conn.alloc_id()
        r = conn.put_open(path, size, algo=algo, resume=resume, id=rid)
        if r.get("status") == 409 and r.get("error") == "busy" and time.monotonic() < deadline:
            time.sleep(0.05)
            continue
        return rid, r


def put_open_when_released(conn, path, size, timeout=5.0):
    """Like put_open_when_free, but also retries 413 quota_exceeded: for use
    right after a connection holding a reservation was closed (the server
    returns it when it notices the disconnect)."""
    deadline = time.monotonic() + timeout
    while True:
        rid, r = put_open_when_free(conn, path, size, timeout=timeout)
        if r.get("status") == 413 and time.monotonic() < deadline:
            time.sleep(0.05)
            continue
        return rid, r


def xferlog_lines(server, path):
    """Fields of the ROOT/log/xferlog lines whose path field is `path`."""
    try:
        text = (server.root / "log" / "xferlog").read_text()
    except FileNotFoundError:
        return []
    return [line.split() for line in text.splitlines() if line.split()[8:9] == [path]]


def check_xferlog_line(f, user, size, direction, completion, path):
    assert len(f) == 18, f"xferlog line must have 18 fields: {f!r}"
    assert f[0] in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), f
    assert f[1] in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                    "Nov", "Dec"), f
    assert f[4].isdigit() and abs(int(f[4]) - time.gmtime().tm_year) <= 1, f
    assert f[5].isdigit(), f  # seconds
    assert f[6] == "127.0.0.1", f"remote host field: {f!r}"
    assert f[7] == str(size), f"byte count field: expected {size}: {f!r}"
    assert f[8] == path, f
    assert f[9] == "b" and f[10] == "_", f
    assert f[11] == direction, f"direction: expected {direction}: {f!r}"
    assert f[12] == "r" and f[13] == user, f"user: expected {user}: {f!r}"
    assert f[17] == completion, f"completion: expected {completion}: {f!r}"


def ls_names(conn, path="/"):
    r = conn.ok("ls", path=path)
    return [e["name"] for e in r["entries"]]


def assert_error(reply, status, error, what):
    check_error(reply, status, error, what)
