"""Transfers with the real `ferry` client (issue 4): one-shot get/put round
trips of several sizes with each algo, trees with UTF-8 names, resume after
the client is SIGKILLed mid-put and mid-get, --no-resume, verification
failures, batch mode and the hash command. Local files live in a per-test
directory used as the client's cwd, so relative names are all the client
prints (no temp path in its output)."""

import filecmp
import os
import random
import signal
import subprocess
import time

import pytest

from conftest import FERRY, run_ferry
from ferry_wire import ALGOS, digest_of_file
from transfer_util import MiB, check_xferlog_line, part_path, wait_for, xferlog_lines

SIZES = [0, 1, MiB + 1]
SIZE_IDS = ["empty", "1byte", "1MiB+1"]


@pytest.fixture
def local(tmp_path):
    d = tmp_path / "local"
    d.mkdir()
    return d


def ferry(server, local, *args, user="demo", timeout=60):
    return run_ferry(server, [f"{user}@127.0.0.1", *args], env_password=server.password(user),
                     timeout=timeout, cwd=local)


def ok(r, what):
    assert r.returncode == 0, (
        f"{what}: exit {r.returncode}\nstdout: {r.stdout!r}\nstderr: {r.stderr!r}")
    return r


def quiet_ok(r, what):
    """Success with nothing on stderr: no progress output off a TTY."""
    ok(r, what)
    assert r.stderr == "", f"{what}: unexpected stderr off a TTY: {r.stderr!r}"
    return r


def failed(r, what):
    assert r.returncode == 1, (
        f"{what}: expected exit 1, got {r.returncode}\nstdout: {r.stdout!r}\n"
        f"stderr: {r.stderr!r}")
    assert r.stderr.strip(), f"{what}: failure without a message"
    return r


def same_file(a, b):
    return os.path.getsize(a) == os.path.getsize(b) and filecmp.cmp(a, b, shallow=False)


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("algo", ALGOS)
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_round_trip(server, local, size, algo):
    home = server.clean_home("demo")
    data = os.urandom(size)
    (local / "src.bin").write_bytes(data)
    quiet_ok(ferry(server, local, "put", "--algo", algo, "src.bin", "/rt.bin"), "put")
    assert (home / "rt.bin").read_bytes() == data
    assert sorted(os.listdir(home)) == ["rt.bin"], "part file or stray file left on the server"
    quiet_ok(ferry(server, local, "get", "--algo", algo, "/rt.bin", "back.bin"), "get")
    assert (local / "back.bin").read_bytes() == data
    assert sorted(os.listdir(local)) == ["back.bin", "src.bin"], "local part file left"


def test_default_names(server, local):
    """put LOCAL without REMOTE lands under its base name in the cwd; get
    REMOTE without LOCAL lands in the local cwd; a trailing-slash / existing
    directory target receives the file under its own name."""
    home = server.clean_home("demo")
    (home / "d").mkdir()
    (local / "sub").mkdir()
    data = os.urandom(1000)
    (local / "sub" / "n.txt").write_bytes(data)
    quiet_ok(ferry(server, local, "put", "sub/n.txt"), "put without REMOTE")
    assert (home / "n.txt").read_bytes() == data
    quiet_ok(ferry(server, local, "put", "sub/n.txt", "/d"), "put into a remote dir")
    assert (home / "d" / "n.txt").read_bytes() == data
    (local / "sub" / "n.txt").unlink()
    quiet_ok(ferry(server, local, "get", "/d/n.txt"), "get without LOCAL")
    assert (local / "n.txt").read_bytes() == data
    quiet_ok(ferry(server, local, "get", "/n.txt", "sub"), "get into a local dir")
    assert (local / "sub" / "n.txt").read_bytes() == data


@pytest.fixture(scope="module")
def big_source(tmp_path_factory):
    d = tmp_path_factory.mktemp("big")
    src = d / "big.bin"
    with open(src, "wb") as f:
        for _ in range(16):
            f.write(os.urandom(16 * MiB))
    yield src
    src.unlink()


@pytest.mark.parametrize("algo", ALGOS)
def test_round_trip_256MiB(server, local, big_source, algo):
    home = server.clean_home("demo")
    src = local / "big.bin"
    os.link(big_source, src)
    try:
        t0 = time.monotonic()
        quiet_ok(ferry(server, local, "put", "--algo", algo, "big.bin", "/big.bin", timeout=120),
                 "put 256 MiB")
        put_s = time.monotonic() - t0
        assert same_file(src, home / "big.bin"), "uploaded 256 MiB file differs"
        assert sorted(os.listdir(home)) == ["big.bin"]
        t0 = time.monotonic()
        quiet_ok(ferry(server, local, "get", "--algo", algo, "/big.bin", "back.bin", timeout=120),
                 "get 256 MiB")
        get_s = time.monotonic() - t0
        assert same_file(src, local / "back.bin"), "downloaded 256 MiB file differs"
        assert sorted(os.listdir(local)) == ["back.bin", "big.bin"]
        print(f"256 MiB {algo}: put {put_s:.2f} s, get {get_s:.2f} s")
    finally:
        for p in (src, local / "back.bin", home / "big.bin"):
            if p.exists():
                p.unlink()


# ---------------------------------------------------------------- trees

TREE_DIRS = ["a", "a/b", "a/b/c", "ü", "ü/日本語", "ü/日本語/深い", "space dir",
             "space dir/ñandú", "emoji 😀", "empty", "empty/inner-empty", "z"]


def _make_tree(root, n_files=1000, seed=4):
    rnd = random.Random(seed)
    for d in TREE_DIRS:
        (root / d).mkdir(parents=True, exist_ok=True)
    files = {}
    names = ["файл", "ファイル", "naïve", "plain", "with space", "ünï", "x"]
    filled = [d for d in TREE_DIRS if not d.startswith("empty")] + [""]
    for i in range(n_files):
        d = filled[i % len(filled)]
        name = f"{names[i % len(names)]}-{i:04d}" + (".txt" if i % 3 else "")
        rel = f"{d}/{name}" if d else name
        size = rnd.choice([0, 1, 17, 512, 4096, rnd.randrange(0, 20000)])
        data = rnd.randbytes(size)
        (root / rel).write_bytes(data)
        files[rel] = data
    return files


def _snapshot(root):
    """{relative path: bytes, or None for a directory}"""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        for d in dirnames:
            out[os.path.normpath(os.path.join(rel_dir, d))] = None
        for f in filenames:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.normpath(os.path.join(rel_dir, f))] = fh.read()
    return out


def test_tree_round_trip(server, local):
    home = server.clean_home("demo")
    tree = local / "tree"
    tree.mkdir()
    files = _make_tree(tree)
    expected = _snapshot(tree)
    assert len([v for v in expected.values() if v is not None]) == len(files) == 1000
    t0 = time.monotonic()
    quiet_ok(ferry(server, local, "put", "-r", "tree", "/up", timeout=120), "put -r")
    put_s = time.monotonic() - t0
    got = _snapshot(home / "up")
    assert set(got) == set(expected), (
        f"put -r: missing {sorted(set(expected) - set(got))[:5]}, "
        f"extra {sorted(set(got) - set(expected))[:5]}")
    bad = [k for k in expected if got[k] != expected[k]]
    assert not bad, f"put -r: {len(bad)} files differ, e.g. {bad[:5]}"
    t0 = time.monotonic()
    quiet_ok(ferry(server, local, "get", "-r", "/up", "down", timeout=120), "get -r")
    get_s = time.monotonic() - t0
    got = _snapshot(local / "down")
    assert set(got) == set(expected), (
        f"get -r: missing {sorted(set(expected) - set(got))[:5]}, "
        f"extra {sorted(set(got) - set(expected))[:5]}")
    bad = [k for k in expected if got[k] != expected[k]]
    assert not bad, f"get -r: {len(bad)} files differ, e.g. {bad[:5]}"
    print(f"1000 files: put -r {put_s:.2f} s, get -r {get_s:.2f} s")
    # into a directory spelled as one (DEST/): the tree arrives under its own name
    (home / "into").mkdir()
    quiet_ok(ferry(server, local, "put", "-r", "tree/ü", "/into/"), "put -r into a dir")
    assert _snapshot(home / "into" / "ü") == {k[len("ü/"):]: v for k, v in expected.items()
                                              if k.startswith("ü/")}


def test_put_tree_does_not_follow_symlinks_out(server, local, tmp_path):
    home = server.clean_home("demo")
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = b"SECRET-OUTSIDE-THE-TREE-" + os.urandom(8).hex().encode()
    (outside / "secret.txt").write_bytes(secret)
    tree = local / "t"
    (tree / "in").mkdir(parents=True)
    (tree / "in" / "real.txt").write_bytes(b"real")
    os.symlink(outside / "secret.txt", tree / "in" / "file-link")
    os.symlink(outside, tree / "dir-link")
    r = ferry(server, local, "put", "-r", "t", "/t")
    assert r.returncode in (0, 1), r
    assert (home / "t" / "in" / "real.txt").read_bytes() == b"real"
    for dirpath, dirnames, filenames in os.walk(home):
        for f in filenames:
            with open(os.path.join(dirpath, f), "rb") as fh:
                assert secret not in fh.read(), f"{f}: a symlink out of the tree was followed"
    assert not (home / "t" / "dir-link" / "secret.txt").exists()


# ---------------------------------------------------------------- resume


def _spawn_ferry(server, local, args, user):
    env = {k: v for k, v in os.environ.items() if k != "FERRY_PASSWORD"}
    env.update(HOME=str(server.base), FERRY_PASSWORD=server.password(user))
    return subprocess.Popen([FERRY, "-P", str(server.port), f"{user}@127.0.0.1", *args],
                            cwd=local, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _kill_when(proc, cond, what, timeout=20):
    try:
        deadline = time.monotonic() + timeout
        while not cond():
            if proc.poll() is not None:
                out, err = proc.communicate()
                raise AssertionError(
                    f"ferry finished (exit {proc.returncode}) before {what}; the transfer "
                    f"had no middle to interrupt (is the rate limit applied?) stderr {err!r}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL, f"ferry was not killed: {proc.returncode}"


def _size_at_least(p, n):
    try:
        return p.stat().st_size >= n
    except FileNotFoundError:
        return False


SLOW_SIZE = 48 * MiB  # "slow" is limited to 16 MiB/s (16 MiB burst): ~2 s
# An upload must be larger than what the kernel can buffer between a killed
# client and the server (here tcp_rmem max 32 MiB + tcp_wmem max 4 MiB), or
# the server still receives every byte after the kill.
SLOW_PUT_SIZE = 96 * MiB


def test_client_killed_mid_put_resumes(server, local):
    home = server.clean_home("slow")
    data = os.urandom(SLOW_PUT_SIZE)
    (local / "up.bin").write_bytes(data)
    part = part_path(home, "up.bin")
    p = _spawn_ferry(server, local, ["put", "up.bin", "/up.bin"], "slow")
    _kill_when(p, lambda: _size_at_least(part, 4 * MiB), "the server part file to reach 4 MiB")
    # once the server has logged the aborted upload (after draining what the
    # kernel still held), the part file is final
    lines = wait_for(lambda: xferlog_lines(server, "/up.bin"), 15, "the aborted put to be logged")
    assert [f[17] for f in lines] == ["i"], (
        f"the killed put was not logged as incomplete (did the client hand every byte to the "
        f"kernel before the kill?): {lines}")
    assert not (home / "up.bin").exists(), "killed put left a file under the real name"
    kept = part.stat().st_size
    assert 4 * MiB <= kept < SLOW_PUT_SIZE
    assert part.read_bytes() == data[:kept]
    check_xferlog_line(lines[0], "slow", kept, "i", "i", "/up.bin")
    r = ok(ferry(server, local, "put", "up.bin", "/up.bin", user="slow"), "resumed put")
    assert "resuming at" in r.stderr, f"no 'resuming at' on stderr: {r.stderr!r}"
    assert (home / "up.bin").read_bytes() == data
    assert not part.exists()
    lines = wait_for(lambda: [f for f in xferlog_lines(server, "/up.bin")
                              if len(xferlog_lines(server, "/up.bin")) >= 2], 5,
                     "the resumed put to be logged")
    assert [f[17] for f in lines] == ["i", "c"], lines
    # the resumed transfer moved only the missing bytes
    check_xferlog_line(lines[1], "slow", SLOW_PUT_SIZE - kept, "i", "c", "/up.bin")
    server.clean_home("slow")


def test_client_killed_mid_get_resumes(server, local):
    home = server.clean_home("slow")
    data = os.urandom(SLOW_SIZE)
    (home / "down.bin").write_bytes(data)
    lpart = part_path(local, "down.bin")
    time.sleep(1.0)  # let the user's bucket refill after the previous test
    p = _spawn_ferry(server, local, ["get", "/down.bin", "down.bin"], "slow")
    _kill_when(p, lambda: _size_at_least(lpart, 20 * MiB), "the local part file to reach 20 MiB")
    assert not (local / "down.bin").exists(), "killed get left a file under the real name"
    kept = lpart.stat().st_size
    assert 20 * MiB <= kept < SLOW_SIZE, kept
    assert lpart.read_bytes() == data[:kept], "local part file is not a prefix of the file"
    wait_for(lambda: xferlog_lines(server, "/down.bin"), 5, "the aborted get to be logged")
    r = ok(ferry(server, local, "get", "/down.bin", "down.bin", user="slow"), "resumed get")
    assert "resuming at" in r.stderr, f"no 'resuming at' on stderr: {r.stderr!r}"
    assert (local / "down.bin").read_bytes() == data
    assert not lpart.exists()
    lines = wait_for(lambda: [f for f in xferlog_lines(server, "/down.bin") if f[17] == "c"], 5,
                     "the resumed get to be logged")
    moved = int(lines[-1][7])
    assert moved == SLOW_SIZE - kept, f"resumed get moved {moved} bytes, {kept} were already local"
    server.clean_home("slow")


def test_no_resume_put(server, local):
    home = server.clean_home("demo")
    data = os.urandom(3 * MiB)
    (local / "f.bin").write_bytes(data)
    part = part_path(home, "f.bin")
    part.write_bytes(os.urandom(MiB))  # garbage, not a prefix of the file
    quiet_ok(ferry(server, local, "put", "--no-resume", "f.bin", "/f.bin"), "put --no-resume")
    assert (home / "f.bin").read_bytes() == data
    assert not part.exists()


def test_resume_put_from_garbage_part_fails_cleanly(server, local):
    home = server.clean_home("demo")
    data = os.urandom(3 * MiB)
    (local / "f.bin").write_bytes(data)
    (home / "f.bin").write_bytes(b"old")
    part = part_path(home, "f.bin")
    part.write_bytes(os.urandom(MiB))
    r = failed(ferry(server, local, "put", "f.bin", "/f.bin"), "put over a garbage part")
    assert "checksum" in r.stderr.lower(), r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2, r.stderr
    assert (home / "f.bin").read_bytes() == b"old", "a failed put replaced the file"
    assert not part.exists(), "the server kept the bad part file"
    quiet_ok(ferry(server, local, "put", "f.bin", "/f.bin"), "put again")
    assert (home / "f.bin").read_bytes() == data


def test_no_resume_get_and_bad_local_part(server, local):
    home = server.clean_home("demo")
    data = os.urandom(3 * MiB)
    (home / "g.bin").write_bytes(data)
    lpart = part_path(local, "g.bin")
    lpart.write_bytes(os.urandom(MiB))  # garbage prefix
    quiet_ok(ferry(server, local, "get", "--no-resume", "/g.bin", "g.bin"), "get --no-resume")
    assert (local / "g.bin").read_bytes() == data
    assert not lpart.exists()
    (local / "g.bin").unlink()
    # resuming from a garbage local part: the whole-file digest cannot match
    lpart.write_bytes(os.urandom(MiB))
    r = failed(ferry(server, local, "get", "/g.bin", "g.bin"), "get resuming a garbage part")
    assert "resuming at" in r.stderr, r.stderr
    assert "checksum" in r.stderr.lower(), r.stderr
    assert not (local / "g.bin").exists(), "a failed get left a file under the real name"
    assert not lpart.exists(), "a mismatching local part file was kept"
    # a good prefix resumes
    lpart.write_bytes(data[:MiB + 5])
    r = ok(ferry(server, local, "get", "/g.bin", "g.bin"), "get resuming a good part")
    assert "resuming at" in r.stderr, r.stderr
    assert (local / "g.bin").read_bytes() == data
    assert not lpart.exists()


# ---------------------------------------------------------------- errors, batch, hash


def test_transfer_errors(server, local):
    home = server.clean_home("demo")
    (home / "d").mkdir()
    r = failed(ferry(server, local, "get", "/missing", "x"), "get missing")
    assert "not found" in r.stderr.lower(), r.stderr
    assert os.listdir(local) == [], "a failed get created local files"
    r = failed(ferry(server, local, "get", "/d", "x"), "get a directory without -r")
    assert os.listdir(local) == []
    r = failed(ferry(server, local, "put", "nope.bin", "/nope.bin"), "put missing local")
    assert sorted(os.listdir(home)) == ["d"]
    (local / "f").write_bytes(b"f")
    r = failed(ferry(server, local, "put", "f", "/nodir/f"), "put under a missing dir")
    assert sorted(os.listdir(home)) == ["d"]
    r = ferry(server, local, "get", "--algo", "crc32", "/d", "x")
    assert r.returncode == 2, f"unknown algo is a usage error: {r.returncode} {r.stderr!r}"
    r = ferry(server, local, "put")
    assert r.returncode == 2, f"put without operands: {r.returncode} {r.stderr!r}"


def test_put_over_quota(server, local):
    home = server.clean_home("quser")
    big = local / "sparse-150MiB.bin"
    with open(big, "wb") as f:
        f.truncate(150 * MiB)  # sparse: the server must refuse before any data
    t0 = time.monotonic()
    r = failed(ferry(server, local, "put", "sparse-150MiB.bin", "/big", user="quser"),
               "put over quota")
    assert "quota" in r.stderr.lower(), r.stderr
    assert time.monotonic() - t0 < 5
    assert os.listdir(home) == [], f"refused put left files: {os.listdir(home)}"


def test_batch_get_put_hash(server, local):
    home = server.clean_home("demo")
    a, b = os.urandom(70_000), os.urandom(2 * MiB + 1)
    (local / "a.bin").write_bytes(a)
    (local / "b.bin").write_bytes(b)
    (local / "ok.batch").write_text(
        "mkdir -p /bt/x\n"
        "put a.bin /bt/a.bin\n"
        "cd /bt/x\n"
        "put --algo sha256 b.bin\n"
        "get /bt/a.bin a-back.bin\n"
        "get --algo md5 b.bin b-back.bin\n"
        "hash /bt/a.bin\n"
        "hash --algo sha256 b.bin\n")
    r = run_ferry(server, ["-b", "ok.batch", "demo@127.0.0.1"],
                  env_password=server.password("demo"), cwd=local)
    ok(r, "batch")
    assert (home / "bt" / "a.bin").read_bytes() == a
    assert (home / "bt" / "x" / "b.bin").read_bytes() == b
    assert (local / "a-back.bin").read_bytes() == a
    assert (local / "b-back.bin").read_bytes() == b
    tokens = r.stdout.split()
    assert digest_of_file("xxh128", local / "a.bin") in tokens, r.stdout
    assert digest_of_file("sha256", local / "b.bin") in tokens, r.stdout
    # a failing get stops the batch
    (local / "stop.batch").write_text("get /missing m.bin\nput a.bin /after.bin\n")
    r = run_ferry(server, ["-b", "stop.batch", "demo@127.0.0.1"],
                  env_password=server.password("demo"), cwd=local)
    failed(r, "batch with a failing get")
    assert not (home / "after.bin").exists(), "batch went on after a failed get"
    assert not (local / "m.bin").exists()


@pytest.mark.parametrize("algo", [None, *ALGOS])
def test_hash_command(server, local, algo):
    home = server.clean_home("demo")
    (home / "h d").mkdir()
    for name, data in [("h d/e", b""), ("h d/big", os.urandom(2 * MiB + 3))]:
        (home / name).write_bytes(data)
        args = ["hash"] + (["--algo", algo] if algo else []) + [f"/{name}"]
        r = quiet_ok(ferry(server, local, *args), " ".join(args))
        expected = digest_of_file(algo or "xxh128", home / name)
        lines = r.stdout.splitlines()
        assert len(lines) == 1, r.stdout
        assert lines[0].split()[0] == expected, f"{args}: {r.stdout!r}, expected {expected}"
    r = failed(ferry(server, local, "hash", "/nope"), "hash missing")
    assert "not found" in r.stderr.lower()
