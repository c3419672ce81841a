"""Memory of many downloads at once is bounded, and given back (issue 14).

The copy path reads through a buffer per transfer: all of them together get
8 MiB, then 64 KiB each, and each buffer is mapped on its own so it goes back
to the system when its transfer ends; the heap the sessions used is trimmed
a moment after they close. With download_method = "copy" (the path that
holds buffers), 40 clients each download 4 MiB at once over the native
protocol: the server's peak resident memory stays within the budget plus a
margin, and its memory returns near the idle figure afterwards."""
import os
import shutil
import threading
import time

import pytest

import conftest
from conftest import SANITIZER
from ferry_wire import Conn

CLIENTS = 40
SIZE = 4 << 20


def _status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {key}")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    base = tmp_path_factory.mktemp("transfer-memory")
    s = conftest.start_with_settings(base, 'download_method = "copy"')
    yield s
    conftest._stop_server(s)
    shutil.rmtree(base, ignore_errors=True)


@pytest.mark.skipif(bool(SANITIZER), reason="a sanitizer's allocator and shadow memory change every figure")
def test_forty_downloads_at_once_stay_in_budget_and_memory_returns(srv):
    data = os.urandom(SIZE)
    path = srv.home() / "same.bin"
    path.write_bytes(data)
    os.chown(path, srv.root.stat().st_uid, srv.root.stat().st_gid)
    conns = []
    for _ in range(CLIENTS):  # one at a time: at most 32 may wait to log in
        conns.append(Conn(srv.port))
        conns[-1].login("demo", srv.password("demo"))
    pid = srv.proc.pid
    idle = _status_kib(pid, "VmRSS")
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")  # VmHWM from here
    bad = []
    start = threading.Barrier(CLIENTS)

    def fetch(c):
        start.wait()
        reply, body, _ = c.get("same.bin")
        if reply.get("status") != 200 or body != data:
            bad.append(reply)

    threads = [threading.Thread(target=fetch, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not bad, bad[:3]
    peak = _status_kib(pid, "VmHWM")
    for c in conns:
        c.close()
    # 8 MiB of buffers + 64 KiB for each of the others, plus session state
    # and a margin; before the budget was real, 40 took ~40 MiB more.
    print(f"\nidle {idle} kB, peak {peak} kB")
    assert peak - idle < 20 * 1024, f"peak {peak} kB vs idle {idle} kB"
    # Given back: the buffers at once, the heap at the next trim (2 s).
    deadline = time.monotonic() + 15
    while _status_kib(pid, "VmRSS") > idle + 4 * 1024 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _status_kib(pid, "VmRSS") <= idle + 4 * 1024, (idle, _status_kib(pid, "VmRSS"))
