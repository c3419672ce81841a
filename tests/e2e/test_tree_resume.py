"""Trees that resume, files not sent twice and kept modification times (issue
13), through the real ferry client against a real ferryd.

Where a tree lands: DEST is the copy itself (made if missing, continued if
there); DEST/ receives it as DEST/NAME. So re-running an interrupted
`get -r SRC DEST` / `put -r SRC DEST` continues the first copy."""

import os
import time

import pytest

from ferry_wire import digest_of
from transfer_util import MiB, wait_for, xferlog_lines
from tree_util import local, ferry, inodes, kill_when, make_tree, ok, part_files, size_at_least, snapshot, spawn


# ---------------------------------------------------------------- tree landing + resume


def test_get_tree_killed_then_rerun_continues(server, local):
    home = server.clean_home("slow")
    expected = make_tree(home / "src", big=[("sub/zz-big.bin", 40 * MiB)])
    time.sleep(1.0)  # the user's bucket refills after earlier tests
    args = ["get", "-r", "/src", "dest"]
    lpart = local / "dest" / "sub" / ".zz-big.bin.ferry-part"
    kill_when(spawn(server, local, args, "slow"), lambda: size_at_least(lpart, 20 * MiB),
              "the local part file to reach 20 MiB")
    assert not (local / "dest" / "sub" / "zz-big.bin").exists()
    r = ok(ferry(server, local, *args, user="slow"), "re-run get -r")
    assert "resuming at" in r.stderr, r.stderr
    assert "already there with the same size and digest" in r.stderr, r.stderr
    assert snapshot(local / "dest") == expected, "the re-run did not finish the same copy"
    assert not (local / "dest" / "src").exists(), "the re-run nested a second copy"
    assert part_files(local) == []
    # the resumed get moved only the missing bytes of the big file
    lines = [f for f in xferlog_lines(server, "/src/sub/zz-big.bin") if f[17] == "c"]
    assert lines and int(lines[-1][7]) < 40 * MiB
    # a third run sends nothing at all
    before = len(xferlog_lines(server, "/src/a.txt"))
    ok(ferry(server, local, *args, user="slow"), "third get -r")
    assert len(xferlog_lines(server, "/src/a.txt")) == before
    server.clean_home("slow")


def test_put_tree_killed_then_rerun_continues(server, local):
    home = server.clean_home("slow")
    src = local / "src"
    src.mkdir()
    # bigger than what the kernel buffers between a killed client and ferryd
    expected = make_tree(src, big=[("sub/zz-big.bin", 96 * MiB)])
    time.sleep(1.0)
    args = ["put", "-r", "src", "/dest"]
    rpart = home / "dest" / "sub" / ".zz-big.bin.ferry-part"
    kill_when(spawn(server, local, args, "slow"), lambda: size_at_least(rpart, 4 * MiB),
              "the server part file to reach 4 MiB")
    wait_for(lambda: xferlog_lines(server, "/dest/sub/zz-big.bin"), 15, "the aborted put to be logged")
    r = ok(ferry(server, local, *args, user="slow", timeout=180), "re-run put -r")
    assert "resuming at" in r.stderr, r.stderr
    assert snapshot(home / "dest") == expected
    assert not (home / "dest" / "src").exists(), "the re-run nested a second copy"
    assert part_files(home) == [], "a part file was left behind (and still charged)"
    server.clean_home("slow")


def test_tree_landing_rule(server, local):
    home = server.clean_home("demo")
    expected = make_tree(local / "t")
    (home / "into").mkdir()
    # DEST is the copy, existing or not; DEST/ receives it under its name
    for _ in range(2):
        ok(ferry(server, local, "put", "-r", "t", "/copy"), "put -r t /copy")
        ok(ferry(server, local, "put", "-r", "t", "/into/"), "put -r t /into/")
        ok(ferry(server, local, "put", "-r", "t"), "put -r t")
    assert snapshot(home / "copy") == expected
    assert snapshot(home / "into" / "t") == expected
    assert snapshot(home / "t") == expected
    assert not (home / "copy" / "t").exists() and not (home / "into" / "t" / "t").exists()
    for _ in range(2):
        ok(ferry(server, local, "get", "-r", "/copy", "back"), "get -r /copy back")
        ok(ferry(server, local, "get", "-r", "/copy", "./"), "get -r /copy ./")
    assert snapshot(local / "back") == expected
    assert snapshot(local / "copy") == expected
    assert not (local / "back" / "copy").exists()
    r = ok(ferry(server, local, "help", "get"), "help get")
    assert "DEST is the copy" in r.stdout and "DEST/NAME" in r.stdout


# ---------------------------------------------------------------- finished files are not sent again


def test_put_skips_same_file_sends_changed_and_forced(server, local):
    home = server.clean_home("demo")
    data = os.urandom(2 * MiB + 5)
    (local / "f.bin").write_bytes(data)
    ok(ferry(server, local, "put", "f.bin", "/f.bin"), "first put")
    ino = os.stat(home / "f.bin").st_ino
    n_logged = len(xferlog_lines(server, "/f.bin"))
    r = ok(ferry(server, local, "put", "f.bin", "/f.bin"), "second put")
    assert "not sent" in r.stderr, r.stderr
    assert os.stat(home / "f.bin").st_ino == ino, "an up-to-date file was rewritten"
    assert len(xferlog_lines(server, "/f.bin")) == n_logged, "an up-to-date file was transferred"
    # same size, one byte changed: sent
    changed = bytes([data[0] ^ 1]) + data[1:]
    (local / "f.bin").write_bytes(changed)
    r = ok(ferry(server, local, "put", "f.bin", "/f.bin"), "put of a changed file")
    assert "not sent" not in r.stderr
    assert (home / "f.bin").read_bytes() == changed
    ino = os.stat(home / "f.bin").st_ino
    n_logged = len(xferlog_lines(server, "/f.bin"))
    r = ok(ferry(server, local, "put", "--force", "f.bin", "/f.bin"), "put --force")
    assert "not sent" not in r.stderr
    assert os.stat(home / "f.bin").st_ino != ino, "--force did not send"
    assert len(xferlog_lines(server, "/f.bin")) == n_logged + 1
    # small (inline) file too, into a directory
    (local / "s.txt").write_bytes(b"small")
    (home / "d").mkdir()
    ok(ferry(server, local, "put", "s.txt", "/d"), "put small")
    ino = os.stat(home / "d" / "s.txt").st_ino
    r = ok(ferry(server, local, "put", "s.txt", "/d"), "put small again")
    assert "not sent" in r.stderr and os.stat(home / "d" / "s.txt").st_ino == ino


def test_get_skips_same_file_sends_changed_and_forced(server, local):
    home = server.clean_home("demo")
    data = os.urandom(MiB + 3)
    (home / "g.bin").write_bytes(data)
    ok(ferry(server, local, "get", "/g.bin"), "first get")
    ino = os.stat(local / "g.bin").st_ino
    n_logged = len(xferlog_lines(server, "/g.bin"))
    r = ok(ferry(server, local, "get", "/g.bin"), "second get")
    assert "not sent" in r.stderr, r.stderr
    assert os.stat(local / "g.bin").st_ino == ino
    assert len(xferlog_lines(server, "/g.bin")) == n_logged
    (local / "g.bin").write_bytes(bytes([data[0] ^ 1]) + data[1:])
    r = ok(ferry(server, local, "get", "/g.bin"), "get over a changed local file")
    assert "not sent" not in r.stderr and (local / "g.bin").read_bytes() == data
    ino = os.stat(local / "g.bin").st_ino
    ok(ferry(server, local, "get", "--force", "/g.bin"), "get --force")
    assert os.stat(local / "g.bin").st_ino != ino


def test_tree_skips_what_is_there(server, local):
    home = server.clean_home("demo")
    expected = make_tree(local / "t")
    ok(ferry(server, local, "put", "-r", "t", "/t"), "put -r")
    before = inodes(home / "t")
    r = ok(ferry(server, local, "put", "-r", "t", "/t"), "put -r again")
    assert "not sent" in r.stderr
    assert inodes(home / "t") == before
    r = ok(ferry(server, local, "put", "-r", "--force", "t", "/t"), "put -r --force")
    assert all(before[k] != v for k, v in inodes(home / "t").items())
    assert snapshot(home / "t") == expected


# ---------------------------------------------------------------- modification times


def test_mtimes_kept_both_ways(server, local):
    home = server.clean_home("demo")
    (local / "old.txt").write_bytes(b"from 2001")
    (local / "big.bin").write_bytes(os.urandom(2 * MiB))
    os.utime(local / "old.txt", (1_000_000_000, 1_000_000_000))
    os.utime(local / "big.bin", (1_100_000_000, 1_100_000_000))
    ok(ferry(server, local, "put", "old.txt", "/old.txt"), "put inline")
    ok(ferry(server, local, "put", "big.bin", "/big.bin"), "put streamed")
    assert os.stat(home / "old.txt").st_mtime == 1_000_000_000
    assert os.stat(home / "big.bin").st_mtime == 1_100_000_000
    # the kept digest still serves (its stamp has the new mtime)
    r = ok(ferry(server, local, "put", "old.txt", "/old.txt"), "put again")
    assert "not sent" in r.stderr
    (home / "srv.txt").write_bytes(b"server side")
    os.utime(home / "srv.txt", (1_234_567_890, 1_234_567_890))
    ok(ferry(server, local, "get", "/srv.txt"), "get")
    assert os.stat(local / "srv.txt").st_mtime == 1_234_567_890
    # trees keep them too
    (home / "tree" / "x").mkdir(parents=True)
    (home / "tree" / "x" / "f").write_bytes(b"f")
    os.utime(home / "tree" / "x" / "f", (1_300_000_000, 1_300_000_000))
    ok(ferry(server, local, "get", "-r", "/tree", "tree"), "get -r")
    assert os.stat(local / "tree" / "x" / "f").st_mtime == 1_300_000_000
    os.utime(local / "tree" / "x" / "f", (1_400_000_000, 1_400_000_000))
    (local / "tree" / "x" / "f").write_bytes(b"g")
    os.utime(local / "tree" / "x" / "f", (1_400_000_000, 1_400_000_000))
    ok(ferry(server, local, "put", "-r", "tree", "/tree"), "put -r")
    assert os.stat(home / "tree" / "x" / "f").st_mtime == 1_400_000_000


@pytest.mark.parametrize("bad", ["1", -1, 1.5, 253402300800, True])
def test_put_mtime_is_validated(server, bad):
    server.clean_home("demo")
    with server.login("demo") as c:
        r = c.req("put", path="/m.txt", size=1, algo="xxh128", mtime=bad)
        assert r["status"] == 400 and r["error"] == "bad_request", r
        assert "mtime" in r.get("message", "")
        rid = c.alloc_id()
        c.send({"op": "put", "id": rid, "path": "/m.txt", "size": 1, "algo": "xxh128",
                "digest": digest_of("xxh128", b"x"), "mtime": bad, "body": 1}, b"x")
        r = c.recv_header()
        assert r["status"] == 400, r
        c.ok("pwd")  # the session goes on
    with server.login("demo") as c:
        rid = c.alloc_id()
        c.send({"op": "put", "id": rid, "path": "/m.txt", "size": 1, "algo": "xxh128",
                "digest": digest_of("xxh128", b"x"), "mtime": 86400, "body": 1}, b"x")
        assert c.recv_header()["status"] == 201
        st = c.ok("stat", path="/m.txt")["entry"]
        assert st["mtime"] == 86400
        g = c.req("get", path="/m.txt")
        assert g["mtime"] == 86400
