"""Trees that resume, files not sent twice, kept modification times, sync and
rm -r (issue 13), through the real ferry client against a real ferryd.

Where a tree lands: DEST is the copy itself (made if missing, continued if
there); DEST/ receives it as DEST/NAME. So re-running an interrupted
`get -r SRC DEST` / `put -r SRC DEST` continues the first copy."""

import os
import signal
import subprocess
import time

import pytest

from conftest import FERRY, run_ferry
from ferry_wire import digest_of
from transfer_util import MiB, wait_for, xferlog_lines


@pytest.fixture
def local(tmp_path):
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


# ---------------------------------------------------------------- sync


def test_sync_upload_cycle(server, local):
    home = server.clean_home("demo")
    src = local / "photos"
    expected = make_tree(src)
    r = ok(ferry(server, local, "sync", "photos", ":/photos"), "first sync")
    assert "sync: 5 file(s) sent" in r.stdout, r.stdout
    assert snapshot(home / "photos") == expected
    before = inodes(home / "photos")
    n_logged = len(xferlog_lines(server, "/photos/a.txt"))
    r = ok(ferry(server, local, "sync", "photos", ":/photos"), "second sync")
    assert "sync: 0 file(s) sent (0 B), 5 up to date, 0 removed" in r.stdout, r.stdout
    assert inodes(home / "photos") == before
    assert len(xferlog_lines(server, "/photos/a.txt")) == n_logged
    # one changed file (same size) is re-sent, only it
    (src / "sub" / "b.bin").write_bytes(os.urandom(3000))
    r = ok(ferry(server, local, "sync", "photos", ":/photos"), "sync after a change")
    assert "sync: 1 file(s) sent" in r.stdout, r.stdout
    assert snapshot(home / "photos") == snapshot(src)
    # extras stay without --delete, go with it; --dry-run changes nothing
    (home / "photos" / "extra.txt").write_bytes(b"extra")
    (home / "photos" / "gone" / "deep").mkdir(parents=True)
    (home / "photos" / "gone" / "deep" / "f").write_bytes(b"f")
    os.symlink("/photos/a.txt", home / "photos" / "lnk")
    (src / "new.txt").write_bytes(b"new")
    ok(ferry(server, local, "sync", "photos", ":/photos"), "sync without --delete")
    assert (home / "photos" / "extra.txt").exists()
    state = snapshot(home / "photos")
    r = ok(ferry(server, local, "sync", "--delete", "--dry-run", "photos", ":/photos"), "dry run")
    assert snapshot(home / "photos") == state, "--dry-run changed the target"
    assert "remove /photos/extra.txt" in r.stdout and "remove /photos/gone/" in r.stdout, r.stdout
    assert "nothing changed" in r.stdout
    q0 = used(server)
    r = ok(ferry(server, local, "sync", "--delete", "photos", ":/photos"), "sync --delete")
    assert "5 removed" in r.stdout, r.stdout
    assert snapshot(home / "photos") == snapshot(src)
    assert used(server) < q0


def test_sync_download_cycle(server, local):
    home = server.clean_home("demo")
    expected = make_tree(home / "remote")
    r = ok(ferry(server, local, "sync", ":/remote", "mirror"), "first sync")
    assert snapshot(local / "mirror") == expected
    before = inodes(local / "mirror")
    n_logged = len(xferlog_lines(server, "/remote/a.txt"))
    r = ok(ferry(server, local, "sync", ":/remote", "mirror"), "second sync")
    assert "sync: 0 file(s) sent (0 B)" in r.stdout, r.stdout
    assert inodes(local / "mirror") == before
    assert len(xferlog_lines(server, "/remote/a.txt")) == n_logged
    (home / "remote" / "sub" / "ü" / "日本語.txt").write_bytes("さようなら".encode()[:15])
    r = ok(ferry(server, local, "sync", ":/remote", "mirror"), "sync after a change")
    assert "sync: 1 file(s) sent" in r.stdout, r.stdout
    (local / "mirror" / "local-only").mkdir()
    (local / "mirror" / "local-only" / "x").write_bytes(b"x")
    os.symlink("/etc/passwd", local / "mirror" / "lnk")
    state = snapshot(local / "mirror")
    ok(ferry(server, local, "sync", "-n", "--delete", ":/remote", "mirror"), "dry run")
    assert snapshot(local / "mirror") == state
    ok(ferry(server, local, "sync", "--delete", ":/remote", "mirror"), "sync --delete")
    assert snapshot(local / "mirror") == snapshot(home / "remote")
    assert os.path.exists("/etc/passwd"), "a symlink was followed"


def test_sync_usage(server, local):
    server.clean_home("demo")
    (local / "d").mkdir()
    r = ferry(server, local, "sync", "d", "e")
    assert r.returncode == 2 and "':'" in r.stderr, r
    r = ferry(server, local, "sync", ":/a", ":/b")
    assert r.returncode == 2
    r = ok(ferry(server, local, "help", "sync"), "help sync")
    assert "--delete" in r.stdout and "--dry-run" in r.stdout and "':'" in r.stdout


def test_sync_in_batch_and_shell_table(server, local):
    home = server.clean_home("demo")
    expected = make_tree(local / "b")
    (local / "batch").write_text("sync b :/b\nsync :/b b2\n")
    r = run_ferry(server, ["-b", "batch", "demo@127.0.0.1"], env_password=server.password("demo"),
                  cwd=local)
    ok(r, "batch sync")
    assert snapshot(home / "b") == expected and snapshot(local / "b2") == expected


# ---------------------------------------------------------------- rm -r


def test_rm_r_releases_quota_and_refuses_home(server, local):
    home = server.clean_home("quser")
    make_tree(home / "t", big=[("sub/big.bin", 3 * MiB)])
    (home / "keep").mkdir()
    (home / "keep" / "precious").write_bytes(b"keep me")
    os.symlink("/keep", home / "t" / "sub" / "link-to-keep")
    with server.login("quser") as c:
        q0 = c.ok("quota")["used"]
    r = ok(ferry(server, local, "rm", "-r", "/t", user="quser"), "rm -r")
    assert not (home / "t").exists()
    assert (home / "keep" / "precious").read_bytes() == b"keep me", "rm -r followed a symlink"
    with server.login("quser") as c:
        assert c.ok("quota")["used"] <= q0 - 3 * MiB
    for spelled in ("/", ".", "/keep/..", "//"):
        r = ferry(server, local, "rm", "-r", spelled, user="quser")
        assert r.returncode == 1 and "refusing to remove /" in r.stderr, (spelled, r)
    r = ferry(server, local, "rmdir", "-r", "/", user="quser")
    assert r.returncode == 1 and "refusing" in r.stderr
    assert (home / "keep" / "precious").exists()
    # rmdir -r wants a directory; rm -r takes a file or a symlink as itself
    r = ferry(server, local, "rmdir", "-r", "/keep/precious", user="quser")
    assert r.returncode == 1 and "not a directory" in r.stderr
    os.symlink("/keep", home / "dirlink")
    ok(ferry(server, local, "rm", "-r", "/dirlink", user="quser"), "rm -r a symlink")
    assert not os.path.lexists(home / "dirlink") and (home / "keep" / "precious").exists()
    ok(ferry(server, local, "rmdir", "-r", "keep", user="quser"), "rmdir -r")
    assert list(home.iterdir()) == []


def test_rm_takes_interrupted_uploads_part_files(server, local):
    """A part file left by an interrupted put is hidden from ls but charged:
    rm of its name, and rmdir (-r) of its directory, give it back."""
    home = server.clean_home("quser")
    (home / "pd").mkdir()
    with server.login("quser") as c:
        for name in ("/pd/big.bin", "/solo.bin"):
            rid = c.alloc_id()
            r = c.put_open(name, 8 * MiB, id=rid)
            assert r["status"] == 200, r
            c.put_data(rid, os.urandom(2 * MiB))
    # the server notices the disconnect and keeps both parts for a resume
    wait_for(lambda: len(xferlog_lines(server, "/pd/big.bin")) and len(xferlog_lines(server, "/solo.bin")),
             10, "the interrupted puts to be logged")
    assert (home / "pd" / ".big.bin.ferry-part").stat().st_size == 2 * MiB
    q0 = used(server, "quser")
    r = ok(ferry(server, local, "ls", "/pd", user="quser"), "ls")
    assert r.stdout == ""
    ok(ferry(server, local, "rm", "/solo.bin", user="quser"), "rm of a name that only has a part")
    ok(ferry(server, local, "rm", "-r", "/pd", user="quser"), "rm -r of a directory with a part")
    assert part_files(home) == [] and not (home / "pd").exists()
    assert used(server, "quser") <= q0 - 4 * MiB


def test_sync_and_rm_r_in_the_interactive_shell(server, local):
    pexpect = pytest.importorskip("pexpect")
    home = server.clean_home("demo")
    expected = make_tree(local / "sh")
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CONFIG_HOME", "FERRY_PASSWORD")}
    env.update(HOME=str(server.base), FERRY_PASSWORD=server.password("demo"), LANG="C.UTF-8",
               TERM="xterm")
    sh = pexpect.spawn(FERRY, ["-P", str(server.port), "demo@127.0.0.1"], env=env, cwd=str(local),
                       timeout=30, encoding="utf-8")
    try:
        sh.expect("ferry.*> ")
        sh.sendline("sync sh :/sh")
        sh.expect(r"sync: 5 file\(s\) sent")
        sh.expect("> ")
        sh.sendline("sync sh :/sh")
        sh.expect(r"sync: 0 file\(s\) sent \(0 B\), 5 up to date")
        sh.expect("> ")
        sh.sendline("rm -r /sh")
        sh.expect("> ")
        sh.sendline("bye")
        sh.expect(pexpect.EOF)
    finally:
        sh.close(force=True)
    assert not (home / "sh").exists()
    assert snapshot(local / "sh") == expected
