"""Navigation ops over the raw protocol (docs/protocol.md §8): pwd, cd, ls, stat,
mkdir, rmdir, rm, mv, quota, checked against the real filesystem."""

import os
import time

from ferry_wire import check_error


def _names(reply):
    assert reply["status"] == 200, reply
    return [e["name"] for e in reply["entries"]]


def test_pwd_starts_at_root(demo):
    assert demo.ok("pwd")["path"] == "/"


def test_mkdir_creates_on_disk(server, demo):
    home = server.home("demo")
    r = demo.ok("mkdir", path="a", parents=False)
    assert r.get("path") == "/a", r
    assert (home / "a").is_dir()
    check_error(demo.req("mkdir", path="a", parents=False), 409, "exists", "mkdir existing")
    (home / "f").write_text("x")
    check_error(demo.req("mkdir", path="f", parents=False), 409, "exists", "mkdir over a file")


def test_mkdir_parents(server, demo):
    home = server.home("demo")
    check_error(demo.req("mkdir", path="x/y/z", parents=False), 404, "not_found",
                "mkdir without parents under a missing dir")
    assert not (home / "x").exists()
    r = demo.ok("mkdir", path="x/y/z", parents=True)
    assert r.get("path") == "/x/y/z", r
    assert (home / "x" / "y" / "z").is_dir()
    # like mkdir -p: an existing directory is fine
    demo.ok("mkdir", path="x/y", parents=True)
    (home / "x" / "file").write_text("f")
    r = demo.req("mkdir", path="x/file/sub", parents=True)
    assert r["status"] in (404, 409), f"mkdir -p through a file must fail: {r!r}"
    assert (home / "x" / "file").is_file()


def test_cd_and_normalisation(server, demo):
    home = server.home("demo")
    (home / "x" / "y" / "z").mkdir(parents=True)
    (home / "a").mkdir()
    cases = [("a", "/a"), ("..", "/"), ("x/y/../y/z", "/x/y/z"), ("/", "/"),
             ("./a/.", "/a"), ("../x//y/", "/x/y"), ("z", "/x/y/z"), ("../../..", "/"),
             ("//a//", "/a"), ("/x/./y/z/../..", "/x")]
    for path, expected in cases:
        r = demo.ok("cd", path=path)
        assert r.get("path") == expected, f"cd {path!r}: {r!r}"
        assert demo.ok("pwd")["path"] == expected, f"pwd after cd {path!r}"


def test_cd_errors_keep_cwd(server, demo):
    home = server.home("demo")
    (home / "d").mkdir()
    (home / "d" / "file").write_text("hello")
    demo.ok("cd", path="d")
    check_error(demo.req("cd", path="nope"), 404, "not_found", "cd missing")
    check_error(demo.req("cd", path="file"), 409, "not_directory", "cd to a file")
    assert demo.ok("pwd")["path"] == "/d"


def test_relative_paths_use_cwd(server, demo):
    home = server.home("demo")
    demo.ok("mkdir", path="a", parents=False)
    demo.ok("cd", path="a")
    r = demo.ok("mkdir", path="b", parents=False)
    assert r.get("path") == "/a/b", r
    assert (home / "a" / "b").is_dir()
    assert not (home / "b").exists()
    assert demo.ok("stat", path="b")["entry"]["type"] == "dir"
    check_error(demo.req("stat", path="/b"), 404, "not_found", "stat /b")
    assert demo.ok("stat", path="/a/b")["entry"]["type"] == "dir"
    assert _names(demo.req("ls")) == ["b"]
    assert _names(demo.req("ls", path="/")) == ["a"]


def test_ls_entries(server, demo):
    home = server.home("demo")
    (home / "a.txt").write_bytes(b"x" * 1234)
    (home / "B").write_bytes(b"")
    (home / "c_dir").mkdir()
    (home / "Zed").write_bytes(b"12345")
    os.chmod(home / "Zed", 0o600)
    (home / ".a.txt.ferry-part").write_bytes(b"partial")
    (home / "lnk").symlink_to("a.txt")
    old = time.time() - 86400 * 3
    os.utime(home / "a.txt", (old, old))
    r = demo.ok("ls")
    names = _names(r)
    assert ".a.txt.ferry-part" not in names, f"part file listed: {names}"
    assert "." not in names and ".." not in names, names
    assert names == ["B", "Zed", "a.txt", "c_dir", "lnk"], names
    by = {e["name"]: e for e in r["entries"]}
    assert by["a.txt"]["type"] == "file" and by["a.txt"]["size"] == 1234, by["a.txt"]
    assert by["B"]["type"] == "file" and by["B"]["size"] == 0
    assert by["c_dir"]["type"] == "dir", by["c_dir"]
    assert by["lnk"]["type"] == "link", by["lnk"]
    for name in ("a.txt", "B", "c_dir", "Zed"):
        st = os.stat(home / name)
        e = by[name]
        assert isinstance(e["mtime"], int) and abs(e["mtime"] - int(st.st_mtime)) <= 1, (name, e)
        assert isinstance(e["mode"], int) and e["mode"] & 0o777 == st.st_mode & 0o777, (
            name, oct(e["mode"]), oct(st.st_mode))
    assert by["Zed"]["mode"] & 0o777 == 0o600
    # ls of a path, absolute and relative
    (home / "c_dir" / "inner").write_text("i")
    assert _names(demo.req("ls", path="/c_dir")) == ["inner"]
    assert _names(demo.req("ls", path="c_dir")) == ["inner"]
    check_error(demo.req("ls", path="nope"), 404, "not_found", "ls missing")


def test_stat(server, demo):
    home = server.home("demo")
    (home / "f").write_bytes(b"abc")
    (home / "d").mkdir()
    e = demo.ok("stat", path="f")["entry"]
    assert e["name"] == "f" and e["type"] == "file" and e["size"] == 3, e
    assert e["mode"] & 0o777 == os.stat(home / "f").st_mode & 0o777
    e = demo.ok("stat", path="/d")["entry"]
    assert e["type"] == "dir" and e["name"] == "d", e
    assert demo.ok("stat", path="/")["entry"]["type"] == "dir"
    check_error(demo.req("stat", path="missing"), 404, "not_found", "stat missing")
    r = demo.req("stat", path="f/x")
    assert (r["status"], r.get("error")) in [(404, "not_found"), (409, "not_directory")], r


def test_rmdir_and_rm(server, demo):
    home = server.home("demo")
    (home / "empty").mkdir()
    (home / "full").mkdir()
    (home / "full" / "x").write_text("x")
    (home / "file").write_text("data")
    demo.ok("rmdir", path="empty")
    assert not (home / "empty").exists()
    check_error(demo.req("rmdir", path="full"), 409, "not_empty", "rmdir non-empty")
    assert (home / "full" / "x").exists()
    check_error(demo.req("rmdir", path="file"), 409, "not_directory", "rmdir a file")
    check_error(demo.req("rm", path="full"), 409, "is_directory", "rm a directory")
    assert (home / "full").is_dir()
    check_error(demo.req("rm", path="nope"), 404, "not_found", "rm missing")
    check_error(demo.req("rmdir", path="nope"), 404, "not_found", "rmdir missing")
    demo.ok("rm", path="file")
    assert not (home / "file").exists()
    demo.ok("rm", path="full/x")
    demo.ok("rmdir", path="full")
    assert list(home.iterdir()) == []
    r = demo.req("rmdir", path="/")
    assert r["status"] >= 400, f"rmdir / must fail: {r!r}"
    assert home.is_dir()


def test_rm_symlink_removes_link_only(server, demo):
    home = server.home("demo")
    (home / "target").write_text("keep me")
    (home / "link").symlink_to("target")
    demo.ok("rm", path="link")
    assert not os.path.lexists(home / "link")
    assert (home / "target").read_text() == "keep me"


def test_mv(server, demo):
    home = server.home("demo")
    (home / "f1").write_text("one")
    (home / "f2").write_text("two")
    (home / "dir").mkdir()
    demo.ok("mv", **{"from": "f1", "to": "g1"})
    assert (home / "g1").read_text() == "one" and not (home / "f1").exists()
    check_error(demo.req("mv", **{"from": "g1", "to": "f2"}), 409, "exists", "mv onto a file")
    assert (home / "g1").read_text() == "one" and (home / "f2").read_text() == "two"
    demo.ok("mv", **{"from": "g1", "to": "dir"})
    assert (home / "dir" / "g1").read_text() == "one" and not (home / "g1").exists()
    demo.ok("mv", **{"from": "/dir", "to": "/renamed"})
    assert (home / "renamed" / "g1").is_file() and not (home / "dir").exists()
    demo.ok("cd", path="renamed")
    demo.ok("mv", **{"from": "g1", "to": "../top"})
    assert (home / "top").read_text() == "one"
    check_error(demo.req("mv", **{"from": "missing", "to": "x"}), 404, "not_found", "mv missing")
    check_error(demo.req("mv", **{"from": "/f2", "to": "/nodir/x"}), 404, "not_found",
                "mv into a missing directory")
    assert (home / "f2").read_text() == "two"


def test_mv_dir_into_itself_fails(server, demo):
    home = server.home("demo")
    (home / "p" / "q").mkdir(parents=True)
    r = demo.req("mv", **{"from": "p", "to": "p/q/r"})
    assert r["status"] >= 400, f"moving a directory into itself must fail: {r!r}"
    assert (home / "p" / "q").is_dir()


def test_quota_reports_usage_and_limit(server):
    home = server.clean_home("quser")
    (home / "a").write_bytes(b"x" * 1000)
    (home / "sub").mkdir()
    (home / "sub" / "b").write_bytes(b"y" * 2345)
    with server.login("quser") as c:
        q = c.ok("quota")
        assert q["limit"] == 100 * 1024 * 1024, q
        # a 4 KiB block for each of the three names (a, sub, sub/b): each
        # file fits one (docs/protocol.md)
        assert q["used"] == 3 * 4096 and q["files"] == 3, q
        assert q["max_files"] == 1_000_000, "the server's default"
        c.ok("rm", path="a")
        q = c.ok("quota")
        assert q["used"] == 2 * 4096 and q["files"] == 2, f"quota after rm: {q!r}"


def test_quota_is_stable_across_calls(server):
    """Asking twice without changing anything must give the same answer."""
    home = server.clean_home("quser")
    (home / "a").write_bytes(b"x" * 1000)
    (home / "d").mkdir()
    (home / "d" / "b").write_bytes(b"y" * 24)
    with server.login("quser") as c:
        used = [c.ok("quota")["used"] for _ in range(3)]
        c.ok("ls")
        used.append(c.ok("quota")["used"])
    assert used == [3 * 4096] * 4, f"quota used on successive calls: {used}"  # 3 names


def test_quota_unlimited(server, demo):
    q = demo.ok("quota")
    assert q["limit"] == 0 and q["used"] == 0, q


def test_users_are_isolated(server, demo):
    server.clean_home("other")
    (server.home("other") / "secret_of_other").write_text("s")
    (server.home("demo") / "mine").write_text("m")
    assert _names(demo.req("ls", path="/")) == ["mine"]
    check_error(demo.req("stat", path="/../other/secret_of_other"), 404, "not_found",
                "reaching another user's home")
    with server.login("other") as o:
        assert _names(o.req("ls")) == ["secret_of_other"]


def test_cwd_is_per_session(server, demo):
    (server.home("demo") / "d").mkdir()
    demo.ok("cd", path="d")
    with server.login("demo") as second:
        assert second.ok("pwd")["path"] == "/"
    assert demo.ok("pwd")["path"] == "/d"


def test_directory_removed_under_cwd(server, demo):
    home = server.home("demo")
    (home / "gone").mkdir()
    demo.ok("cd", path="gone")
    with server.login("demo") as other:
        other.ok("rmdir", path="gone")
    assert not (home / "gone").exists()
    r = demo.req("ls")
    assert (r["status"] == 404 and r.get("error") == "not_found") or (
        r["status"] == 200 and r["entries"] == []), f"ls in a removed cwd: {r!r}"
    assert demo.ok("cd", path="/")["path"] == "/"
