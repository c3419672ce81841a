"""Open uploads cannot exhaust the server's file descriptors (issue 11, bug 3).
ferryd runs under `prlimit --nofile=256:384`: it raises its soft limit to the
hard one (384) and keeps sessions and open uploads to budgets below it. Eight
connections that each pipeline 64 uploads get 429 too_many_uploads past the
per-connection cap (16) and the user's (64), never a 500; other users keep
logging in and listing; closing the connections gives the slots back."""

import shutil

import pytest

import conftest

PUTS = 64
CONNS = 8


@pytest.fixture(scope="module")
def tight(tmp_path_factory):
    if shutil.which("prlimit") is None:
        pytest.skip("prlimit (util-linux) not installed")
    yield from conftest._server_fixture(tmp_path_factory, prefix=("prlimit", "--nofile=256:384", "--"))


def _limits(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                return [int(x) for x in line.split()[3:5]]
    raise AssertionError("no 'Max open files' line")


def test_the_soft_limit_is_raised_to_the_hard_one(tight):
    assert _limits(tight.proc.pid) == [384, 384]
    log = tight.log_path.read_text(errors="replace")
    assert "descriptors: limit 384 (raised from 256)" in log, log[-2000:]


def test_pipelined_uploads_get_429_before_descriptors_run_out(tight):
    tight.clean_home("demo")
    conns, statuses, errors = [], {}, set()
    try:
        for n in range(CONNS):
            c = tight.login("demo")
            conns.append(c)
            first = c.next_id
            for k in range(PUTS):
                c.send({"op": "put", "id": c.alloc_id(), "path": f"c{n}-{k}.bin", "size": 2 << 20,
                        "algo": "xxh128"})
            for k in range(PUTS):
                h = c.recv_header()
                assert h.get("id") == first + k, h
                statuses[h["status"]] = statuses.get(h["status"], 0) + 1
                if h["status"] != 200:
                    errors.add((h["status"], h.get("error")))
        assert set(statuses) <= {200, 429}, f"only opens and 429s, got {statuses} {errors}"
        assert errors == {(429, "too_many_uploads")}, errors
        # 16 per connection until the user's cap (64) is reached; the
        # server's budget ((384 - 64) / 3 = 106) leaves room for others.
        assert statuses[200] == 64, statuses
        assert statuses[429] == CONNS * PUTS - statuses[200]
        # Everyone else is still served, in both directions.
        with tight.login("other") as o:
            assert o.ok("ls")["entries"] is not None
            assert o.put_inline("small.txt", b"still works")["status"] == 201
        for c in conns:
            assert c.ok("pwd")["path"] == "/"
    finally:
        for c in conns:
            c.close()
    tight.assert_alive()
    # The slots came back with the connections: a new upload opens at once.
    with tight.login("demo") as c:
        h = c.req("put", path="after.bin", size=1 << 20, algo="xxh128")
        assert h["status"] == 200, h
    assert "internal" not in tight.log_tail(200)
