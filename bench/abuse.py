#!/usr/bin/env python3
"""bench/abuse.py [BUILD_DIR]: the attacks issue 11 measured, re-run against one
ferryd with its default limits, with what the server's memory and its other
users see meanwhile. Each row prints the figure issue 11 reported beside the
one measured now. Not a test (tests/e2e hold the pass/fail versions): figures
depend on the machine, which is noted with the date and kernel.

1. 1,200 connections that say hello and never log in, from 4 addresses: how
   many are held, and how long a real user's login + pwd takes meanwhile
   (issue: 1,024 such connections locked every user out).
2. 10 concurrent listings of a directory of 100,000 entries: server RSS before,
   at peak and after, and the worst delay of a `stat` probe in another session
   (issue: 208 -> 669 MB RSS, other sessions stalled ~0.7 s).
3. An FTP RETR the client never reads while it sends 256 MiB of NOOP lines:
   server RSS growth and what the session does (issue: +1,054 MB in 6 s).
4. 8 connections x 64 pipelined puts held open: how many are refused with 429,
   whether another user can still log in, and part files left after they go
   (issue: descriptors exhausted, logins time out, 497 empty part files)."""

import ftplib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from ferry_wire import Conn  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "build"))
FERRYD = os.path.join(BUILD, "apps", "ferryd")
PW = "bench-pass"


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Sampler:
    """Peak RSS of `pid`, sampled every 10 ms while running."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0.0, False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(0.01)

    def done(self):
        self.stop = True
        self.t.join()
        return self.peak


def login(port, user="bench", ip="127.0.0.1", timeout=30):
    c = Conn(port, timeout=timeout, source_ip=ip)
    c.login(user, PW)
    return c


def row(what, before, now):
    print(f"  {what:58s} issue: {before:28s} now: {now}")


def flood(port):
    held, refused = [], 0
    for i in range(1200):
        try:
            c = Conn(port, timeout=5, source_ip=f"127.0.2.{1 + i % 4}")
            c.send({"op": "hello", "id": 1, "version": 1})
            h = c.recv_header()  # a refusal comes as id 0 at accept
            if h.get("status") == 200:
                held.append(c)
            else:
                refused += 1
                c.close()
        except (OSError, EOFError):
            refused += 1
    t0 = time.monotonic()
    c = login(port, ip="127.0.3.1")
    c.ok("pwd")
    dt = (time.monotonic() - t0) * 1000
    c.close()
    for c in held:
        c.close()
    row("1,200 hello-only connections: held / refused", "all 1,024 held", f"{len(held)} held, {refused} refused")
    row("  a real login + pwd meanwhile", "timed out", f"{dt:.0f} ms")


def read_listing(c, path):
    rid = c.alloc_id()
    c.send({"op": "ls", "id": rid, "path": path})
    n = 0
    while True:
        r = c.recv_header()
        n += len(r.get("entries", []))
        if not r.get("more"):
            return n


def listings(port, pid, home):
    big = os.path.join(home, "big")
    os.makedirs(big)
    for i in range(100_000):
        open(os.path.join(big, f"entry-{i:06d}.txt"), "wb").close()
    shutil.chown(big, *owner_of(home))
    probe = login(port, ip="127.0.4.1")
    worst, stop = [0.0], [False]

    def probing():
        while not stop[0]:
            t0 = time.monotonic()
            probe.ok("stat", path="/")
            worst[0] = max(worst[0], time.monotonic() - t0)
            time.sleep(0.01)

    before = rss_mib(pid)
    conns = [login(port, ip=f"127.0.4.{2 + i}") for i in range(10)]
    s = Sampler(pid)
    p = threading.Thread(target=probing)
    p.start()
    counts = [0] * 10
    t0 = time.monotonic()
    ts = [threading.Thread(target=lambda i=i: counts.__setitem__(i, read_listing(conns[i], "/big"))) for i in range(10)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.monotonic() - t0
    stop[0] = True
    p.join()
    peak = s.done()
    for c in conns:
        c.close()
    probe.close()
    time.sleep(1)
    after = rss_mib(pid)
    ok = all(n == 100_000 for n in counts)
    row("10 concurrent ls of 100,000 entries: RSS before/peak/after", "208 / 669 / 669 MB",
        f"{before:.0f} / {peak:.0f} / {after:.0f} MiB, {wall:.1f} s, {'all complete' if ok else counts}")
    row("  worst stat delay in another session meanwhile", "~700 ms", f"{worst[0] * 1000:.0f} ms")


def noop_flood(ftp_port, pid, home):
    with open(os.path.join(home, "big.bin"), "wb") as f:
        f.truncate(1 << 30)
    shutil.chown(os.path.join(home, "big.bin"), *owner_of(home))
    f = ftplib.FTP()
    f.connect("127.0.0.1", ftp_port, timeout=30)
    f.login("bench", PW)
    f.voidcmd("TYPE I")
    data = f.transfercmd("RETR big.bin")  # never read
    before = rss_mib(pid)
    s = Sampler(pid)
    sent, t0 = 0, time.monotonic()
    line = b"NOOP\r\n" * 10_000
    ctl = f.sock
    ctl.settimeout(5)
    ended = "still open"
    try:
        while sent < (256 << 20) and time.monotonic() - t0 < 30:
            ctl.sendall(line)
            sent += len(line)
    except (socket.timeout, OSError) as e:
        ended = f"server stopped reading ({type(e).__name__})"
    peak = s.done()
    data.close()
    try:
        ctl.settimeout(5)
        tail = ctl.recv(65536).decode(errors="replace").strip().splitlines()
        ended += f"; last reply: {tail[-1][:60] if tail else 'none'}"
    except OSError:
        pass
    f.close()
    row("FTP RETR never read + NOOP flood: RSS growth", "+1,054 MB in 6 s (1 GiB sent)",
        f"+{peak - before:.1f} MiB peak after {sent >> 20} MiB sent; {ended}")


def upload_flood(port, home):
    conns = [login(port, ip=f"127.0.5.{1 + i}") for i in range(8)]
    ok = refused = other = 0
    for c in conns:
        ids = []
        for j in range(64):
            rid = c.alloc_id()
            ids.append(rid)
            c.send({"op": "put", "id": rid, "path": f"u{c.sock.fileno()}-{j}.bin", "size": 1, "algo": "xxh128"})
        for _ in ids:
            r = c.recv_header()
            if r["status"] == 200:
                ok += 1
            elif r["status"] == 429:
                refused += 1
            else:
                other += 1
    t0 = time.monotonic()
    try:
        c = login(port, ip="127.0.5.100", timeout=10)
        c.ok("pwd")
        c.close()
        other_user = f"logged in in {(time.monotonic() - t0) * 1000:.0f} ms"
    except Exception as e:  # noqa: BLE001 - reported, not raised
        other_user = f"failed: {e}"
    for c in conns:
        c.close()
    time.sleep(1)
    parts = [n for n in os.listdir(home) if n.endswith(".ferry-part")]
    row("8 x 64 pipelined puts held open: opened / 429 / other", "fds exhausted at ~1,000",
        f"{ok} / {refused} / {other}")
    row("  another login meanwhile", "timed out", other_user)
    row("  part files left after the connections closed", "497 empty", f"{len(parts)} (empty parts of opened puts)")


def owner_of(path):
    st = os.stat(path)
    return st.st_uid, st.st_gid


def main():
    base = tempfile.mkdtemp(prefix="ferry-abuse.")
    root = os.path.join(base, "root")
    proc = None
    try:
        subprocess.run([FERRYD, "init", "--root", root, "--no-tls"], check=True, capture_output=True)
        subprocess.run([FERRYD, "user", "add", "bench", "--root", root, "--password-stdin"],
                       input=(PW + "\n").encode(), check=True, capture_output=True)
        proc = subprocess.Popen([FERRYD, "serve", "--root", root, "--listen", "127.0.0.1:0",
                                 "--ftp-listen", "127.0.0.1:0", *(["--allow-root"] if os.geteuid() == 0 else [])],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        port = int(proc.stdout.readline().split(b":")[-1])
        ftp_port = int(proc.stdout.readline().split(b":")[-1])
        home = os.path.join(root, "home", "bench")
        print(f"bench/abuse.py — {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, kernel {os.uname().release}, "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, ferryd defaults")
        flood(port)
        listings(port, proc.pid, home)
        noop_flood(ftp_port, proc.pid, home)
        upload_flood(port, home)
        print(f"  server RSS at the end {rss_mib(proc.pid):.0f} MiB, still running: {proc.poll() is None}")
    finally:
        if proc:
            proc.terminate()
            proc.wait(10)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
