"""The jail (docs/security.md): chroot semantics for every path a client can
send. `..` at `/` stays at `/`, symlink targets resolve inside the home,
nothing outside the home is read, listed, created, moved or removed, and
malformed names are refused. The autouse fixture in conftest checks that no
reply ever contained the server's real root path."""

import os
import uuid

import pytest

from ferry_wire import check_error

REAL_ETC_NAMES = {"passwd", "hostname", "os-release", "group"}


def _names(reply):
    assert reply["status"] == 200, reply
    return [e["name"] for e in reply["entries"]]


@pytest.fixture
def outside(server):
    """A directory beside the server root, i.e. outside every home, with a
    sentinel file. From the home, "../../../outside" reaches it on the real
    filesystem."""
    d = server.base / "outside"
    d.mkdir(exist_ok=True)
    for p in d.iterdir():
        if p.is_dir():
            os.rmdir(p)
        else:
            p.unlink()
    (d / "secret.txt").write_text("top secret")
    home = server.home("demo")
    assert os.path.realpath(home / ".." / ".." / ".." / "outside") == os.path.realpath(d)
    return d


def _assert_no_escape_listing(r, home_names, what):
    """ls of an escaping path: not found, or (chroot semantics) the home."""
    if r["status"] == 404:
        assert r.get("error") == "not_found", r
        return
    names = _names(r)
    assert not (set(names) & REAL_ETC_NAMES), f"{what} listed real files: {names}"
    assert names == home_names, f"{what}: expected a listing inside the home, got {names}"


def test_dotdot_at_root_stays(demo):
    for path in ["../..", "/../../..", "..", "a/../../../.."]:
        if path.startswith("a/"):
            demo.ok("mkdir", path="a", parents=False)
        r = demo.ok("cd", path=path)
        assert r["path"] == "/", f"cd {path!r}: {r!r}"
        assert demo.ok("pwd")["path"] == "/"


def test_real_etc_unreachable(server, demo):
    (server.home("demo") / "marker").write_text("m")
    for path in ["/../../etc", "../../../../etc", "/../../../../../../../../etc", "/etc"]:
        r = demo.req("ls", path=path)
        check_error(r, 404, "not_found", f"ls {path!r}")
    for path in ["/../../etc/passwd", "/etc/passwd", "../../../../../etc/passwd"]:
        check_error(demo.req("stat", path=path), 404, "not_found", f"stat {path!r}")
        check_error(demo.req("cd", path=path.rsplit("/", 1)[0] or "/etc"), 404, "not_found",
                    f"cd to the directory of {path!r}")
    for path in ["/../..", "../../../..", "/.."]:
        assert _names(demo.req("ls", path=path)) == ["marker"], f"ls {path!r}"


def test_outside_sentinel_untouchable(server, demo, outside):
    home = server.home("demo")
    (home / "marker").write_text("m")
    secret = "../../../outside/secret.txt"
    for path in [secret, "/" + secret, "/../../../../outside/secret.txt"]:
        check_error(demo.req("stat", path=path), 404, "not_found", f"stat {path!r}")
        check_error(demo.req("rm", path=path), 404, "not_found", f"rm {path!r}")
        check_error(demo.req("mv", **{"from": path, "to": "stolen"}), 404, "not_found",
                    f"mv {path!r}")
    check_error(demo.req("ls", path="../../../outside"), 404, "not_found", "ls outside")
    check_error(demo.req("mkdir", path="../../../outside/made", parents=False), 404,
                "not_found", "mkdir outside")
    check_error(demo.req("rmdir", path="../../../outside"), 404, "not_found", "rmdir outside")
    assert (outside / "secret.txt").read_text() == "top secret"
    assert sorted(os.listdir(outside)) == ["secret.txt"]
    assert not (home / "stolen").exists()
    assert sorted(os.listdir(home)) == ["marker"]


@pytest.fixture
def links(server, demo, outside):
    home = server.home("demo")
    (home / "marker").write_text("m")
    (home / "link_to_root").symlink_to("/")
    (home / "link_to_passwd").symlink_to("/etc/passwd")
    (home / "link_etc").symlink_to("/etc")
    (home / "link_up").symlink_to("../../..")
    (home / "link_outside").symlink_to(str(outside))
    (home / "link_secret").symlink_to(str(outside / "secret.txt"))
    (home / "link_secret_rel").symlink_to("../../../outside/secret.txt")
    (home / "loop").symlink_to("loop")
    (home / "d").mkdir()
    (home / "d" / "up").symlink_to("../../../../../../..")
    return home


def test_symlinks_to_root_resolve_to_home(server, demo, links):
    home_names = _names(demo.req("ls", path="/"))
    assert "marker" in home_names and "link_to_root" in home_names
    for path in ["/link_to_root", "link_up", "/link_up/link_up", "/d/up", "/link_to_root/d/up",
                 "/link_to_root/.."]:
        r = demo.req("ls", path=path)
        assert _names(r) == home_names, f"ls {path!r} must list the home: {r!r}"
    r = demo.ok("cd", path="/link_up")
    assert _names(demo.req("ls")) == home_names, "ls after cd into link_up"
    assert demo.ok("cd", path="/")["path"] == "/"


def test_symlinks_to_outside_do_not_escape(server, demo, links, outside):
    home_names = _names(demo.req("ls", path="/"))
    for path in ["/link_etc", "/link_outside", "/link_to_root/etc", "/link_up/etc"]:
        check_error(demo.req("ls", path=path), 404, "not_found", f"ls {path!r}")
        check_error(demo.req("cd", path=path), 404, "not_found", f"cd {path!r}")
    for path in ["/link_etc/passwd", "/link_to_root/etc/passwd", "/link_outside/secret.txt",
                 "/link_up/outside/secret.txt"]:
        check_error(demo.req("stat", path=path), 404, "not_found", f"stat {path!r}")
    for path in ["/link_to_passwd", "/link_secret", "/link_secret_rel"]:
        r = demo.req("stat", path=path)
        if r["status"] == 200:
            assert r["entry"]["type"] == "link", f"stat {path!r} followed the link out: {r!r}"
        else:
            check_error(r, 404, "not_found", f"stat {path!r}")
    root_entry = demo.ok("stat", path="/")["entry"]
    for path in ["/link_to_passwd/..", "/link_secret/..", "/link_etc/.."]:
        _assert_no_escape_listing(demo.req("ls", path=path), home_names, f"ls {path!r}")
        r = demo.req("stat", path=path)
        if r["status"] != 404:
            # only acceptable alternative: lexical "..", i.e. the home itself
            assert r["status"] == 200 and {k: r["entry"][k] for k in ("type", "mtime", "mode")} \
                == {k: root_entry[k] for k in ("type", "mtime", "mode")}, (
                f"stat {path!r} is neither not_found nor the home: {r!r} vs {root_entry!r}")
    # writes through links stay inside the home
    check_error(demo.req("mkdir", path="/link_outside/newdir", parents=False), 404,
                "not_found", "mkdir through an absolute link")
    for path in ["/link_outside/secret.txt", "/link_up/../../../outside/secret.txt",
                 "/d/up/outside/secret.txt"]:
        check_error(demo.req("rm", path=path), 404, "not_found", f"rm {path!r}")
        check_error(demo.req("mv", **{"from": path, "to": "/stolen"}), 404, "not_found",
                    f"mv {path!r}")
    r = demo.req("mkdir", path="/link_outside/p1/p2", parents=True)
    assert not os.path.exists(outside / "p1"), f"mkdir -p through a link escaped: {r!r}"
    if r["status"] in (200, 201):
        # chroot semantics: the link's absolute target was created inside the home
        assert (links / os.path.relpath(outside, "/") / "p1" / "p2").is_dir(), r
    r = demo.req("mkdir", path="/link_up/escape_dir", parents=False)
    assert r["status"] in (200, 201, 404), r
    r = demo.req("mv", **{"from": "/marker", "to": "/link_outside/stolen"})
    check_error(r, 404, "not_found", "mv through an absolute link")
    assert (server.home("demo") / "marker").exists()
    assert sorted(os.listdir(outside)) == ["secret.txt"]
    assert not os.path.exists(server.root.parent.parent / "escape_dir")
    assert not os.path.exists(server.base / "escape_dir")
    # removing the link removes the link, not its target
    demo.ok("rm", path="/link_secret")
    assert (outside / "secret.txt").read_text() == "top secret"
    r = demo.req("rmdir", path="/link_outside")
    assert r["status"] >= 400 or not os.path.lexists(links / "link_outside"), r
    assert outside.is_dir()


def test_absolute_link_targets_resolve_inside_home(server, demo, links):
    home = links
    (home / "etc").mkdir()
    (home / "etc" / "passwd").write_text("fake\n")
    assert _names(demo.req("ls", path="/link_etc")) == ["passwd"]
    e = demo.ok("stat", path="/link_etc/passwd")["entry"]
    assert e["type"] == "file" and e["size"] == 5, f"stat through /etc link: {e!r}"
    e = demo.ok("stat", path="/link_to_root/etc/passwd")["entry"]
    assert e["size"] == 5, e
    assert demo.ok("cd", path="/link_etc")["status"] == 200
    assert _names(demo.req("ls")) == ["passwd"]


def test_symlink_loop_is_an_error(server, demo, links):
    for op, fields in [("ls", {"path": "/loop"}), ("stat", {"path": "/loop/x"}),
                       ("cd", {"path": "/loop"})]:
        r = demo.req(op, **fields)
        assert 400 <= r["status"] < 500, f"{op} {fields}: {r!r}"
    server.assert_alive()


def test_mv_to_dotdot_tmp_stays_inside(server, demo):
    home = server.home("demo")
    name = f"ferry_jail_{uuid.uuid4().hex}"
    (home / "f").write_text("payload")
    check_error(demo.req("mv", **{"from": "f", "to": f"/../../../tmp/{name}"}), 404,
                "not_found", "mv to /../../../tmp/x without HOME/tmp")
    assert not os.path.lexists(f"/tmp/{name}")
    assert (home / "f").read_text() == "payload"
    (home / "tmp").mkdir()
    demo.ok("mv", **{"from": "f", "to": f"/../../../tmp/{name}"})
    assert (home / "tmp" / name).read_text() == "payload"
    assert not os.path.lexists(f"/tmp/{name}")
    demo.ok("mkdir", path=f"../../../../tmp/{name}.d", parents=False)
    assert (home / "tmp" / f"{name}.d").is_dir()
    assert not os.path.lexists(f"/tmp/{name}.d")
    demo.ok("mkdir", path=f"/../../../../var/tmp/{name}", parents=True)
    assert (home / "var" / "tmp" / name).is_dir()
    assert not os.path.lexists(f"/var/tmp/{name}")


@pytest.mark.parametrize("op", ["cd", "mkdir", "stat", "ls", "rm", "rmdir", "mv"])
@pytest.mark.parametrize("bad", ["a\u0000b", "\u0000", "ok/\u0000/x"], ids=["mid", "only", "component"])
def test_nul_byte_refused(server, demo, op, bad):
    (server.home("demo") / "a").write_text("a")
    fields = {"path": bad}
    if op == "mkdir":
        fields["parents"] = True
    if op == "mv":
        fields = {"from": "a", "to": bad}
    check_error(demo.req(op, **fields), 400, "bad_request", f"{op} {fields!r}")
    assert sorted(os.listdir(server.home("demo"))) == ["a"]
    assert demo.ok("pwd")["path"] == "/"


@pytest.mark.parametrize("op", ["cd", "mkdir", "stat"])
def test_empty_path_refused(server, demo, op):
    fields = {"path": ""}
    if op == "mkdir":
        fields["parents"] = False
    check_error(demo.req(op, **fields), 400, "bad_request", f"{op} with an empty path")
    assert demo.ok("pwd")["path"] == "/"
    assert os.listdir(server.home("demo")) == []


def test_long_component(server, demo):
    home = server.home("demo")
    (home / "src").write_text("s")
    long256 = "x" * 256
    for op, fields in [("mkdir", {"path": long256, "parents": False}),
                       ("mkdir", {"path": "d/" + long256, "parents": True}),
                       ("stat", {"path": long256}), ("cd", {"path": long256}),
                       ("ls", {"path": long256}),
                       ("mv", {"from": "src", "to": long256}),
                       ("mv", {"from": long256, "to": "dst"})]:
        check_error(demo.req(op, **fields), 400, "bad_request", f"{op} with a 256-byte name")
    # 256 bytes of UTF-8 in fewer characters is still too long
    check_error(demo.req("mkdir", path="é" * 128, parents=False), 400, "bad_request",
                "mkdir with a 256-byte (128-char) name")
    assert os.listdir(home) == ["src"]
    long255 = "y" * 255
    r = demo.ok("mkdir", path=long255, parents=False)
    assert r["path"] == "/" + long255
    assert (home / long255).is_dir()
    assert demo.ok("stat", path=long255)["entry"]["name"] == long255


def test_errors_do_not_leak_paths(server, demo):
    """Errors about real-filesystem conditions must speak in virtual paths.
    (The transcript check in conftest asserts the root never appears.)"""
    r = demo.req("stat", path="/no/such/file")
    check_error(r, 404, "not_found", "stat missing")
    assert str(server.home("demo")) not in r["message"]
    (server.home("demo") / "full").mkdir()
    (server.home("demo") / "full" / "x").write_text("x")
    r = demo.req("rmdir", path="full")
    check_error(r, 409, "not_empty", "rmdir non-empty")
    assert "home/demo" not in r["message"], r
