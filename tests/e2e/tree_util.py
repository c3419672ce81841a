"""Helpers shared by test_tree_resume.py and test_tree_sync.py: the real
client in a per-test local directory, tree snapshots, part files, inodes, and
killing a client mid-transfer."""

import os
import signal
import subprocess
import time

import pytest

from conftest import FERRY, run_ferry
from transfer_util import MiB


@pytest.fixture
def local(tmp_path):
    """A per-test local directory the client runs in."""
    d = tmp_path / "local"
    d.mkdir()
    return d


def ferry(server, local, *args, user="demo", timeout=120):
    return run_ferry(server, [f"{user}@127.0.0.1", *args], env_password=server.password(user),
                     timeout=timeout, cwd=local)


def ok(r, what):
    assert r.returncode == 0, (
        f"{what}: exit {r.returncode}\nstdout: {r.stdout!r}\nstderr: {r.stderr!r}")
    return r


def snapshot(root):
    """{relative path: bytes, or None for a directory} of a tree (symlinks as
    ("link", target))."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        for d in dirnames:
            p = os.path.join(dirpath, d)
            key = os.path.normpath(os.path.join(rel_dir, d))
            out[key] = ("link", os.readlink(p)) if os.path.islink(p) else None
        for f in filenames:
            p = os.path.join(dirpath, f)
            key = os.path.normpath(os.path.join(rel_dir, f))
            if os.path.islink(p):
                out[key] = ("link", os.readlink(p))
            else:
                with open(p, "rb") as fh:
                    out[key] = fh.read()
    return out


def part_files(root):
    return [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".ferry-part")]


def inodes(root):
    return {os.path.relpath(os.path.join(d, f), root): os.stat(os.path.join(d, f)).st_ino
            for d, _, fs in os.walk(root) for f in fs}


def make_tree(root, big=()):
    """A small tree with non-ASCII names; `big` adds (relpath, size) files."""
    (root / "sub" / "ü").mkdir(parents=True)
    (root / "empty-dir").mkdir()
    (root / "a.txt").write_bytes(b"alpha\n")
    (root / "zero").write_bytes(b"")
    (root / "sub" / "b.bin").write_bytes(os.urandom(3000))
    (root / "sub" / "ü" / "日本語.txt").write_bytes("こんにちは".encode())
    (root / "sub" / "ü" / "mid.bin").write_bytes(os.urandom(MiB + 17))  # streamed put
    for rel, size in big:
        (root / rel).write_bytes(os.urandom(size))
    return snapshot(root)


def spawn(server, local, args, user):
    env = {k: v for k, v in os.environ.items() if k != "FERRY_PASSWORD"}
    env.update(HOME=str(server.base), FERRY_PASSWORD=server.password(user))
    return subprocess.Popen([FERRY, "-P", str(server.port), f"{user}@127.0.0.1", *args],
                            cwd=local, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def kill_when(proc, cond, what, timeout=30):
    try:
        deadline = time.monotonic() + timeout
        while not cond():
            if proc.poll() is not None:
                out, err = proc.communicate()
                raise AssertionError(f"ferry finished (exit {proc.returncode}) before {what}: {err!r}")
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL


def size_at_least(p, n):
    try:
        return os.stat(p).st_size >= n
    except FileNotFoundError:
        return False


def used(server, user="demo"):
    """Quota bytes in use, from the wire (the client prints them for people)."""
    with server.login(user) as c:
        return c.ok("quota")["used"]
