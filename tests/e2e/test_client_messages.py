"""What the client says: link targets in long listings, a directory moved
into itself, where a batch stopped, and -v echoing each command. The real
ferry against a real ferryd; the effects checked on disk."""
import os

from conftest import run_ferry

TARGET = "demo@127.0.0.1"


def ferry(server, *args, **kw):
    return run_ferry(server, [TARGET, *args], password=server.password("demo"), **kw)


def test_ls_l_and_stat_show_link_targets_inside_the_home_only(server):
    home = server.clean_home("demo")
    (home / "docs").mkdir()
    (home / "docs" / "a.txt").write_text("a")
    os.symlink("docs/a.txt", home / "rel")
    os.symlink(str(home / "docs"), home / "abs_in_home")    # a real path
    os.symlink("/etc/passwd", home / "abs_elsewhere")       # would name a real server path
    os.symlink("../../../outside", home / "climbs_out")
    r = ferry(server, "ls", "-l")
    assert r.returncode == 0, r
    lines = {line.split()[-1] if "->" not in line else line.split(" -> ")[0].split()[-1]: line
             for line in r.stdout.splitlines()}
    assert lines["rel"].endswith("rel -> docs/a.txt"), r.stdout
    for hidden in ("abs_in_home", "abs_elsewhere", "climbs_out"):
        # no target, and no size either: a link's size is its target's length
        assert "->" not in lines[hidden] and " 0 B " in lines[hidden], r.stdout
    assert str(server.root) not in r.stdout and "/etc/passwd" not in r.stdout
    r = ferry(server, "stat", "rel")
    assert r.returncode == 0 and "target:   docs/a.txt" in r.stdout, r


def test_a_directory_cannot_move_into_itself(server):
    home = server.clean_home("demo")
    (home / "a" / "b" / "c").mkdir(parents=True)
    r = ferry(server, "mv", "a", "a/b/c")
    assert r.returncode == 1
    assert r.stderr.startswith("ferry: mv a a/b/c: a directory cannot move into itself"), r.stderr
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert (home / "a" / "b" / "c").is_dir() and not (home / "a" / "b" / "c" / "a").exists()


def test_a_batch_names_the_line_and_command_that_failed(server, tmp_path):
    home = server.clean_home("demo")
    batch = tmp_path / "nightly.txt"
    batch.write_text("# make a tree\nmkdir one\n\n-rmdir not_there\nmkdir one\nmkdir two\n")
    r = run_ferry(server, ["-b", "nightly.txt", TARGET], env_password=server.password("demo"),
                  cwd=tmp_path)
    assert r.returncode == 1, r
    assert "ferry: stopped at nightly.txt line 5 (mkdir one): it failed" in r.stderr, r.stderr
    assert (home / "one").is_dir() and not (home / "two").exists()


def test_v_echoes_each_command_before_it_runs(server, tmp_path):
    server.clean_home("demo")
    batch = tmp_path / "b.txt"
    batch.write_text("mkdir v_one\npwd\n")
    r = run_ferry(server, ["-v", "-b", "b.txt", TARGET], env_password=server.password("demo"),
                  cwd=tmp_path)
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == ["ferry> mkdir v_one", "ferry> pwd", "/"], r.stdout


def test_transfer_errors_name_what_the_user_asked_for(server, tmp_path):
    """Never an internal name (the .NAME.ferry-part beside a target): a
    missing directory is said in words, on either side; get of a directory
    suggests -r."""
    home = server.clean_home("demo")
    (home / "f.txt").write_text("hi")
    (home / "d").mkdir()
    r = ferry(server, "get", "f.txt", "no_such_dir/x", cwd=tmp_path)
    assert r.returncode == 1
    assert r.stderr.strip() == ("ferry: get f.txt: cannot write no_such_dir/x: "
                                "the directory no_such_dir does not exist"), r.stderr
    assert "ferry-part" not in r.stderr
    (tmp_path / "up.txt").write_text("up")
    r = ferry(server, "put", "up.txt", "/nope/x", cwd=tmp_path)
    assert r.returncode == 1
    assert r.stderr.strip().endswith("the remote directory /nope does not exist"), r.stderr
    r = ferry(server, "get", "d", cwd=tmp_path)
    assert r.returncode == 1 and "use get -r" in r.stderr, r.stderr
