"""The interactive shell as a person uses it: the real ferry client in a
pseudo-terminal (pexpect), typing real keys, against a real ferryd.

Names in other scripts typed, completed and edited; Ctrl-C at the prompt and
during a transfer; Ctrl-D; the progress bar's rate under a rate limit;
history across sessions with Ctrl-R; password retries; cd completion."""
import hashlib
import os
import re
import time

import pytest

import conftest

pexpect = pytest.importorskip("pexpect")

PROMPT = r"ferry:[^\r\n]*> "
LEFT = "\x1b[D"
BACKSPACE = "\x7f"


def shell_env(server, **extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "FERRY_PASSWORD", "LC_ALL")}
    env.update(HOME=str(server.base), LANG="C.UTF-8", TERM="xterm", COLUMNS="120")
    env.update(extra)
    return env


def spawn(server, user="demo", password=True, env=None, cwd=None):
    env = env or shell_env(server)
    if password:
        env["FERRY_PASSWORD"] = server.password(user)
    sh = pexpect.spawn(conftest.FERRY, ["-P", str(server.port), f"{user}@127.0.0.1"], env=env,
                       timeout=20, encoding="utf-8", dimensions=(40, 120),
                       cwd=str(cwd or server.base))
    return sh


def close(sh):
    sh.close(force=True)


def wait_for(pred, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def put_file(server, user, name, size):
    data = os.urandom(size)
    path = server.home(user) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def test_names_in_any_script_are_typed_completed_and_edited(server):
    home = server.clean_home("demo")
    sh = spawn(server)
    try:
        sh.expect(PROMPT)
        for name in ("café", "中文目录", "🚀rocket"):
            sh.sendline(f"mkdir {name}")
            sh.expect(PROMPT)
        assert {p.name for p in home.iterdir()} == {"café", "中文目录", "🚀rocket"}

        # Editing moves over whole characters: backspace removes 'X' after
        # "naïve", and a left arrow steps back over 'ü' (two bytes).
        sh.send("mkdir naïveX" + BACKSPACE + "\r")
        sh.expect(PROMPT)
        sh.send("mkdir üz" + LEFT + LEFT + "a\r")
        sh.expect(PROMPT)
        assert (home / "naïve").is_dir() and (home / "aüz").is_dir(), sorted(os.listdir(home))

        # Tab completes a Chinese name after an accented word on the line.
        sh.send("cd 中\t")
        sh.expect("文目录/")  # the rest of the name is drawn after the cursor moves
        sh.send("\r")
        sh.expect("ferry:/中文目录> ")
        sh.sendline("mkdir 子目录")
        sh.expect(PROMPT)
        assert (home / "中文目录" / "子目录").is_dir()
        sh.sendline("cd /")
        sh.expect(PROMPT)
        sh.sendline("ls")
        sh.expect(PROMPT)
        for name in ("café", "中文目录", "🚀rocket", "naïve", "aüz"):
            assert name in sh.before, sh.before
        sh.sendline("bye")
        sh.expect(pexpect.EOF)
    finally:
        close(sh)


def test_non_utf8_locale_still_types_utf8_names(server):
    home = server.clean_home("demo")
    env = shell_env(server)
    env.pop("LANG")
    env["LC_ALL"] = "C"
    sh = spawn(server, env=env)
    try:
        sh.expect(PROMPT)
        sh.sendline("mkdir Ünïcødé dir".replace(" dir", "_dir"))
        sh.expect(PROMPT)
        sh.sendline("cd 'Ünïcødé_dir'")
        sh.expect("ferry:/Ünïcødé_dir> ")
        assert (home / "Ünïcødé_dir").is_dir()
    finally:
        close(sh)


@pytest.mark.skipif("thread" in conftest.SANITIZER,
                    reason="ThreadSanitizer holds back a signal that arrives in a blocking "
                           "read(2) until the next intercepted call: the prompt waits for a key")
def test_ctrl_c_at_the_prompt_clears_the_line_and_twice_quits(server):
    home = server.clean_home("demo")
    sh = spawn(server)
    try:
        sh.expect(PROMPT)
        sh.send("mkdir never_made")
        time.sleep(0.2)
        sh.sendintr()
        sh.expect(PROMPT)
        time.sleep(1.2)  # more than a second: the next Ctrl-C is a first one again
        sh.sendline("mkdir made")
        sh.expect(PROMPT)
        assert sorted(os.listdir(home)) == ["made"]
        sh.sendintr()
        sh.expect(PROMPT)
        sh.sendintr()  # within a second of the first
        sh.expect(pexpect.EOF)
        sh.close()
        assert sh.exitstatus == 0
    finally:
        close(sh)


def test_ctrl_d_quits(server):
    sh = spawn(server)
    try:
        sh.expect(PROMPT)
        sh.sendeof()
        sh.expect(pexpect.EOF)
        sh.close()
        assert sh.exitstatus == 0
    finally:
        close(sh)


def test_ctrl_c_cancels_a_get_and_a_rerun_resumes_on_the_same_session(server, tmp_path):
    home = server.clean_home("slow")
    data = put_file(server, "slow", "sub/big.bin", 64 << 20)  # 16 MiB/s: about 3 s
    sh = spawn(server, user="slow", cwd=tmp_path)
    try:
        sh.expect(PROMPT)
        sh.sendline("cd sub")
        sh.expect("ferry:/sub> ")
        sh.sendline("get big.bin")
        sh.expect(r"\d+%")
        time.sleep(0.8)
        sh.sendintr()
        sh.expect("ferry: [^\r\n]*interrupted")
        sh.expect("run the same command again to resume")
        sh.expect("ferry:/sub> ")  # same directory: the session goes on
        part = tmp_path / ".big.bin.ferry-part"
        assert part.exists() and 0 < part.stat().st_size < len(data)
        assert not (tmp_path / "big.bin").exists()
        sh.sendline("get big.bin")
        sh.expect(r"resum", timeout=20)
        sh.expect("ferry:/sub> ", timeout=20)
        assert (tmp_path / "big.bin").read_bytes() == data
        assert not part.exists()
        sh.sendline("bye")
        sh.expect(pexpect.EOF)
    finally:
        close(sh)
        server.clean_home("slow")
    assert home.exists()


def test_ctrl_c_cancels_a_put_and_a_rerun_resumes(server, tmp_path):
    home = server.clean_home("slow")
    data = os.urandom(64 << 20)
    (tmp_path / "up.bin").write_bytes(data)
    sh = spawn(server, user="slow", cwd=tmp_path)
    try:
        sh.expect(PROMPT)
        sh.sendline("put up.bin")
        sh.expect(r"\d+%")
        time.sleep(0.8)
        sh.sendintr()
        sh.expect("interrupted")
        sh.expect("run the same command again to resume")
        sh.expect(PROMPT)
        assert not (home / "up.bin").exists()
        assert wait_for(lambda: (home / ".up.bin.ferry-part").exists())
        sh.sendline("put up.bin")
        sh.expect(PROMPT, timeout=30)
        assert (home / "up.bin").exists(), sh.before
        assert hashlib.sha256((home / "up.bin").read_bytes()).digest() == \
            hashlib.sha256(data).digest()
        sh.sendline("pwd")
        sh.expect("/")
        sh.expect(PROMPT)
    finally:
        close(sh)
        server.clean_home("slow")


RATE_RE = re.compile(r"(\d+(?:\.\d)?) (B|KiB|MiB|GiB)/s +ETA (\d\d):(\d\d)")
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}


@pytest.mark.parametrize("direction", ["get", "put"])
def test_progress_rate_and_eta_are_right_under_a_rate_limit(server, tmp_path, direction):
    """"slow" is limited to 16 MiB/s; its bucket lets the first second's
    worth through at once (and socket buffers take more). Two seconds in, the
    bar must show the limit within 10%, and an ETA that matches the bytes
    left at that rate."""
    server.clean_home("slow")
    size = 96 << 20
    if direction == "get":
        put_file(server, "slow", "rate.bin", size)
    else:
        (tmp_path / "rate.bin").write_bytes(os.urandom(size))
    limit = 16 << 20
    sh = spawn(server, user="slow", cwd=tmp_path)
    try:
        sh.expect(PROMPT)
        sh.sendline(f"{direction} rate.bin")
        sh.expect(r"\d+%")
        started = time.monotonic()
        seen = []
        while time.monotonic() - started < 3.5:
            try:
                sh.expect(RATE_RE, timeout=1)
            except pexpect.TIMEOUT:
                continue
            seen.append((round(time.monotonic() - started, 2), sh.match.group(0)))
        late = [(t, m) for t, m in seen if t >= 2.2]
        assert late, f"no progress line after 2 s: {seen}"
        for t, text in late:
            m = RATE_RE.search(text)
            rate = float(m.group(1)) * UNITS[m.group(2)]
            assert abs(rate - limit) <= 0.10 * limit, (t, text, seen)
        # The ETA, checked on the last line read: the file's end is at most
        # 10% (and a second) away from when it said.
        t_last, text = late[-1]
        m = RATE_RE.search(text)
        eta = int(m.group(3)) * 60 + int(m.group(4))
        sh.expect(PROMPT, timeout=30)
        actual_left = time.monotonic() - started - t_last
        assert abs(actual_left - eta) <= 0.10 * actual_left + 1.2, (eta, actual_left)
    finally:
        close(sh)
        server.clean_home("slow")


def test_history_is_kept_across_sessions_and_ctrl_r_searches_it(server, tmp_path):
    home = server.clean_home("demo")
    state = tmp_path / "state"
    env = shell_env(server, XDG_STATE_HOME=str(state))
    sh = spawn(server, env=dict(env))
    try:
        sh.expect(PROMPT)
        sh.sendline("mkdir zebra_from_history")
        sh.expect(PROMPT)
        sh.sendline("pwd")
        sh.expect(PROMPT)
        sh.sendline("bye")
        sh.expect(pexpect.EOF)
    finally:
        close(sh)
    hist = state / "ferry" / "history"
    assert hist.exists()
    assert oct(hist.stat().st_mode & 0o777) == oct(0o600)
    os.rmdir(home / "zebra_from_history")

    sh = spawn(server, env=dict(env))
    try:
        sh.expect(PROMPT)
        sh.send("\x12")  # Ctrl-R
        sh.send("zebra")
        sh.expect("zebra_from_history")
        sh.send("\r")
        sh.expect(PROMPT)
        assert wait_for(lambda: (home / "zebra_from_history").is_dir(), 5)
        # Up arrow recalls the previous session's lines too.
        sh.sendline("bye")
        sh.expect(pexpect.EOF)
    finally:
        close(sh)


def test_a_wrong_password_asks_again_three_times(server):
    server.clean_home("demo")
    sh = spawn(server, password=False)
    try:
        sh.expect("password: ")
        sh.sendline("wrong one")
        sh.expect("Permission denied, please try again.")
        sh.expect("password: ")
        sh.sendline(server.password("demo"))
        sh.expect(PROMPT)
        sh.sendline("bye")
        sh.expect(pexpect.EOF)
    finally:
        close(sh)

    sh = spawn(server, password=False)
    try:
        for _ in range(2):
            sh.expect("password: ")
            sh.sendline("wrong")
            sh.expect("Permission denied, please try again.")
        sh.expect("password: ")
        sh.sendline("still wrong")
        sh.expect("login failed")
        sh.expect(pexpect.EOF)
        sh.close()
        assert sh.exitstatus == 1
    finally:
        close(sh)


def test_cd_completion_offers_directories_only(server):
    home = server.clean_home("demo")
    (home / "alpha_dir").mkdir()
    (home / "alpha_file").write_bytes(b"x")
    sh = spawn(server)
    try:
        sh.expect(PROMPT)
        sh.send("cd alp\t")
        sh.expect("ha_dir/")
        sh.send("\r")
        sh.expect("ferry:/alpha_dir> ")
        sh.sendline("cd /")
        sh.expect(PROMPT)
        sh.send("ls alp\t\t")  # ls offers both
        sh.expect("alpha_file")
        sh.send("\x15\r")  # Ctrl-U clears the line
        sh.expect(PROMPT)
    finally:
        close(sh)


def test_tab_never_offers_half_a_character(server):
    """测试一 and 测试二 share the first byte of 一/二: the common part offered
    is 测试, not 测试 plus a lone byte (which erased the word)."""
    home = server.clean_home("demo")
    (home / "测试一").mkdir()
    (home / "测试二").mkdir()
    sh = spawn(server)
    try:
        sh.expect(PROMPT)
        sh.send("cd 测\t")
        time.sleep(0.5)
        sh.send("二\r")
        sh.expect("ferry:/测试二> ")
    finally:
        close(sh)


def test_ctrl_c_during_a_local_command_keeps_the_session(server, tmp_path):
    server.clean_home("demo")
    many = tmp_path / "many"
    many.mkdir()
    for i in range(20000):
        (many / f"f{i:05}").touch()
    sh = spawn(server, cwd=tmp_path)
    try:
        sh.expect(PROMPT)
        sh.sendline("lls -l many")
        sh.expect("f0")
        sh.sendintr()
        sh.expect(PROMPT, timeout=30)
        time.sleep(1.2)
        sh.sendline("mkdir still_here")
        sh.expect(PROMPT)
        assert (server.home("demo") / "still_here").is_dir()
    finally:
        close(sh)


def test_shells_at_once_both_keep_their_history(server, tmp_path):
    state = tmp_path / "state"
    env = shell_env(server, XDG_STATE_HOME=str(state))
    a, b = spawn(server, env=dict(env)), spawn(server, env=dict(env))
    try:
        a.expect(PROMPT)
        b.expect(PROMPT)
        a.sendline("lpwd # from_a")
        a.expect(PROMPT)
        b.sendline("lpwd # from_b")
        b.expect(PROMPT)
        a.sendline("lpwd # from_a_again")
        a.expect(PROMPT)
    finally:
        close(a)
        close(b)
    text = (state / "ferry" / "history").read_text()
    assert text.splitlines()[-3:] == ["lpwd # from_a", "lpwd # from_b", "lpwd # from_a_again"], text


def test_a_history_path_that_is_not_a_plain_file_is_left_alone(server, tmp_path):
    state = tmp_path / "state"
    (state / "ferry").mkdir(parents=True)
    os.mkfifo(state / "ferry" / "history")  # would block a plain open()
    sh = spawn(server, env=shell_env(server, XDG_STATE_HOME=str(state)))
    try:
        sh.expect(PROMPT, timeout=10)
        sh.sendline("pwd")
        sh.expect("cannot save the history")
        sh.expect(PROMPT)
    finally:
        close(sh)


def test_a_stray_byte_does_not_swallow_enter(server):
    home = server.clean_home("demo")
    sh = spawn(server)
    try:
        sh.expect(PROMPT)
        os.write(sh.child_fd, b"mkdir cut\xe4\xb8\r")  # a sequence cut short, then Enter
        sh.expect(PROMPT, timeout=5)
        assert [p.name for p in home.iterdir()] == ["cut\ufffd"], list(home.iterdir())
    finally:
        close(sh)


def test_a_lost_connection_is_replaced_and_the_shell_goes_on(server):
    """An operator's kick (or an idle timeout, a restart) closes the session:
    the command in flight fails, and the shell logs in again, same directory."""
    import ctl_util
    home = server.clean_home("many")
    (home / "sub").mkdir()
    sh = spawn(server, user="many")
    try:
        sh.expect(PROMPT)
        sh.sendline("cd sub")
        sh.expect("ferry:/sub> ")
        r = ctl_util.ctl(server.root, "kick", "many")
        assert r.returncode == 0, r
        time.sleep(0.3)
        sh.sendline("mkdir after_kick")  # noticed at the prompt: the command still runs
        sh.expect("logged in again")
        sh.expect("ferry:/sub> ")
        assert wait_for(lambda: (home / "sub" / "after_kick").is_dir(), 5)
    finally:
        close(sh)
