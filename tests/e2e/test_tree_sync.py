"""sync (one-way mirror by size and digest, --delete, --dry-run) and rm -r /
rmdir -r (issue 13), through the real ferry client against a real ferryd, in
one-shot, batch and interactive use."""

import os

import pytest

from conftest import FERRY, run_ferry
from transfer_util import MiB, wait_for, xferlog_lines
from tree_util import local, ferry, inodes, make_tree, ok, part_files, snapshot, used


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


def test_sync_delete_refuses_a_destination_that_is_a_symlink(server, local):
    """A DEST symlink may lead to "/": --delete through it would empty the
    home. Both sides refuse; without --delete the link is followed as before."""
    home = server.clean_home("demo")
    (home / "keep").mkdir()
    (home / "keep" / "precious.txt").write_text("x")
    os.symlink("/", home / "homelink")
    src = local / "src"
    src.mkdir()
    (src / "only.txt").write_text("y")
    r = ferry(server, local, "sync", "--delete", "src", ":homelink")
    assert r.returncode == 1 and "symbolic link" in r.stderr, r
    assert (home / "keep" / "precious.txt").exists()

    mine = local / "mine"
    mine.mkdir()
    (mine / "own.txt").write_text("z")
    os.symlink(str(mine), local / "mylink")
    (home / "remote_src").mkdir()
    r = ferry(server, local, "sync", "--delete", ":remote_src", "mylink")
    assert r.returncode == 1 and "symbolic link" in r.stderr, r
    assert (mine / "own.txt").exists()


def test_sync_that_fails_part_way_does_not_claim_it_sent_everything(server, local):
    server.clean_home("quser")  # 100 MiB quota
    src = local / "big"
    src.mkdir()
    for i in range(3):
        (src / f"f{i}.bin").write_bytes(os.urandom(45 * MiB))
    r = ferry(server, local, "sync", "big", ":big", user="quser")
    assert r.returncode == 1, r
    assert "quota exceeded" in r.stderr, r
    assert "file(s) sent" not in r.stdout and "not complete" in r.stdout, r.stdout
    server.clean_home("quser")
