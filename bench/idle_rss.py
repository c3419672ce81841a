#!/usr/bin/env python3
"""bench/idle_rss.py [BUILD_DIR] [N]: resident memory per idle connection of
ferryd, native and FTP, before and after login (issue 11's note asks for it).
Starts a throwaway ferryd on 127.0.0.1 with caps raised for the count, opens N
connections (spread over 127.0.1.x source addresses), and prints the growth of
VmRSS per connection at each step. Not a test: figures depend on the machine."""

import ftplib
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from ferry_wire import Conn  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "build"))
N = int(sys.argv[2]) if len(sys.argv) > 2 else 500
FERRYD = os.path.join(BUILD, "apps", "ferryd")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def settle(pid):
    time.sleep(1.0)
    return rss_kib(pid)


def main():
    base = tempfile.mkdtemp(prefix="ferry-idle-rss.")
    root = os.path.join(base, "root")
    try:
        subprocess.run([FERRYD, "init", "--root", root, "--no-tls"], check=True, capture_output=True)
        subprocess.run([FERRYD, "user", "add", "bench", "--root", root, "--password-stdin"],
                       input=b"bench-pass\n", check=True, capture_output=True)
        with open(os.path.join(root, "ferryd.toml"), "a") as f:
            f.write(f"\nmax_sessions = {4 * N}\nmax_sessions_per_ip = {4 * N}\n"
                    f"max_pending_logins = {4 * N}\nmax_pending_logins_per_ip = {4 * N}\n"
                    "login_timeout = 600\n")
        proc = subprocess.Popen([FERRYD, "serve", "--root", root, "--listen", "127.0.0.1:0",
                                 "--ftp-listen", "127.0.0.1:0", *(["--allow-root"] if os.geteuid() == 0 else [])],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        native = int(proc.stdout.readline().split(b":")[-1])
        ftp_port = int(proc.stdout.readline().split(b":")[-1])
        print(f"ferryd idle RSS — {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, kernel {os.uname().release}, N = {N}")
        try:
            rows = []
            t0 = settle(proc.pid)
            conns = [Conn(native, timeout=30, source_ip=f"127.0.1.{1 + i % 50}") for i in range(N)]
            for c in conns:
                c.hello()
            t1 = settle(proc.pid)
            rows.append(("native, connected (hello), not logged in", t1 - t0))
            for c in conns:
                c.auth("bench", "bench-pass")
            t2 = settle(proc.pid)
            rows.append(("native, logged in (idle)", t2 - t0))
            for c in conns:
                c.close()
            t3 = settle(proc.pid)
            ftps = []
            for i in range(N):
                f = ftplib.FTP()
                f.connect("127.0.0.1", ftp_port, timeout=30, source_address=(f"127.0.1.{1 + i % 50}", 0))
                ftps.append(f)
            t4 = settle(proc.pid)
            rows.append(("FTP, connected, not logged in", t4 - t3))
            for f in ftps:
                f.login("bench", "bench-pass")
            t5 = settle(proc.pid)
            rows.append(("FTP, logged in (idle)", t5 - t3))
            for f in ftps:
                f.close()
            for what, kib in rows:
                print(f"  {what:45s} {kib * 1024 / N / 1024:7.1f} KiB per connection ({kib / 1024:.1f} MiB for {N})")
            print(f"  server RSS at start {t0 / 1024:.1f} MiB")
        finally:
            proc.terminate()
            proc.wait(10)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
