"""Faults and tricks around uploads and digests (issue 11): an inline put cut
mid-body leaves no part file (inline puts never resume); the server never
writes its digest attribute onto a file with more than one hard link, whose
inode may also have a name outside the home."""

import os
import time

import pytest

from ferry_wire import digest_of


@pytest.fixture
def home(server):
    return server.clean_home("demo")


def _parts(d):
    return [p for p in os.listdir(d) if p.endswith(".ferry-part")]


def test_an_inline_put_cut_mid_body_leaves_no_part_file(server, home):
    c = server.login("demo")
    data = b"x" * 200_000
    c.send_partial_frame({"op": "put", "id": c.alloc_id(), "path": "cut.bin", "size": len(data),
                          "algo": "xxh128", "digest": digest_of("xxh128", data)},
                         len(data), data[:90_000])
    time.sleep(0.3)  # the server is reading the body
    c.close()
    deadline = time.monotonic() + 5
    while _parts(home) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _parts(home) == [], "the cut inline put's part file must go"
    assert not (home / "cut.bin").exists()
    with server.login("demo") as c2:  # and the same put then works whole
        assert c2.put_inline("cut.bin", data)["status"] == 201
    assert (home / "cut.bin").read_bytes() == data


def test_puts_opened_and_abandoned_leave_only_parts_with_data(server, home):
    """A client that opens uploads and vanishes leaves no empty part files
    (issue 11 found 497 of them); one that sent data keeps its part."""
    watcher = server.login("demo")  # keeps the live ledger (no re-walk at the next login)
    c = server.login("demo")
    for i in range(8):
        assert c.put_open(f"empty{i}.bin", 1000)["status"] == 200
    rid = c.put_open("half.bin", 1000)["id"]
    c.put_data(rid, b"h" * 400)
    assert c.req("pwd")["status"] == 200  # the data frame has been handled
    assert sorted(_parts(home)) == sorted([f".empty{i}.bin.ferry-part" for i in range(8)] + [".half.bin.ferry-part"])
    c.close()
    deadline = time.monotonic() + 5
    while len(_parts(home)) > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _parts(home) == [".half.bin.ferry-part"]
    assert (home / ".half.bin.ferry-part").read_bytes() == b"h" * 400
    live = watcher.ok("quota")["used"]
    watcher.close()
    time.sleep(0.2)
    with server.login("demo") as c2:  # alone: the home is walked again
        assert c2.ok("quota")["used"] == live, "the live ledger drifted from the disk"


def test_no_digest_is_written_onto_a_hard_linked_inode(server, home):
    outside = server.base / "outside-secret.txt"  # not in any home
    outside.write_bytes(b"admin's file " * 1000)
    os.link(outside, home / "linked.txt")  # an admin's hard link into the home
    try:
        with server.login("demo") as c:
            r = c.ok("hash", path="linked.txt", algo="xxh128")
            assert r["digest"] == digest_of("xxh128", outside.read_bytes())
            reply, body, trailer = c.get("linked.txt")
            assert body == outside.read_bytes() and trailer["status"] == 200
        attrs = [a for a in os.listxattr(outside) if a.startswith("user.ferry.")]
        assert attrs == [], f"the server wrote {attrs} onto an inode outside the home"
    finally:
        (home / "linked.txt").unlink()
        outside.unlink()


def test_names_of_244_to_255_bytes_go_up_and_down(server, home, tmp_path):
    """Their part files would pass 255 bytes as ".NAME.ferry-part": ferry and
    ferryd both use ".PREFIX~HASH.ferry-part" for them."""
    from conftest import run_ferry
    pw = server.password("demo")
    for n in (244, 250, 255):
        name = ("é" * 200).encode()[: n - 4].decode(errors="ignore")
        name += "x" * (n - len(name.encode()))  # exactly n bytes
        assert len(name.encode()) == n
        local = tmp_path / name
        local.write_bytes(os.urandom(300_000))  # not inline: an offset step and a part file
        r = run_ferry(server, ["demo@127.0.0.1", "put", str(local), name], password=pw)
        assert r.returncode == 0, (n, r.stderr)
        assert (home / name).read_bytes() == local.read_bytes()
        back = tmp_path / "back"
        back.mkdir(exist_ok=True)
        r = run_ferry(server, ["demo@127.0.0.1", "get", name, str(back / name)], password=pw)
        assert r.returncode == 0, (n, r.stderr)
        assert (back / name).read_bytes() == local.read_bytes()
        assert not [p for p in os.listdir(home) if p.endswith(".ferry-part")]
