"""ferryd killed with SIGKILL in the middle of an upload, restarted on the
same root: the old file is intact, the part file survives, the next put
resumes from it and the result is byte-identical. (This module restarts its
server, so it has a file of its own.)"""

import os
import socket
import threading
import time

from ferry_wire import Conn, digest_of
from transfer_util import MiB, ls_names, part_path, put_open_when_free, wait_for


def test_server_sigkill_mid_put_then_resume(server):
    home = server.clean_home("demo")
    old = os.urandom(MiB + 1)
    (home / "sub").mkdir()
    (home / "sub" / "big.bin").write_bytes(old)
    data = os.urandom(24 * MiB + 7)
    part = part_path(home / "sub", "big.bin")

    c = server.login("demo")
    rid, r = put_open_when_free(c, "/sub/big.bin", len(data))
    assert r["status"] == 200 and r["offset"] == 0, r
    c.put_data(rid, data[:6 * MiB])
    # wait until the server has put some of it on disk, then crash it
    wait_for(lambda: part.exists() and part.stat().st_size >= 2 * MiB, 10,
             "the part file to grow before the crash")
    server.kill()
    c.close()
    kept = part.stat().st_size
    assert 2 * MiB <= kept <= 6 * MiB, kept
    assert part.read_bytes() == data[:kept], "part file is not a prefix of the upload"
    assert (home / "sub" / "big.bin").read_bytes() == old, "crash damaged the old file"

    server.restart()
    with server.login("demo") as c:
        assert ls_names(c, "/sub") == ["big.bin"], "part file visible after restart"
        reply, body, trailer = c.get("/sub/big.bin")
        assert body == old
        rid, r = put_open_when_free(c, "/sub/big.bin", len(data), algo="sha256")
        assert r["status"] == 200 and r.get("offset") == kept, (
            f"after restart the put must resume at the part file's {kept} bytes: {r!r}")
        c.put_data(rid, data[kept:])
        cm = c.put_commit(rid, "sha256", digest_of("sha256", data))
        assert cm["status"] == 201, cm
        assert (home / "sub" / "big.bin").read_bytes() == data
        assert not part.exists()
        h = c.ok("hash", path="/sub/big.bin", algo="xxh128")
        assert h["digest"] == digest_of("xxh128", data), h


def test_server_sigkill_mid_put_of_new_file(server):
    """A crash while a brand-new file is being uploaded leaves nothing under
    the real name; after the restart the upload finishes from the part file."""
    home = server.clean_home("demo")
    data = os.urandom(16 * MiB)
    part = part_path(home, "new.bin")
    c = Conn(server.port)
    c.login("demo", server.password("demo"))
    rid, r = put_open_when_free(c, "new.bin", len(data), algo="md5")
    assert r["status"] == 200, r
    c.put_data(rid, data[:5 * MiB], frame_size=256 * 1024)
    wait_for(lambda: part.exists() and part.stat().st_size >= MiB, 10, "part file growth")
    server.kill()
    try:
        c.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    c.close()
    assert not (home / "new.bin").exists(), "a half upload appeared under the real name"
    kept = part.stat().st_size
    assert part.read_bytes() == data[:kept]
    server.restart()
    with server.login("demo") as c:
        assert ls_names(c) == [], "part file listed after restart"
        rid, r = put_open_when_free(c, "new.bin", len(data), algo="md5")
        assert r["status"] == 200 and r.get("offset") == kept, r
        c.put_data(rid, data[kept:])
        assert c.put_commit(rid, "md5", digest_of("md5", data))["status"] == 201
    assert (home / "new.bin").read_bytes() == data
    assert not part.exists()


def test_global_rate_limit_from_config(server):
    """`rate` in ferryd.toml caps the whole server (all users together)."""
    home = server.clean_home("demo")
    ohome = server.clean_home("other")
    data = os.urandom(24 * MiB)
    (home / "r.bin").write_bytes(data)
    (ohome / "r.bin").write_bytes(data)
    toml = server.root / "ferryd.toml"
    original = toml.read_text()
    results = {}

    def fetch(user):
        with server.login(user) as c:
            c.sock.settimeout(30)
            results[user] = c.get("r.bin")[1]

    try:
        toml.write_text(original + '\nrate = "16MiB/s"\n')
        server.kill()
        server.restart()
        threads = [threading.Thread(target=fetch, args=(u,)) for u in ("demo", "other")]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        elapsed = time.monotonic() - t0
        assert results.get("demo") == data and results.get("other") == data
        # 48 MiB through one 16 MiB/s bucket with a 16 MiB burst: >= ~2 s
        assert elapsed >= 1.8, f"two users got 48 MiB in {elapsed:.2f} s under a 16 MiB/s cap"
    finally:
        toml.write_text(original)
        server.kill()
        server.restart()
    # without the cap the same transfers are fast again
    t0 = time.monotonic()
    fetch("demo")
    assert results["demo"] == data
    assert time.monotonic() - t0 < 1.5, "the global rate still applies after removing it"
